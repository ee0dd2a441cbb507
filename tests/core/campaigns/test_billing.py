"""Billing on a real database: rate cards from CSV, prices through plans and reseller margins, batched charges
against a reservation, and the usage rollup."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import insert, select

from aimstors.core import ledger, usage
from aimstors.core.billing import (
    Charge,
    assign_plan,
    country_of,
    load_rate_card,
    parse_rate_card,
    price_list,
    rollup_usage,
    settle_charges,
    show_prices,
)
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import DailyMetric, UsageEvent
from aimstors.core.errors import InsufficientFunds, InvalidInput, PermissionDenied
from aimstors.core.security import Actor, Role
from aimstors.core.tenancy import tenants

SYSTEM = Actor.system()
PLATFORM = "category,country,price\nmarketing,,0.02\nmarketing,IN,0.01\nutility,,0.004\nservice,,0\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("category,price,colour\n", "line 1: unknown column 'colour'"),
        ("country,price\nUS,1\n", "no 'category' column"),
        ("category,price\nmarketing,0.1\npromo,1\n", "line 3: unknown category 'promo'"),
        ("category,country,price\nmarketing,XX,0.1\n", "line 2: 'XX' is not an ISO 3166 country code"),
        ("category,price\nmarketing,-1\n", "line 2: price -1 is negative"),
        ("category,price\nmarketing,abc\n", "line 2: price: amount 'abc' is not a decimal"),
        (
            "category,country,price\nmarketing,,1\nmarketing,,2\n",
            "line 3: marketing for every other country is already",
        ),
        ("category,price\n", "no prices"),
    ],
)
def test_rate_card_mistakes_are_named_by_line(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        parse_rate_card(text)


def test_rate_card_rows_and_countries() -> None:
    rows = parse_rate_card("\ufeffPrice,Category\n0.0125,Marketing\n")
    assert [(r.category, r.country, r.price_micro) for r in rows] == [("marketing", "", 12_500)]
    assert (country_of("919876543210"), country_of("447911123456"), country_of("15551234567")) == ("IN", "GB", "US")
    assert country_of("999") == ""


async def test_prices_through_plans_and_reseller_margins(db: Database) -> None:
    await tenants.ensure_platform_root(db)
    await tenants.create_tenant(db, SYSTEM, slug="resell", kind="reseller")
    await tenants.create_tenant(db, SYSTEM, slug="shop", parent_slug="resell")
    await tenants.create_tenant(db, SYSTEM, slug="direct")
    shop = await tenants.get_tenant(db, SYSTEM, "shop")
    assert (await price_list(db, shop.id)).price("marketing", "US") == 0  # no plan anywhere: free

    await load_rate_card(db, SYSTEM, PLATFORM, plan="standard")
    await assign_plan(db, SYSTEM, "resell", plan="standard")
    await assign_plan(db, SYSTEM, "direct", plan="standard")
    # The reseller's own plan: 25% over its cost, and its own utility price.
    await load_rate_card(db, SYSTEM, "category,price\nutility,0.01\n", plan="retail", owner_slug="resell",
                         margin_bps=2500)  # fmt: skip
    view = await assign_plan(db, SYSTEM, "shop", plan="retail", owner_slug="resell")
    prices = {(p.category, p.country): p.price for p in view.prices}
    assert prices[("marketing", "")] == "0.025" and prices[("marketing", "IN")] == "0.0125"
    assert prices[("utility", "")] == "0.01" and prices[("service", "")] == "0"
    listed = await price_list(db, shop.id)
    assert (listed.plan, listed.price("MARKETING", "BR"), listed.price("marketing", "IN")) == ("retail", 25_000, 12_500)
    direct = await show_prices(db, SYSTEM, "direct")
    assert direct.plan == "standard"

    with pytest.raises(InvalidInput, match="is not below"):
        await assign_plan(db, SYSTEM, "direct", plan="retail", owner_slug="resell")
    agent = Actor(user_id=None, role=Role.WORKSPACE_ADMIN, tenant_id=shop.id, tenant_path=shop.path, kind="api_key")
    with pytest.raises((PermissionDenied, InvalidInput)):
        await load_rate_card(db, agent, PLATFORM, plan="mine")


async def test_batched_charges_are_once_per_key_and_never_overdraw(db: Database) -> None:
    await tenants.ensure_platform_root(db)
    shop = await tenants.create_tenant(db, SYSTEM, slug="shop")
    root = await ledger.platform_root_id(db)
    await ledger.topup(db, shop.id, 1_000_000, key="t")
    hold = await ledger.reserve(db, shop.id, 50_000, key="campaign:1:reserve")

    async def charge(*charges: Charge) -> int:
        async with db.connect(Scope.tenants({shop.id, root}), write=True) as conn:
            batch = await settle_charges(conn, tenant_id=shop.id, root_id=root, reservation_id=hold.transaction_id,
                                         charges=charges)  # fmt: skip
        return batch.total

    assert await charge(Charge("a", 10_000), Charge("b", 10_000), Charge("c", 0)) == 20_000
    assert await charge(Charge("a", 10_000), Charge("d", 5_000)) == 5_000  # "a" was charged already
    with pytest.raises(InsufficientFunds, match="left"):
        await charge(Charge("e", 20_000), Charge("f", 20_000))  # 25,000 left: the whole batch is refused
    assert await ledger.remaining(db, shop.id, hold.transaction_id) == 25_000
    # The same key through the ledger's own settle replays the batch's transaction.
    replay = await ledger.settle(db, shop.id, hold.transaction_id, 10_000, key="a")
    assert replay.replayed
    await ledger.release(db, shop.id, hold.transaction_id, key="campaign:1:release")
    balances = await ledger.balances(db, shop.id)
    assert (balances["credits"], balances["credits:reserved"]) == (1_000_000 - 25_000, 0)
    assert (await ledger.verify(db)).ok


async def test_usage_rollup_counts_and_prices_events(db: Database) -> None:
    await tenants.ensure_platform_root(db)
    shop = await tenants.create_tenant(db, SYSTEM, slug="shop")
    await load_rate_card(db, SYSTEM, PLATFORM, plan="standard")
    await assign_plan(db, SYSTEM, "shop", plan="standard")
    day = dt.date(2026, 3, 1)
    at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)

    def event(
        category: str, cost: int, country: str = "", kind: str = "message", quantity: int = 1
    ) -> dict[str, object]:
        return {"id": uuid.uuid4(), "occurred_at": at, "tenant_id": shop.id, "kind": kind, "category": category,
                "country": country, "quantity": quantity, "cost": cost, "details": {}}  # fmt: skip

    async with db.connect(Scope.tenant(shop.id), write=True) as conn:
        await conn.execute(
            insert(UsageEvent),
            [
                event("marketing", 20_000), event("marketing", 20_000),  # charged when sent (campaign)
                event("marketing", 0, "IN"),  # recorded from a status webhook: priced from the rate card
                event("utility", 0), event("", 7, kind="ai_tokens", quantity=1200),
            ],
        )  # fmt: skip
    report = await rollup_usage(db, since=day, until=day)
    assert (report.days, report.tenant_days) == (1, 1)
    again = await rollup_usage(db, since=day, until=day)  # rewriting a day is harmless
    assert again.metrics == report.metrics
    async with db.connect(Scope.tenant(shop.id)) as conn:
        metrics = dict((await conn.execute(select(DailyMetric.metric, DailyMetric.value))).all())
    assert metrics == {"messages.marketing": 3, "messages.utility": 1, "ai_tokens": 1200,
                       "credits": 20_000 * 2 + 10_000 + 4_000 + 7}  # fmt: skip
    seen = await usage.usage(db, SYSTEM, tenant_slug="shop", since=day, until=day)
    assert seen.messages == {"marketing": 3, "utility": 1} and seen.credits_micro == 54_007
    with pytest.raises(InvalidInput):
        await rollup_usage(db, since=day, until=day - dt.timedelta(days=1))
