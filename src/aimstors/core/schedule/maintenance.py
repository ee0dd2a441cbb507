"""Periodic maintenance jobs: monthly partitions ahead of time (Postgres)."""

from __future__ import annotations

import logging

from aimstors.core.db import Database, Scope
from aimstors.core.db.partitions import ensure_partitions
from aimstors.core.queue import HandlerRegistry, JobContext
from aimstors.core.schedule.ticks import PARTITIONS_KIND

__all__ = ["register"]

log = logging.getLogger("aimstors.scheduler")


def register(registry: HandlerRegistry, db: Database) -> None:
    """Register the maintenance handlers (``db.partitions``)."""

    async def partitions(_job: JobContext) -> None:
        if db.is_sqlite:
            return
        async with db.connect(Scope.system(), write=True) as conn:
            created = await ensure_partitions(conn)
        if created:
            log.info("created partitions: %s", ", ".join(created))

    registry.add(PARTITIONS_KIND, partitions)
