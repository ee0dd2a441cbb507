"""Canned replies over real HTTP through the typed client: CRUD, unique shortcuts, who may write."""

from __future__ import annotations

import pytest

from aimstors.client import AimstorsClient, ConflictError, Forbidden, InvalidRequest, NotFoundError

from .conftest import Daemon


async def test_create_list_update_delete(daemon: Daemon) -> None:
    async with AimstorsClient(daemon.url) as admin:
        await admin.login("admin@shop-a.test", "long enough pw")
        thanks = await admin.canned_replies.create("/Thanks", "Thank you", "Thanks for your message!")
        assert (thanks.shortcut, thanks.tenant) == ("thanks", "shop-a")
        hours = await admin.canned_replies.create("hours", "Opening hours", "We are open 9-17.")
        assert [r.shortcut for r in await admin.canned_replies.list()] == ["hours", "thanks"]
        assert [r.shortcut for r in await admin.canned_replies.list(prefix="/th")] == ["thanks"]
        changed = await admin.canned_replies.update(hours.id, body="We are open 9-18.")
        assert (changed.shortcut, changed.title, changed.body) == ("hours", "Opening hours", "We are open 9-18.")
        assert await admin.canned_replies.get(hours.id) == changed
        await admin.canned_replies.delete(thanks.id)
        with pytest.raises(NotFoundError):
            await admin.canned_replies.get(thanks.id)
        with pytest.raises(NotFoundError):
            await admin.canned_replies.delete(thanks.id)

    async with AimstorsClient(daemon.url) as agent:
        await agent.login("agent@shop-a.test", "long enough pw")
        assert [r.id for r in await agent.canned_replies.list()] == [hours.id]
        with pytest.raises(Forbidden):
            await agent.canned_replies.create("mine", "Mine", "text")


async def test_duplicate_shortcut_and_bad_fields_write_nothing(daemon: Daemon) -> None:
    async with AimstorsClient(daemon.url) as admin:
        await admin.login("admin@shop-a.test", "long enough pw")
        first = await admin.canned_replies.create("thanks", "Thanks", "Thanks!")
        other = await admin.canned_replies.create("bye", "Bye", "Bye!")
        with pytest.raises(ConflictError) as dup:
            await admin.canned_replies.create("THANKS", "Again", "Thanks again!")
        assert dup.value.status == 409 and dup.value.message == "a canned reply with shortcut 'thanks' already exists"
        with pytest.raises(ConflictError):
            await admin.canned_replies.update(other.id, shortcut="thanks", body="changed")
        for kwargs, word in [
            ({"shortcut": "two words", "title": "t", "body": "b"}, "shortcut"),
            ({"shortcut": "ok", "title": " ", "body": "b"}, "title"),
            ({"shortcut": "ok", "title": "t", "body": "x" * 4097}, "body"),
        ]:
            with pytest.raises(InvalidRequest) as bad:
                await admin.canned_replies.create(**kwargs)
            assert word in bad.value.message
        assert await admin.canned_replies.list() == [other, first]  # bye, thanks: unchanged

        # Another workspace may use the same shortcut.
        async with AimstorsClient(daemon.url) as reseller:
            await reseller.login("reseller@resell.test", "long enough pw")
            theirs = await reseller.canned_replies.create("thanks", "Thanks", "Thanks from B", tenant="shop-b")
            assert theirs.tenant == "shop-b"

    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as raw:
        unknown = await raw.post("/api/v1/canned-replies", json={"shortcut": "x", "title": "t", "body": "b", "id": 1})
        assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_request"
        assert "id" in unknown.json()["error"]["message"]
        missing = await raw.post("/api/v1/canned-replies", json={"shortcut": "x"})
        assert missing.status_code == 400 and "title" in missing.json()["error"]["message"]
        assert len((await raw.get("/api/v1/canned-replies")).json()) == 2
