"""Opted-out contacts are always suppressed, and so are contacts cooling down after a 131049, in every kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.contacts_world import Shops, add_campaign, add_contacts, resolved, write_csv

from aimstors.core import audiences
from aimstors.core.audiences import AudienceCount, AudienceSpec, CsvFileRules, StaticRules
from aimstors.core.db.base import utcnow

OK, OUT, COOLING, COOLED = "15550100001", "15550100002", "15550100003", "15550100004"


async def _contacts(shops: Shops) -> dict[str, int]:
    now = utcnow()
    return await add_contacts(
        shops.db,
        shops.a,
        [
            {"wa_id": OK},
            {"wa_id": OUT, "opted_out_at": now - dt.timedelta(days=3), "opt_out_source": "keyword"},
            {"wa_id": COOLING, "marketing_limited_until": now + dt.timedelta(hours=20)},
            {"wa_id": COOLED, "marketing_limited_until": now - dt.timedelta(minutes=1)},
        ],
    )


async def test_every_kind_suppresses_opted_out_and_cooling_down_contacts(shops: Shops, tmp_path: Path) -> None:
    ids = await _contacts(shops)
    static = await audiences.create_audience(shops.db, shops.system, "list", StaticRules(), tenant_slug="shop-a")
    await audiences.add_members(shops.db, shops.system, "list", tenant_slug="shop-a", contact_ids=list(ids.values()))
    file = write_csv(tmp_path / "list.csv", "phone,name\n" + "".join(f"+{n},x\n" for n in ids) + "+15550100099,New\n")
    csv_view = await audiences.create_audience(
        shops.db, shops.system, "file", CsvFileRules(str(file)), tenant_slug="shop-a"
    )
    campaign = await add_campaign(
        shops.db, shops.a, [{"wa_id": n, "contact_id": i, "state": "read", "wamid": f"w{n}"} for n, i in ids.items()]
    )
    for audience in (AudienceSpec.everyone(), static.id, f"campaign:{campaign}:read", csv_view.id):
        got = {r.wa_id for r in await resolved(shops.db, shops.a, audience)}
        assert got - {"15550100099"} == {OK, COOLED}, audience
        totals = await audiences.count(shops.db, shops.a, audience)
        extra = 1 if audience == csv_view.id else 0  # the file's number that is not a contact yet
        assert totals == AudienceCount(4 + extra, 1, 1, 0, 2 + extra), audience
        kept = {r.wa_id for r in await resolved(shops.db, shops.a, audience, marketing_limited=False)}
        assert kept - {"15550100099"} == {OK, COOLING, COOLED}, audience  # a utility send may reach them


async def test_suppression_is_judged_at_resolve_time(shops: Shops) -> None:
    await _contacts(shops)
    later = utcnow() + dt.timedelta(days=1)
    got = await resolved(shops.db, shops.a, "all", now=later)
    assert {r.wa_id for r in got} == {OK, COOLING, COOLED}
