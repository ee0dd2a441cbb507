"""Templates, balance and usage over real HTTP through the typed client."""

from __future__ import annotations

import datetime as dt

import pytest

from aimstors.client import AimstorsClient, Forbidden, InvalidRequest, NotFoundError
from aimstors.core import credits
from aimstors.core.db import Scope
from aimstors.core.db.models import DailyMetric
from aimstors.core.security import Actor

from .conftest import Daemon
from .seed import add_usage, seed_workspace, tenant_id


async def test_templates_list_filter_show(daemon: Daemon) -> None:
    mine = await seed_workspace(daemon.services.db, "shop-a", contacts=0)
    theirs = await seed_workspace(daemon.services.db, "shop-b", contacts=0)
    async with AimstorsClient(daemon.url) as client:
        await client.login("agent@shop-a.test", "long enough pw")
        listed = await client.templates.list()
        assert [(t.id, t.name, t.language, t.waba_id) for t in listed] == [
            (mine.template, "order_update", "en_US", "waba-shop-a")
        ]
        assert await client.templates.list(status="approved", category="utility") == listed
        assert await client.templates.list(status="REJECTED") == []
        shown = await client.templates.get(mine.template)
        assert shown.components == [{"type": "BODY", "text": "Your order {{1}} has shipped"}]
        with pytest.raises(NotFoundError):
            await client.templates.get(theirs.template)


async def test_balance_reads_the_ledger_within_reach(daemon: Daemon) -> None:
    await credits.topup(daemon.services.db, Actor.system(), "shop-a", "12.5", key="test-topup")
    async with AimstorsClient(daemon.url) as admin:
        await admin.login("admin@shop-a.test", "long enough pw")
        balance = await admin.balance()
        assert (balance.tenant, balance.available, balance.available_micro) == ("shop-a", "12.5", 12_500_000)
        with pytest.raises(NotFoundError):
            await admin.balance("shop-b")
    async with AimstorsClient(daemon.url) as reseller:
        await reseller.login("reseller@resell.test", "long enough pw")
        assert (await reseller.balance("shop-a")).available == "12.5"
    async with AimstorsClient(daemon.url) as agent:
        await agent.login("agent@shop-a.test", "long enough pw")
        with pytest.raises(Forbidden):
            await agent.balance()


async def test_usage_per_day_from_events_and_rollups(daemon: Daemon) -> None:
    db = daemon.services.db
    day1 = dt.date(2026, 3, 1)
    at = dt.datetime(2026, 3, 1, 23, 59, tzinfo=dt.UTC)
    await add_usage(db, "shop-a", at, category="marketing", quantity=2, cost=1_500_000)
    await add_usage(db, "shop-a", at, category="utility", cost=250_000)
    await add_usage(db, "shop-a", at + dt.timedelta(minutes=2), category="marketing", cost=750_000)  # next day
    await add_usage(db, "shop-a", at, kind="ai_tokens", quantity=900, cost=10)
    await add_usage(db, "shop-b", at, category="marketing", cost=99)
    tid = await tenant_id(db, "shop-a")
    async with db.session(Scope.tenant(tid), write=True) as session:  # a day whose events were retired
        session.add_all([
            DailyMetric(tenant_id=tid, day=dt.date(2026, 2, 28), metric="messages.service", value=4),
            DailyMetric(tenant_id=tid, day=dt.date(2026, 2, 28), metric="credits", value=2_000_000),
            DailyMetric(tenant_id=tid, day=day1, metric="credits", value=1),  # a stale rollup hides no cost
            DailyMetric(tenant_id=tid, day=day1 + dt.timedelta(days=1), metric="credits", value=900_000),  # priced
            DailyMetric(tenant_id=tid, day=day1 + dt.timedelta(days=1), metric="messages.marketing", value=7),
        ])  # fmt: skip
    async with AimstorsClient(daemon.url) as client:
        await client.login("admin@shop-a.test", "long enough pw")
        report = await client.usage(since=dt.date(2026, 2, 27), until=dt.date(2026, 3, 2))
        assert [d.day for d in report.days] == [dt.date(2026, 2, 27) + dt.timedelta(days=i) for i in range(4)]
        empty, rolled, first, second = report.days
        assert (empty.source, empty.messages_total, empty.credits) == ("none", 0, "0")
        assert (rolled.source, rolled.messages, rolled.credits) == ("rollup", {"service": 4}, "2")
        assert first.source == "events" and first.messages == {"marketing": 2, "utility": 1}
        assert (first.ai_tokens, first.credits_micro, first.credits) == (900, 1_750_010, "1.75001")
        assert second.messages == {"marketing": 1} and second.credits == "0.9"  # counts from events, price rolled
        assert report.messages == {"marketing": 3, "service": 4, "utility": 1} and report.messages_total == 8
        assert report.credits_micro == 2_000_000 + 1_750_010 + 900_000

        default = await client.usage()
        assert len(default.days) == 30 and default.until == dt.datetime.now(dt.UTC).date()
        with pytest.raises(InvalidRequest) as backwards:
            await client.usage(since=dt.date(2026, 3, 2), until=dt.date(2026, 3, 1))
        assert "after" in backwards.value.message
        with pytest.raises(InvalidRequest) as too_long:
            await client.usage(since=dt.date(2024, 1, 1), until=dt.date(2026, 1, 1))
        assert "at most 366" in too_long.value.message

    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as raw:
        bad = await raw.get("/api/v1/tenants/shop-a/usage", params={"since": "yesterday"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
