"""What a daemon process runs besides HTTP, by role: webhook ingest, the job worker, the scheduler clock.

``aimstors serve`` runs every role (``api``, ``worker``, ``scheduler``) in one process; ``--role`` picks some, so
a Postgres deployment can run N API processes, M workers and schedulers that elect one leader among them:

- ``api``: the group-commit webhook ingest and the event bus's cross-process listener (for live streams);
- ``worker``: a :class:`~aimstors.core.queue.Worker` on ``worker_queues`` with every core handler, counting job
  outcomes in the metrics;
- ``scheduler``: an APScheduler 3 ``AsyncIOScheduler`` firing :data:`~aimstors.core.schedule.TICKS`, each tick an
  enqueue with a dedupe key per period; only the elected leader fires (Postgres advisory lock).

:meth:`Runtime.stop` (the app's lifespan shutdown, after uvicorn stopped accepting and finished its requests)
commits deliveries still in the ingest, stops the scheduler, then stops the worker: jobs claimed but not started
are released at once, running ones get the worker's grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import Collection
from typing import Final

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from aimstors.core.errors import ConfigError
from aimstors.core.handlers import build_registry
from aimstors.core.inbound import WebhookIngest
from aimstors.core.inbound.ingest import MAX_BATCH
from aimstors.core.queue import HandlerRegistry, JobContext, Worker
from aimstors.core.queue.handlers import Handler
from aimstors.core.schedule import TICKS, LeaderLock, Tick, fire
from aimstors.core.services import Services
from aimstors.daemon.metrics import Metrics

__all__ = ["ROLES", "Runtime", "check_roles", "instrumented"]

log = logging.getLogger("aimstors.daemon")

ROLES: Final = ("api", "worker", "scheduler")


def check_roles(roles: Collection[str]) -> tuple[str, ...]:
    """The roles, validated (ConfigError naming an unknown one)."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ConfigError(f"unknown daemon role {unknown[0]!r}; use api, worker or scheduler")
    if not roles:
        raise ConfigError("a daemon needs at least one role (api, worker, scheduler)")
    return tuple(r for r in ROLES if r in roles)


def instrumented(registry: HandlerRegistry, metrics: Metrics) -> HandlerRegistry:
    """A copy of ``registry`` whose handlers count their outcomes in ``aimstors_jobs_total``."""
    out = HandlerRegistry()
    for kind in registry.kinds():
        handler = registry.get(kind)
        assert handler is not None
        out.add(kind, _counted(kind, handler, metrics))
    return out


def _counted(kind: str, handler: Handler, metrics: Metrics) -> Handler:
    async def run(job: JobContext) -> None:
        try:
            await handler(job)
        except Exception:
            metrics.jobs.labels(kind, "failed").inc()
            raise
        metrics.jobs.labels(kind, "succeeded").inc()

    return run


class Runtime:
    """The background parts of one daemon process (see the module docstring)."""

    def __init__(self, services: Services, metrics: Metrics, *, roles: Collection[str] | None = None) -> None:
        settings = services.settings
        self.services = services
        self.metrics = metrics
        self.roles = check_roles(settings.daemon_roles if roles is None else roles)
        self.ingest: WebhookIngest | None = None
        if "api" in self.roles:
            if not 1 <= settings.webhook_ingest_batch <= MAX_BATCH or settings.webhook_ingest_wait_ms < 0:
                raise ConfigError(f"webhook_ingest_batch must be 1-{MAX_BATCH} and webhook_ingest_wait_ms >= 0")
            self.ingest = WebhookIngest(
                services.db,
                max_batch=settings.webhook_ingest_batch,
                max_wait=settings.webhook_ingest_wait_ms / 1000,
                dedupe_window=dt.timedelta(hours=settings.webhook_dedupe_hours),
            )
        self.worker: Worker | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.leader: LeaderLock | None = None
        self._leading = False
        self._tasks: list[asyncio.Task[object]] = []

    async def start(self) -> None:
        if "api" in self.roles:
            await self.services.events.start()
            assert self.ingest is not None
            await self.ingest.start()
        if "worker" in self.roles:
            settings = self.services.settings
            # With the ingest in this process, processing yields to it while deliveries wait: both share one event
            # loop (and, on SQLite, one write lock), and Meta must be answered first.
            yield_to = self.ingest.yield_to_deliveries if self.ingest is not None else None
            registry = instrumented(build_registry(self.services, yield_to=yield_to), self.metrics)
            self.worker = Worker(
                self.services.db, registry, queues=settings.worker_queues, concurrency=settings.worker_concurrency
            )
            self._tasks.append(asyncio.create_task(self.worker.run(), name="daemon-worker"))
        if "scheduler" in self.roles:
            self._start_scheduler()
        # Everything loaded so far (modules, the app, settings) lives as long as the process: move it out of the
        # collector's reach, so full collections stop walking it — they were the ingest's worst latencies.
        gc.collect()
        gc.freeze()
        log.info("daemon roles: %s", ", ".join(self.roles))

    async def stop(self) -> None:
        """Commit what the ingest holds, stop the clock, then the worker (releasing or finishing its jobs)."""
        if self.ingest is not None:
            await self.ingest.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        background = [t for t in self._tasks if t.get_name() != "daemon-worker"]
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if self.leader is not None:
            await self.leader.release()
        if self.worker is not None:
            self.worker.stop()
            for task in self._tasks:
                if task.get_name() == "daemon-worker":
                    with contextlib.suppress(Exception):
                        await task
        self._tasks.clear()

    # --------------------------------------------------------------------------------------------- scheduler

    def _start_scheduler(self) -> None:
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        for tick in TICKS:
            scheduler.add_job(
                self._fire,
                CronTrigger(timezone=dt.UTC, **tick.cron),
                args=[tick],
                id=tick.kind,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
        scheduler.start()
        self.scheduler = scheduler
        self.leader = LeaderLock(self.services.db)
        self._tasks.append(asyncio.create_task(self.leader.run(self._on_leadership), name="daemon-leader"))

    def _on_leadership(self, leading: bool) -> None:
        self._leading = leading
        if leading:
            for tick in TICKS:
                if tick.run_at_start:
                    self._tasks.append(asyncio.create_task(self._fire(tick), name=f"tick-{tick.kind}"))

    async def _fire(self, tick: Tick) -> None:
        if not self._leading:
            return
        try:
            await fire(self.services.db, tick)
        except Exception as exc:  # the database is down: the next tick (or a restart) catches up
            log.warning("scheduler tick %s failed: %s", tick.kind, type(exc).__name__)
