"""Usage events rolled up into ``tenant_daily_metrics`` by a worker job (``usage.rollup``).

For each UTC day and tenant with events, the rollup writes ``messages.<category>`` (count), ``ai_tokens`` and
``credits`` (micro-credits): the events' own cost, and for message events recorded without one (status webhooks
record deliveries at cost 0) the price the tenant's rate card gives their category and country. The rollup of a
day is rewritten whole each time, so running it again is harmless; days without events keep whatever rollup they
have (their events may have been retired with their partition). The metric names are :mod:`aimstors.core.usage`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import case, delete, func, insert, literal_column, or_, select

from aimstors.core.billing.pricing import PriceList, load_price_list
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import DailyMetric, UsageEvent
from aimstors.core.errors import InvalidInput
from aimstors.core.queue import HandlerRegistry, JobContext
from aimstors.core.usage import METRIC_AI_TOKENS, METRIC_CREDITS, METRIC_MESSAGES_PREFIX, message_metric

__all__ = ["ROLLUP_KIND", "RollupReport", "register", "rollup_usage"]

log = logging.getLogger("aimstors.billing")

ROLLUP_KIND: Final = "usage.rollup"
DEFAULT_DAYS: Final = 2  # today and yesterday: late webhooks still land in yesterday
MAX_DAYS: Final = 366


@dataclass(frozen=True, slots=True)
class RollupReport:
    """Days rolled up, tenant-days written and metric rows written."""

    days: int
    tenant_days: int
    metrics: int


def _day_of(db: Database) -> Any:
    if db.is_sqlite:  # naive UTC text, 'YYYY-MM-DD HH:MM:SS…'
        return func.substr(UsageEvent.occurred_at, 1, 10)
    return func.date(func.timezone(literal_column("'UTC'"), UsageEvent.occurred_at))


async def rollup_usage(db: Database, *, since: dt.date | None = None, until: dt.date | None = None) -> RollupReport:
    """Roll up the usage events of every tenant from ``since`` to ``until`` (UTC days, inclusive; by default
    yesterday and today). Each (tenant, day) with events gets its metrics rewritten in one transaction."""
    until = until or utcnow().date()
    since = since or until - dt.timedelta(days=DEFAULT_DAYS - 1)
    if since > until or (until - since).days + 1 > MAX_DAYS:
        raise InvalidInput(f"roll up from 1 to {MAX_DAYS} days, with since ({since}) not after until ({until})")
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
    day_of = _day_of(db)
    unpriced = case((UsageEvent.cost == 0, 1), else_=0)
    stmt = (
        select(
            UsageEvent.tenant_id, day_of.label("day"), UsageEvent.kind, UsageEvent.category, UsageEvent.country,
            unpriced.label("unpriced"), func.sum(UsageEvent.quantity), func.sum(UsageEvent.cost),
        )
        .where(UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end)
        .group_by(UsageEvent.tenant_id, day_of, UsageEvent.kind, UsageEvent.category, UsageEvent.country, unpriced)
    )  # fmt: skip
    metrics: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    prices: dict[int, PriceList] = {}
    async with db.connect(Scope.system()) as conn:
        for tenant_id, raw_day, kind, category, country, is_unpriced, raw_quantity, raw_cost in await conn.execute(
            stmt
        ):
            day = raw_day if isinstance(raw_day, dt.date) else dt.date.fromisoformat(str(raw_day)[:10])
            values = metrics[(int(tenant_id), day)]
            quantity, cost = int(raw_quantity or 0), int(raw_cost or 0)
            if kind == "message":
                values[message_metric(category or "")] += quantity
                if is_unpriced:
                    if tenant_id not in prices:
                        prices[tenant_id] = await load_price_list(conn, tenant_id)
                    cost += quantity * prices[tenant_id].price(category or "", country or "")
            elif kind == "ai_tokens":
                values[METRIC_AI_TOKENS] += quantity
            values[METRIC_CREDITS] += cost
    written = 0
    for (tenant_id, day), values in sorted(metrics.items()):
        async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
            await conn.execute(
                delete(DailyMetric).where(
                    DailyMetric.tenant_id == tenant_id,
                    DailyMetric.day == day,
                    or_(
                        DailyMetric.metric.like(f"{METRIC_MESSAGES_PREFIX}%"),
                        DailyMetric.metric.in_([METRIC_CREDITS, METRIC_AI_TOKENS]),
                    ),
                )
            )
            rows = [{"tenant_id": tenant_id, "day": day, "metric": m, "value": v} for m, v in sorted(values.items())]
            await conn.execute(insert(DailyMetric), rows)
            written += len(rows)
    days = (until - since).days + 1
    log.info("usage rollup: %d day(s), %d tenant-day(s), %d metric(s)", days, len(metrics), written)
    return RollupReport(days, len(metrics), written)


def register(registry: HandlerRegistry, db: Database) -> None:
    """Register the ``usage.rollup`` handler (payload: optional ``since``/``until`` ISO dates)."""

    async def rollup(job: JobContext) -> None:
        since, until = job.payload.get("since"), job.payload.get("until")
        await rollup_usage(
            db,
            since=dt.date.fromisoformat(since) if since else None,
            until=dt.date.fromisoformat(until) if until else None,
        )

    registry.add(ROLLUP_KIND, rollup)
