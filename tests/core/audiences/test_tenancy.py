"""Another workspace's contacts and audiences are invisible through the services: NotFound, never data."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.contacts_world import Shops, add_campaign, add_contacts, resolved, write_csv

from aimstors.core import audiences, contacts
from aimstors.core.audiences import RetargetRules, SegmentRules, StaticRules
from aimstors.core.errors import NotFound, PermissionDenied


async def test_workspaces_do_not_see_each_others_contacts_or_audiences(shops: Shops, tmp_path: Path) -> None:
    ids_a = await add_contacts(shops.db, shops.a, [{"wa_id": "15550100001"}, {"wa_id": "15550100002"}])
    await add_contacts(shops.db, shops.b, [{"wa_id": "15550100009"}])
    list_a = await audiences.create_audience(
        shops.db, shops.system, "A list", StaticRules(), tenant_slug="shop-a", snapshot=SegmentRules()
    )
    campaign_a = await add_campaign(shops.db, shops.a, [{"wa_id": "15550100001", "state": "read"}])
    bob = await shops.actor("admin@shop-b.test")

    assert await audiences.list_audiences(shops.db, bob) == []
    for ref in ("A list", str(list_a.id)):
        with pytest.raises(NotFound):
            await audiences.get_audience(shops.db, bob, ref)
        with pytest.raises(NotFound):
            await audiences.delete_audience(shops.db, bob, ref)
    with pytest.raises(NotFound):  # naming the other workspace is no better
        await audiences.list_audiences(shops.db, bob, tenant_slug="shop-a")
    for ref in (list_a.id, "audience:A list", f"campaign:{campaign_a}:read"):
        with pytest.raises(NotFound):
            await resolved(shops.db, shops.b, ref)
    with pytest.raises(NotFound):
        await audiences.create_audience(shops.db, bob, "steal", RetargetRules(campaign_a, ("read",)))
    mine = await audiences.create_audience(shops.db, bob, "B list", StaticRules())
    added = await audiences.add_members(shops.db, bob, "B list", contact_ids=list(ids_a.values()))
    assert added == 0  # another workspace's contact ids are ignored
    assert await resolved(shops.db, shops.b, mine.id) == []
    assert {r.wa_id for r in await resolved(shops.db, shops.b, "all")} == {"15550100009"}

    with pytest.raises(NotFound):
        await contacts.find_contact(shops.db, bob, str(ids_a["15550100001"]))
    with pytest.raises(NotFound):
        await contacts.find_contact(shops.db, bob, "+15550100001")
    with pytest.raises(NotFound):
        await contacts.export_contacts(shops.db, bob, io.StringIO(), tenant_slug="shop-a")
    out = io.StringIO()
    assert await contacts.export_contacts(shops.db, bob, out) == 1
    assert "15550100001" not in out.getvalue()
    path = write_csv(tmp_path / "x.csv", "phone\n+15550100003\n")
    with pytest.raises(NotFound):
        await contacts.import_contacts(shops.db, bob, path, tenant_slug="shop-a")


async def test_an_agent_may_read_contacts_but_not_import_or_manage_audiences(shops: Shops, tmp_path: Path) -> None:
    agent = await shops.actor("agent@shop-a.test")
    await add_contacts(shops.db, shops.a, [{"wa_id": "15550100001"}])
    assert len((await contacts.list_contacts(shops.db, agent)).items) == 1
    path = write_csv(tmp_path / "x.csv", "phone\n+15550100003\n")
    with pytest.raises(PermissionDenied):
        await contacts.import_contacts(shops.db, agent, path)
    with pytest.raises(PermissionDenied):
        await contacts.export_contacts(shops.db, agent, io.StringIO())
    with pytest.raises(PermissionDenied):
        await audiences.create_audience(shops.db, agent, "x", SegmentRules())
