"""The clock: periodic ticks that enqueue jobs (deduplicated per period), the scheduler election, maintenance.

``ticks`` (what fires when), ``leader`` (one scheduler among many processes), ``maintenance`` (the handlers of
housekeeping jobs). The APScheduler loop that fires ticks lives in the daemon (``aimstors.daemon.runtime``).
"""

from __future__ import annotations

from aimstors.core.schedule.leader import LeaderLock
from aimstors.core.schedule.ticks import PARTITIONS_KIND, TICKS, Tick, fire, period_key

__all__ = ["PARTITIONS_KIND", "TICKS", "LeaderLock", "Tick", "fire", "period_key"]
