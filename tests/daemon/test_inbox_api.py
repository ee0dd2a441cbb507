"""The inbox API: conversation listing with filters, assignment rules, labels, notes, messages, the window."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from aimstors.core.db import Scope
from aimstors.core.db.models import Contact, Conversation, Message, PhoneNumber, Tenant, User, WhatsAppAccount
from aimstors.core.ids import uuid7

from .conftest import Daemon


async def _seed(daemon: Daemon, slug: str, n: int, *, inbound_hours_ago: float = 1) -> list[int]:
    """n conversations in workspace ``slug``, each with one inbound message."""
    now = dt.datetime.now(dt.UTC)
    async with daemon.services.db.session(Scope.system(), write=True) as s:
        tenant = await s.scalar(select(Tenant).where(Tenant.slug == slug))
        assert tenant is not None
        account = WhatsAppAccount(tenant_id=tenant.id, waba_id=f"waba-{slug}")
        s.add(account)
        await s.flush()
        number = PhoneNumber(
            tenant_id=tenant.id, account_id=account.id, phone_number_id=f"pn-{slug}", display_number="+1 555 000 0000"
        )
        s.add(number)
        await s.flush()
        ids = []
        for i in range(n):
            contact = Contact(tenant_id=tenant.id, wa_id=f"1555{slug[-1:]}{i:06d}", profile_name=f"Person {i}")
            s.add(contact)
            await s.flush()
            last = now - dt.timedelta(hours=inbound_hours_ago, minutes=i)
            conv = Conversation(
                tenant_id=tenant.id,
                phone_number_id=number.id,
                contact_id=contact.id,
                last_inbound_at=last,
                last_message_at=last,
            )
            s.add(conv)
            await s.flush()
            s.add(
                Message(
                    id=uuid7(),
                    created_at=last,
                    tenant_id=tenant.id,
                    conversation_id=conv.id,
                    direction="in",
                    type="text",
                    body=f"hello {i}",
                    status="received",
                    wamid=f"wamid.{slug}.{i}",
                )
            )
            ids.append(conv.id)
    return ids


async def _user_id(daemon: Daemon, email: str) -> int:
    async with daemon.services.db.session(Scope.system()) as s:
        uid = await s.scalar(select(User.id).where(User.email == email))
    assert uid is not None
    return uid


async def test_list_page_and_filter(daemon: Daemon) -> None:
    ids = await _seed(daemon, "shop-a", 5)
    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as client:
        first = (await client.get("/api/v1/conversations", params={"limit": 2})).json()
        assert [c["id"] for c in first["items"]] == ids[:2]  # most recent activity first
        second = (await client.get("/api/v1/conversations", params={"limit": 2, "cursor": first["next_cursor"]})).json()
        assert [c["id"] for c in second["items"]] == ids[2:4]
        assert first["items"][0]["window_open"] is True
        bad = await client.get("/api/v1/conversations", params={"cursor": "garbage"})
        assert bad.status_code == 422 and "cursor" in bad.json()["error"]["message"]


async def test_agents_see_their_own_and_unassigned(daemon: Daemon) -> None:
    ids = await _seed(daemon, "shop-a", 3)
    admin = await daemon.login("admin@shop-a.test")
    agent_id = await _user_id(daemon, "agent@shop-a.test")
    admin_id = await _user_id(daemon, "admin@shop-a.test")
    async with daemon.client(admin) as client:
        assert (
            await client.post(f"/api/v1/conversations/{ids[0]}/assign", json={"user_id": agent_id})
        ).status_code == 200
        assert (
            await client.post(f"/api/v1/conversations/{ids[1]}/assign", json={"user_id": admin_id})
        ).status_code == 200
    agent = await daemon.login("agent@shop-a.test")
    async with daemon.client(agent) as client:
        visible = [c["id"] for c in (await client.get("/api/v1/conversations")).json()["items"]]
        assert sorted(visible) == sorted([ids[0], ids[2]])
        mine = [c["id"] for c in (await client.get("/api/v1/conversations", params={"filter": "mine"})).json()["items"]]
        assert mine == [ids[0]]
        assert (await client.get(f"/api/v1/conversations/{ids[1]}")).status_code == 404
        grab = await client.post(f"/api/v1/conversations/{ids[2]}/assign", json={"user_id": admin_id})
        assert grab.status_code == 403
        assert (
            await client.post(f"/api/v1/conversations/{ids[2]}/assign", json={"user_id": agent_id})
        ).status_code == 200


async def test_labels_status_and_notes(daemon: Daemon) -> None:
    ids = await _seed(daemon, "shop-a", 1)
    token = await daemon.login("agent@shop-a.test")
    async with daemon.client(token) as client:
        conv = (await client.post(f"/api/v1/conversations/{ids[0]}/labels", json={"add": ["vip", "order"]})).json()
        assert conv["labels"] == ["vip", "order"]
        conv = (await client.post(f"/api/v1/conversations/{ids[0]}/labels", json={"remove": ["order"]})).json()
        assert conv["labels"] == ["vip"]
        assert (await client.post(f"/api/v1/conversations/{ids[0]}/status", json={"status": "resolved"})).json()[
            "status"
        ] == "resolved"
        resolved = (await client.get("/api/v1/conversations", params={"status": "resolved"})).json()["items"]
        assert [c["id"] for c in resolved] == ids
        note = await client.post(f"/api/v1/conversations/{ids[0]}/notes", json={"body": "called them back"})
        assert note.status_code == 201
        notes = (await client.get(f"/api/v1/conversations/{ids[0]}/notes")).json()
        assert [n["body"] for n in notes] == ["called them back"]
        messages = (await client.get(f"/api/v1/conversations/{ids[0]}/messages")).json()
        assert [m["body"] for m in messages["items"]] == ["hello 0"]


async def test_free_form_outside_the_window_is_refused_and_nothing_is_written(daemon: Daemon) -> None:
    ids = await _seed(daemon, "shop-a", 1, inbound_hours_ago=30)
    token = await daemon.login("agent@shop-a.test")
    async with daemon.client(token) as client:
        response = await client.post(f"/api/v1/conversations/{ids[0]}/messages", json={"type": "text", "text": "hi"})
        assert response.status_code == 409
        error = response.json()["error"]
        assert "24-hour" in error["message"] and "template" in error["hint"]
        messages = (await client.get(f"/api/v1/conversations/{ids[0]}/messages")).json()["items"]
    assert len(messages) == 1


async def test_conversations_of_another_workspace_are_invisible(daemon: Daemon) -> None:
    ids_b = await _seed(daemon, "shop-b", 1)
    await _seed(daemon, "shop-a", 1)
    for email in ["admin@shop-a.test", "agent@shop-a.test"]:
        token = await daemon.login(email)
        async with daemon.client(token) as client:
            listed = (await client.get("/api/v1/conversations")).json()["items"]
            assert all(c["tenant"] == "shop-a" for c in listed)
            assert (await client.get("/api/v1/conversations", params={"tenant": "shop-b"})).status_code == 404
            for path in ["", "/messages", "/notes"]:
                assert (await client.get(f"/api/v1/conversations/{ids_b[0]}{path}")).status_code == 404
            posted = await client.post(f"/api/v1/conversations/{ids_b[0]}/notes", json={"body": "x"})
            assert posted.status_code == 404
    reseller = await daemon.login("reseller@resell.test")
    async with daemon.client(reseller) as client:  # a reseller admin reaches its sub-workspace explicitly
        listed = (await client.get("/api/v1/conversations", params={"tenant": "shop-b"})).json()["items"]
        assert [c["id"] for c in listed] == ids_b
