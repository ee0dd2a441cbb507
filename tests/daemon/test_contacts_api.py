"""Contacts over real HTTP through the typed client: paging and search, show, tags and attributes, opt-out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aimstors.client import AimstorsClient, Contact, Forbidden, InvalidRequest, NotFoundError
from aimstors.core.db import Scope
from aimstors.core.db.models import AuditEntry

from .conftest import Daemon
from .seed import seed_workspace, tenant_id


async def _client(daemon: Daemon, email: str) -> AimstorsClient:
    client = AimstorsClient(daemon.url)
    await client.login(email, "long enough pw")
    return client


async def test_pages_search_show_and_bad_paging_input(daemon: Daemon) -> None:
    mine = await seed_workspace(daemon.services.db, "shop-a", contacts=5, prefix="1")
    await seed_workspace(daemon.services.db, "shop-b", contacts=2, prefix="2")
    async with await _client(daemon, "agent@shop-a.test") as client:
        first = await client.contacts.list(limit=2)
        assert [c.id for c in first.items] == mine.contacts[:2] and first.next_cursor
        second = await client.contacts.list(limit=2, cursor=first.next_cursor)
        assert [c.id for c in second.items] == mine.contacts[2:4]
        every = [c async for c in client.contacts.iterate(page_size=2)]
        assert [c.id for c in every] == mine.contacts and {c.tenant for c in every} == {"shop-a"}

        assert [c.profile_name for c in (await client.contacts.list(q="person 3")).items] == ["Person 3 of shop-a"]
        by_digits = await client.contacts.list(q="+1 555-1000 00")  # phone-ish text matches wa_id digits
        assert len(by_digits.items) == 5
        exact = await client.contacts.list(phone="+1 (555) 100-0004")
        assert [c.wa_id for c in exact.items] == ["15551000004"]
        assert len((await client.contacts.list(q="%")).items) == 0  # LIKE wildcards are literal
        vip = await client.contacts.list(tag="vip")
        assert [c.id for c in vip.items] == mine.contacts[0::2]
        assert (await client.contacts.list(opted_out=True)).items == []

        shown = await client.contacts.get(mine.contacts[0])
        assert isinstance(shown, Contact) and shown.tags == ["vip"] and shown.opted_out is False
        with pytest.raises(NotFoundError):
            await client.contacts.get(999_999)

        for kwargs, word in [
            ({"cursor": "garbage"}, "cursor"),
            ({"cursor": "Y29udmVyc2F0aW9uczox"}, "cursor"),  # a well-formed cursor of another listing
            ({"limit": 0}, "limit"),
            ({"phone": "call me"}, "phone"),
            ({"tag": " "}, "tag"),
        ]:
            with pytest.raises(InvalidRequest) as caught:
                await client.contacts.list(**kwargs)  # type: ignore[arg-type]
            assert caught.value.status == 422 and word in caught.value.message, kwargs


async def test_tags_and_attributes_merge_and_bad_input_changes_nothing(daemon: Daemon) -> None:
    seeded = await seed_workspace(daemon.services.db, "shop-a", contacts=1)
    cid = seeded.contacts[0]
    async with await _client(daemon, "admin@shop-a.test") as client:
        updated = await client.contacts.update(
            cid, add_tags=["lead", " spring "], remove_tags=["vip"], attributes={"city": "Lyon", "plan": "gold"}
        )
        assert updated.tags == ["lead", "spring"]
        assert updated.attributes == {"city": "Lyon", "plan": "gold"}
        updated = await client.contacts.update(cid, attributes={"plan": None, "orders": 3})
        assert updated.attributes == {"city": "Lyon", "orders": 3}
        assert updated.updated_at >= updated.created_at

        with pytest.raises(InvalidRequest) as bad_tag:
            await client.contacts.update(cid, add_tags=["x" * 65], attributes={"city": "Paris"})
        assert bad_tag.value.status == 422 and "too long" in bad_tag.value.message
        with pytest.raises(InvalidRequest) as both:
            await client.contacts.update(cid, add_tags=["a"], remove_tags=["a"])
        assert "both added and removed" in both.value.message
        with pytest.raises(InvalidRequest) as empty_key:
            await client.contacts.update(cid, attributes={"": 1})
        assert "attribute names" in empty_key.value.message
        assert (await client.contacts.get(cid)) == updated  # nothing of the refused updates was written

    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as raw:
        unknown = await raw.patch(f"/api/v1/contacts/{cid}", json={"tags": ["x"]})
        assert unknown.status_code == 400
        error = unknown.json()["error"]
        assert error["code"] == "invalid_request" and "tags" in error["message"]
    async with await _client(daemon, "agent@shop-a.test") as agent:
        with pytest.raises(Forbidden) as denied:
            await agent.contacts.update(cid, add_tags=["x"])
        assert denied.value.code == "permission_denied"


async def test_opt_out_and_in_are_manual_idempotent_and_audited(daemon: Daemon) -> None:
    seeded = await seed_workspace(daemon.services.db, "shop-a", contacts=2)
    cid = seeded.contacts[1]
    tid = await tenant_id(daemon.services.db, "shop-a")
    live = daemon.services.events.subscribe({tid})
    async with await _client(daemon, "admin@shop-a.test") as client:
        out = await client.contacts.opt_out(cid)
        assert out.opted_out and out.opt_out_source == "manual" and out.opted_out_at is not None
        again = await client.contacts.opt_out(cid)
        assert again.opted_out_at == out.opted_out_at  # the first opt-out's time is kept
        assert [c.id for c in (await client.contacts.list(opted_out=True)).items] == [cid]
        assert [c.id for c in (await client.contacts.list(opted_out=False)).items] == [seeded.contacts[0]]
        back = await client.contacts.opt_in(cid)
        assert not back.opted_out and back.opted_out_at is None and back.opt_out_source is None
    published = [live.get_nowait() for _ in range(live.pending)]
    live.close()
    assert [(e.type, dict(e.data)) for e in published if e is not None] == [
        ("contact.updated", {"contact_id": cid, "opted_out": True, "source": "manual"}),
        ("contact.updated", {"contact_id": cid, "opted_out": False, "source": "manual"}),
    ]  # one event per real change: the repeated opt-out published nothing
    async with daemon.services.db.session(Scope.tenant(tid)) as session:
        audit = list(
            await session.execute(
                select(AuditEntry.action, AuditEntry.target_id, AuditEntry.details).where(
                    AuditEntry.tenant_id == tid, AuditEntry.action.like("contact.opt%")
                )
            )
        )
    assert [(a, t, d) for a, t, d in audit] == [
        ("contact.optout", str(cid), {"source": "manual"}),
        ("contact.optin", str(cid), {"source": "manual"}),
    ]


async def test_a_reseller_names_its_workspace_and_reaches_no_other(daemon: Daemon) -> None:
    await seed_workspace(daemon.services.db, "shop-a", contacts=2)
    await seed_workspace(daemon.services.db, "shop-x", contacts=1)
    async with await _client(daemon, "reseller@resell.test") as client:
        assert client.tenant == "resell"
        listed = await client.contacts.list(tenant="shop-a")
        assert {c.tenant for c in listed.items} == {"shop-a"} and len(listed.items) == 2
        with pytest.raises(InvalidRequest) as not_a_workspace:
            await client.contacts.list()
        assert "reseller" in not_a_workspace.value.message and not_a_workspace.value.hint
        with pytest.raises(NotFoundError) as other:
            await client.contacts.list(tenant="shop-x")
        assert other.value.message == "no tenant 'shop-x'"
        with pytest.raises(NotFoundError):
            await client.contacts.list(tenant="no-such-shop")
