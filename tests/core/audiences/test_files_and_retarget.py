"""CSV-file audiences (read at each send) and retargeting by campaign status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.contacts_world import Shops, add_campaign, add_contacts, resolved, write_csv

from aimstors.core import audiences
from aimstors.core.audiences import AudienceCount, CsvFileRules, TableMapping
from aimstors.core.contacts import MalformedCsv
from aimstors.core.db.base import utcnow
from aimstors.core.errors import InvalidInput, NotFound


async def test_a_csv_audience_is_read_at_each_resolve(shops: Shops, tmp_path: Path) -> None:
    ids = await add_contacts(
        shops.db,
        shops.a,
        [{"wa_id": "12025550123", "profile_name": "Ann", "attributes": {"plan": "gold", "city": "x"}}],
    )
    file = write_csv(tmp_path / "send.csv", "Mobile,City\n(202) 555-0123,Paris\n")
    rules = CsvFileRules(str(file), TableMapping(attributes={"City": "city"}, region="US"))
    view = await audiences.create_audience(shops.db, shops.system, "weekly", rules, tenant_slug="shop-a")
    assert view.definition["path"] == str(file.resolve())
    [ann] = await resolved(shops.db, shops.a, view.id)
    assert (ann.contact_id, ann.name, ann.attributes) == (ids["12025550123"], "Ann", {"plan": "gold", "city": "Paris"})
    write_csv(file, "Mobile,City\n(202) 555-0123,Lyon\n+447911123456,London\nnonsense,Rome\n202-555-0123,Nice\n")
    got = await resolved(shops.db, shops.a, "audience:weekly")
    assert [(r.wa_id, r.contact_id, r.attributes["city"]) for r in got] == [
        ("12025550123", ids["12025550123"], "Lyon"),  # the first row of a repeated number wins
        ("447911123456", None, "London"),  # not a contact yet: still a recipient
    ]
    assert await audiences.count(shops.db, shops.a, view.id) == AudienceCount(2, 0, 0, 1, 2)
    write_csv(file, b"Mobile,City\n+447911123456,Lond\xf3n\n")
    with pytest.raises(MalformedCsv, match="line 2: byte 0xf3"):
        await resolved(shops.db, shops.a, view.id)


async def test_a_csv_audience_checks_its_file_when_created(shops: Shops, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "x.csv", "name,city\nAnn,Paris\n")
    with pytest.raises(MalformedCsv, match="line 1: no phone column found"):
        await audiences.create_audience(shops.db, shops.system, "x", CsvFileRules(str(file)), tenant_slug="shop-a")
    with pytest.raises(InvalidInput, match="cannot read"):
        await audiences.create_audience(
            shops.db, shops.system, "x", CsvFileRules(str(tmp_path / "missing.csv")), tenant_slug="shop-a"
        )
    assert await audiences.list_audiences(shops.db, shops.system, tenant_slug="shop-a") == []


async def test_retargeting_by_how_far_the_send_got(shops: Shops) -> None:
    now = utcnow()
    sent = now - dt.timedelta(hours=5)
    ids = await add_contacts(
        shops.db,
        shops.a,
        [
            {"wa_id": "15550100001", "last_inbound_at": now - dt.timedelta(hours=1)},  # replied after the send
            {"wa_id": "15550100002", "last_inbound_at": now - dt.timedelta(days=2)},  # wrote before it: no reply
            {"wa_id": "15550100003"},
            {"wa_id": "15550100004"},
        ],
    )
    states = [
        ("15550100001", {"state": "read", "wamid": "w1", "sent_at": sent, "read_at": now}),
        ("15550100002", {"state": "delivered", "wamid": "w2", "sent_at": sent, "delivered_at": now}),
        ("15550100003", {"state": "failed", "error_code": 131026}),
        ("15550100004", {"state": "sent", "wamid": "w4", "sent_at": sent}),
        ("15550100005", {"state": "read", "wamid": "w5", "sent_at": sent}),  # from a file: not a contact
    ]
    rows = [{"wa_id": n, "contact_id": ids.get(n), **values} for n, values in states]
    campaign = await add_campaign(shops.db, shops.a, rows)
    expect = {
        "read": {"1", "5"},
        "delivered": {"1", "2", "5"},
        "unread": {"2", "4"},
        "replied": {"1"},
        "failed": {"3"},
        "sent": {"1", "2", "4", "5"},
        "failed,replied": {"1", "3"},
    }
    for statuses, numbers in expect.items():
        got = await resolved(shops.db, shops.a, f"campaign:{campaign}:{statuses}")
        assert {r.wa_id[-1] for r in got} == numbers, statuses
    view = await audiences.create_audience(
        shops.db, shops.system, "no reply", audiences.RetargetRules(campaign, ("unread",)), tenant_slug="shop-a"
    )
    assert view.summary == f"campaign {campaign}: unread"
    assert (await audiences.count(shops.db, shops.a, view.id)).eligible == 2
    with pytest.raises(NotFound, match="no campaign 999"):
        await audiences.create_audience(
            shops.db, shops.system, "ghost", audiences.RetargetRules(999, ("read",)), tenant_slug="shop-a"
        )
    with pytest.raises(NotFound, match="no campaign 999 to retarget"):
        await resolved(shops.db, shops.a, "campaign:999:read")
    with pytest.raises(InvalidInput, match="'opened' is unknown"):
        await resolved(shops.db, shops.a, f"campaign:{campaign}:opened")
