"""Static lists: from a filter snapshot, from a CSV import (all or nothing), members added and removed, deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.contacts_world import (
    Shops,
    add_campaign,
    add_contacts,
    contact_count,
    resolved,
    set_campaign,
    write_csv,
)

from aimstors.core import audiences, contacts
from aimstors.core.audiences import SegmentRules, StaticRules
from aimstors.core.contacts import ImportOptions
from aimstors.core.errors import Conflict, InvalidInput


async def test_a_snapshot_list_keeps_its_members_and_takes_changes(shops: Shops) -> None:
    ids = await add_contacts(shops.db, shops.a, [{"wa_id": f"1555010000{i}"} for i in range(1, 5)])
    for wa_id in ("15550100001", "15550100002"):
        await contacts.update_contact(shops.db, shops.system, ids[wa_id], tenant_slug="shop-a", add_tags=["vip"])
    view = await audiences.create_audience(
        shops.db, shops.system, "June VIPs", StaticRules(), tenant_slug="shop-a", snapshot=SegmentRules(tags=("vip",))
    )
    assert (view.kind, view.members, view.summary) == ("static", 2, "list (filter)")
    await contacts.update_contact(shops.db, shops.system, ids["15550100003"], tenant_slug="shop-a", add_tags=["vip"])
    assert len(await resolved(shops.db, shops.a, view.id)) == 2  # a snapshot: later VIPs do not join
    add = audiences.add_members
    assert await add(shops.db, shops.system, "June VIPs", tenant_slug="shop-a", contact_ids=[ids["15550100004"]]) == 1
    assert await add(shops.db, shops.system, "June VIPs", tenant_slug="shop-a", phones=["+1 555 010 0001"]) == 0
    assert await add(shops.db, shops.system, "June VIPs", tenant_slug="shop-a", phones=["+447911123456"]) == 1
    assert await contact_count(shops.db, shops.a) == 5  # the new number became a contact
    removed = await audiences.remove_members(
        shops.db, shops.system, "June VIPs", tenant_slug="shop-a", where=SegmentRules(tags=("vip",))
    )
    assert removed == 2
    got = {r.wa_id for r in await resolved(shops.db, shops.a, "audience:June VIPs")}
    assert got == {"15550100004", "447911123456"}
    assert (await audiences.get_audience(shops.db, shops.system, "June VIPs", tenant_slug="shop-a")).members == 2


async def test_a_list_from_csv_is_all_or_nothing(shops: Shops, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", "phone,name\n+15550100001,Ann\n+15550100002,Bob\n")
    view, report = await audiences.create_static_from_csv(
        shops.db, shops.system, "Fair", good, ImportOptions(), tenant_slug="shop-a"
    )
    assert (view.members, view.summary, report.inserted, report.audience) == (2, "list (csv:good.csv)", 2, "Fair")
    bad = write_csv(tmp_path / "bad.csv", "phone,name\n+15550100003,Carl\nnope,Dan\n")
    with pytest.raises(contacts.CsvRowsInvalid, match="line 3"):
        await audiences.create_static_from_csv(shops.db, shops.system, "Broken", bad, tenant_slug="shop-a")
    names = [a.name for a in await audiences.list_audiences(shops.db, shops.system, tenant_slug="shop-a")]
    assert names == ["Fair"]
    assert await contact_count(shops.db, shops.a) == 2
    with pytest.raises(Conflict, match="already exists"):
        await audiences.create_static_from_csv(shops.db, shops.system, "Fair", good, tenant_slug="shop-a")


async def test_delete_keeps_contacts_and_waits_for_unstarted_campaigns(shops: Shops) -> None:
    await add_contacts(shops.db, shops.a, [{"wa_id": "15550100001"}])
    view = await audiences.create_audience(
        shops.db, shops.system, "All", StaticRules(), tenant_slug="shop-a", snapshot=SegmentRules()
    )
    seg = await audiences.create_audience(shops.db, shops.system, "seg", SegmentRules(), tenant_slug="shop-a")
    with pytest.raises(InvalidInput, match="only static lists have members"):
        await audiences.add_members(shops.db, shops.system, seg.name, tenant_slug="shop-a", contact_ids=[1])
    campaign = await add_campaign(shops.db, shops.a, [], state="draft", audience_id=view.id)
    with pytest.raises(Conflict, match=f"used by campaign\\(s\\) {campaign}"):
        await audiences.delete_audience(shops.db, shops.system, "All", tenant_slug="shop-a")
    await set_campaign(shops.db, shops.a, campaign, state="completed")
    deleted = await audiences.delete_audience(shops.db, shops.system, str(view.id), tenant_slug="shop-a")
    assert deleted.name == "All"
    assert [a.name for a in await audiences.list_audiences(shops.db, shops.system, tenant_slug="shop-a")] == ["seg"]
    assert await contact_count(shops.db, shops.a) == 1
