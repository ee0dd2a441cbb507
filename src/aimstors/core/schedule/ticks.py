"""The clock's periodic work, as data: which job each tick enqueues and how often.

A tick enqueues one job with the dedupe key ``tick:<kind>:<period>`` (the hour, day or month it fires in), so
however many schedulers fire the same tick — several daemons, a restart within the period — the job exists
once. The ``cron`` fields are APScheduler ``CronTrigger`` arguments; :mod:`aimstors.daemon.runtime` drives them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final, Literal

from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.queue import enqueue

__all__ = ["PARTITIONS_KIND", "TICKS", "Tick", "fire", "period_key"]

PARTITIONS_KIND: Final = "db.partitions"

Period = Literal["minute", "hour", "day", "month"]
_FORMATS: Final[dict[Period, str]] = {"minute": "%Y-%m-%dT%H:%M", "hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d",
                                      "month": "%Y-%m"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tick:
    kind: str  # the job kind it enqueues
    period: Period  # at most one job per period
    cron: dict[str, str] = field(default_factory=dict)  # CronTrigger fields (UTC)
    queue: str = "default"
    run_at_start: bool = True  # also fire when the scheduler starts (the period's key keeps it once)


TICKS: Final[tuple[Tick, ...]] = (
    # Monthly partitions are created three months ahead; checking daily keeps that true without thought.
    Tick(PARTITIONS_KIND, "day", {"hour": "3", "minute": "17"}),
    # Campaigns: lost answers, dead dispatchers, reservations to release (aimstors.core.campaigns.reconcile).
    Tick("campaign.sweep", "minute", {"second": "7"}),
    # usage_events → tenant_daily_metrics (aimstors.core.billing.rollup).
    Tick("usage.rollup", "minute", {"minute": "*/10", "second": "37"}),
    # Template status from Meta: webhooks bring changes sooner; this catches what they missed.
    Tick("templates.sync", "hour", {"minute": "41"}),
)


def period_key(period: Period, now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime(_FORMATS[period])


async def fire(db: Database, tick: Tick, *, now: dt.datetime | None = None) -> int | None:
    """Enqueue the tick's job for the current period; returns its id, or None when this period has it already."""
    key = period_key(tick.period, now or utcnow())
    return await enqueue(db, tick.kind, {"period": key}, queue=tick.queue, dedupe_key=f"tick:{tick.kind}:{key}")
