"""Usage of a tenant per day: messages by pricing category, AI tokens and credits spent.

The source of truth is ``usage_events`` (append-only, one row per billable thing). ``tenant_daily_metrics`` holds
rollups of them, written by a worker under the metric names below; a day whose events are gone (their monthly
partition detached for retention) is read from its rollup instead. Days are UTC days.

Counts (messages, AI tokens) of a day come from its events whenever it has any. Credits are the larger of the
events' own costs and the rollup's ``credits``: ingest records message events at cost 0 and the rollup prices them
from the rate card, while a rollup that lags behind never hides costs the events already carry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal_column, select

from aimstors.core.db import Database
from aimstors.core.db.models import DailyMetric, UsageEvent
from aimstors.core.errors import InvalidInput
from aimstors.core.ledger import micro_to_credits
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import target_tenant

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "METRIC_AI_TOKENS",
    "METRIC_CREDITS",
    "METRIC_MESSAGES_PREFIX",
    "UsageDay",
    "UsageReport",
    "message_metric",
    "usage",
]

METRIC_MESSAGES_PREFIX = "messages."
"""``messages.<category>``: messages of that pricing category (``marketing``, ``utility``, ...) that day."""
METRIC_CREDITS = "credits"
"""Micro-credits spent that day, all kinds of usage together."""
METRIC_AI_TOKENS = "ai_tokens"
"""AI tokens used that day."""

DEFAULT_DAYS = 30
MAX_DAYS = 366
UNCATEGORISED = "uncategorised"


def message_metric(category: str) -> str:
    """The rollup metric name for messages of ``category``."""
    return METRIC_MESSAGES_PREFIX + (category.lower() or UNCATEGORISED)


@dataclass(slots=True)
class UsageDay:
    """One UTC day. ``source`` is ``events``, ``rollup`` (events no longer kept) or ``none`` (nothing recorded)."""

    day: dt.date
    messages: dict[str, int] = field(default_factory=dict)
    messages_total: int = 0
    ai_tokens: int = 0
    credits: str = "0"
    credits_micro: int = 0
    source: str = "none"


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Every day from ``since`` to ``until`` (both included), oldest first, and their totals."""

    tenant: str
    since: dt.date
    until: dt.date
    days: list[UsageDay]
    messages: dict[str, int]
    messages_total: int
    ai_tokens: int
    credits: str
    credits_micro: int


def _period(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    until = until or dt.datetime.now(dt.UTC).date()
    since = since or until - dt.timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise InvalidInput(f"since ({since}) is after until ({until})")
    if (until - since).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the period is {(until - since).days + 1} days; ask for at most {MAX_DAYS} at a time")
    return since, until


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _day_of(db: Database) -> Any:
    if db.is_sqlite:  # stored as naive UTC text, 'YYYY-MM-DD HH:MM:SS…'
        return func.substr(UsageEvent.occurred_at, 1, 10)
    # A literal, not a bound parameter: Postgres matches GROUP BY expressions by text.
    return func.date(func.timezone(literal_column("'UTC'"), UsageEvent.occurred_at))


def _add(day: UsageDay, *, category: str | None = None, messages: int = 0, tokens: int = 0, cost: int = 0) -> None:
    if category is not None and messages:
        day.messages[category] = day.messages.get(category, 0) + messages
        day.messages_total += messages
    day.ai_tokens += tokens
    day.credits_micro += cost


def _add_events(day: UsageDay, kind: str, category: str | None, quantity: int, cost: int) -> None:
    """Count one (kind, category) group of a day's events."""
    day.source = "events"
    if kind == "message":
        _add(day, category=(category or UNCATEGORISED).lower(), messages=quantity)
    elif kind == "ai_tokens":
        _add(day, tokens=quantity)
    _add(day, cost=cost)


def _rolled_up(when: dt.date, metrics: list[tuple[str, int]]) -> UsageDay:
    """A day as its rollup metrics tell it."""
    day = UsageDay(when, source="rollup")
    for metric, value in metrics:
        if metric.startswith(METRIC_MESSAGES_PREFIX):
            _add(day, category=metric.removeprefix(METRIC_MESSAGES_PREFIX), messages=value)
        elif metric == METRIC_AI_TOKENS:
            _add(day, tokens=value)
        elif metric == METRIC_CREDITS:
            _add(day, cost=value)
    return day


async def usage(
    db: Database,
    actor: Actor,
    *,
    tenant_slug: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> UsageReport:
    """Daily usage of a tenant (the actor's own unless ``tenant_slug`` names one in its reach).

    Defaults to the last 30 days up to today (UTC). InvalidInput when ``since`` is after ``until`` or the period is
    longer than a year.
    """
    since, until = _period(since, until)
    tenant = await target_tenant(db, actor, tenant_slug, Action.USAGE_READ)
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
    day_of = _day_of(db)
    events = (
        select(
            day_of.label("day"),
            UsageEvent.kind,
            UsageEvent.category,
            func.sum(UsageEvent.quantity),
            func.sum(UsageEvent.cost),
        )
        .where(UsageEvent.tenant_id == tenant.id, UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end)
        .group_by(day_of, UsageEvent.kind, UsageEvent.category)
    )
    rollups = select(DailyMetric.day, DailyMetric.metric, DailyMetric.value).where(
        DailyMetric.tenant_id == tenant.id, DailyMetric.day >= since, DailyMetric.day <= until
    )
    days = {
        since + dt.timedelta(days=i): UsageDay(since + dt.timedelta(days=i)) for i in range((until - since).days + 1)
    }
    async with db.session(tenant.scope) as session:
        for raw_day, kind, category, quantity, cost in await session.execute(events):
            _add_events(days[_as_date(raw_day)], kind, category, int(quantity or 0), int(cost or 0))
        by_day: dict[dt.date, list[tuple[str, int]]] = defaultdict(list)
        for raw_day, metric, value in await session.execute(rollups):
            by_day[_as_date(raw_day)].append((metric, int(value)))
    for when, metrics in by_day.items():
        day, rolled = days[when], _rolled_up(when, metrics)
        if day.source == "events":  # the events are the truth for counts; the rollup may have priced them
            day.credits_micro = max(day.credits_micro, rolled.credits_micro)
        else:
            days[when] = rolled
    ordered = [days[d] for d in sorted(days)]
    totals: dict[str, int] = defaultdict(int)
    for day in ordered:
        day.credits = micro_to_credits(day.credits_micro)
        for category, count in day.messages.items():
            totals[category] += count
    spent = sum(d.credits_micro for d in ordered)
    return UsageReport(
        tenant=tenant.slug,
        since=since,
        until=until,
        days=ordered,
        messages=dict(sorted(totals.items())),
        messages_total=sum(d.messages_total for d in ordered),
        ai_tokens=sum(d.ai_tokens for d in ordered),
        credits=micro_to_credits(spent),
        credits_micro=spent,
    )
