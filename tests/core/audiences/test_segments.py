"""Segments: saved filters on tags, attributes and last inbound time, evaluated when resolved."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.contacts_world import Shops, add_contacts, resolved

from aimstors.core import audiences, contacts
from aimstors.core.audiences import AudienceSpec, SegmentRules
from aimstors.core.contacts import AttributeCondition as Attr
from aimstors.core.db.base import utcnow
from aimstors.core.errors import InvalidInput


async def _people(shops: Shops) -> dict[str, int]:
    now = utcnow()
    day = dt.timedelta(days=1)
    ids = await add_contacts(
        shops.db,
        shops.a,
        [
            {"wa_id": "15550100001", "attributes": {"city": "Paris", "plan": "gold"}, "last_inbound_at": now - day},
            {"wa_id": "15550100002", "attributes": {"city": "paris-sud"}, "last_inbound_at": now - 40 * day},
            {"wa_id": "15550100003", "attributes": {"plan": "free"}},
            {"wa_id": "15550100004", "attributes": {"score": 5}, "last_inbound_at": now - dt.timedelta(hours=2)},
        ],
    )  # fmt: skip
    for wa_id, tags in [("15550100001", ["vip", "new"]), ("15550100002", ["vip"]), ("15550100003", ["new"])]:
        await contacts.update_contact(shops.db, shops.system, ids[wa_id], tenant_slug="shop-a", add_tags=tags)
    await add_contacts(shops.db, shops.b, [{"wa_id": "15550100001"}, {"wa_id": "15550100009"}])  # another workspace
    return ids


CASES: list[tuple[SegmentRules, set[str]]] = [
    (SegmentRules(), {"1", "2", "3", "4"}),
    (SegmentRules(tags=("vip",)), {"1", "2"}),
    (SegmentRules(tags=("vip", "new")), {"1"}),
    (SegmentRules(any_tags=("new", "vip")), {"1", "2", "3"}),
    (SegmentRules(without_tags=("vip",)), {"3", "4"}),
    (SegmentRules(attributes=(Attr("city", "equals", "Paris"),)), {"1"}),
    (SegmentRules(attributes=(Attr("city", "contains", "PARIS"),)), {"1", "2"}),
    (SegmentRules(attributes=(Attr("plan", "exists"),)), {"1", "3"}),
    (SegmentRules(attributes=(Attr("score", "equals", "5"),)), {"4"}),
    (SegmentRules(inbound_within="7d"), {"1", "4"}),
    (SegmentRules(inbound_older_than="30d"), {"2", "3"}),
    (SegmentRules(tags=("vip",), inbound_within="1w"), {"1"}),
    (SegmentRules(opted_out=True), set()),
]


async def test_segment_rules_select_the_right_contacts(shops: Shops) -> None:
    await _people(shops)
    for rules, expected in CASES:
        got = await resolved(shops.db, shops.a, AudienceSpec(rules))
        assert {r.wa_id[-1] for r in got} == expected, rules
        totals = await audiences.count(shops.db, shops.a, AudienceSpec(rules))
        assert totals.eligible == totals.matched == len(expected), rules


async def test_a_saved_segment_is_evaluated_at_each_resolve(shops: Shops) -> None:
    ids = await _people(shops)
    view = await audiences.create_audience(
        shops.db, shops.system, "VIPs", SegmentRules(tags=("vip",)), tenant_slug="shop-a"
    )
    assert (view.kind, view.summary, view.members) == ("segment", "tagged vip", None)
    assert {r.wa_id for r in await resolved(shops.db, shops.a, view.id)} == {"15550100001", "15550100002"}
    await contacts.update_contact(shops.db, shops.system, ids["15550100004"], tenant_slug="shop-a", add_tags=["vip"])
    for ref in (view.id, "audience:VIPs", f"audience:{view.id}"):
        assert len(await resolved(shops.db, shops.a, ref)) == 3
    got = await resolved(shops.db, shops.a, "tag:vip", batch_size=2)
    assert [r.wa_id for r in got] == ["15550100001", "15550100002", "15550100004"]
    first = got[0]
    assert (first.contact_id, first.attributes) == (ids["15550100001"], {"city": "Paris", "plan": "gold"})


@pytest.mark.sqlite_only  # refused before any query
async def test_bad_segments_are_refused_when_saved(shops: Shops) -> None:
    bad = [
        (SegmentRules(inbound_within="soon"), "inbound_within 'soon' is not a duration"),
        (SegmentRules(attributes=(Attr("city", "equals", ""),)), "needs a value"),
        (SegmentRules(attributes=(Attr("city", "like", "x"),)), "is not one of equals, contains, exists"),  # type: ignore[arg-type]
        (SegmentRules(tags=("",)), "a tag cannot be empty"),
    ]
    for rules, says in bad:
        with pytest.raises(InvalidInput, match=says):
            await audiences.create_audience(shops.db, shops.system, "x", rules, tenant_slug="shop-a")
    assert await audiences.list_audiences(shops.db, shops.system, tenant_slug="shop-a") == []


def test_segment_definitions_round_trip_through_json() -> None:
    rules = SegmentRules(
        tags=("vip",), any_tags=("a", "b"), without_tags=("churned",),
        attributes=(Attr("city", "contains", "par"), Attr("plan", "exists")),
        inbound_within="7d", inbound_older_than="1d", opted_out=False,
    )  # fmt: skip
    assert SegmentRules.from_json(rules.to_json()) == rules
    with pytest.raises(InvalidInput, match="unknown segment setting"):
        SegmentRules.from_json({"tagz": ["x"]})
