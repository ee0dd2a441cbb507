"""The campaign engine's queue jobs, registered by :func:`register` (the daemon's workers run them).

- ``campaign.start`` (``{"tenant_id", "campaign_id"}``, at the scheduled time): start a scheduled campaign, then
  send it. A start that cannot happen (too few credits, a template no longer approved) fails the campaign with
  the reason shown — the job itself succeeds, there is nothing to retry.
- ``campaign.dispatch`` (same payload): run a :class:`~aimstors.core.campaigns.dispatcher.Dispatcher` until the
  campaign completes, pauses or is cancelled. Interrupted (the worker stops), it is retried and carries on.
- ``campaign.sweep`` (every minute): :func:`~aimstors.core.campaigns.reconcile.sweep`.
- ``usage.rollup`` (every ten minutes): :func:`~aimstors.core.billing.rollup_usage`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core import billing
from aimstors.core.campaigns.context import load
from aimstors.core.campaigns.dispatcher import Dispatcher, DispatchOptions, tenant_ref
from aimstors.core.campaigns.lifecycle import set_state, start
from aimstors.core.campaigns.reconcile import sweep
from aimstors.core.db import Database, Scope
from aimstors.core.errors import AimstorsError, InvalidInput
from aimstors.core.google.sheets import GoogleSheets
from aimstors.core.queue import HandlerRegistry, JobContext, JobSpec, enqueue_many
from aimstors.core.services import Services

__all__ = [
    "DISPATCH_KIND",
    "START_KIND",
    "SWEEP_KIND",
    "dispatch_key_prefix",
    "enqueue_dispatch",
    "enqueue_start",
    "register",
]

log = logging.getLogger("aimstors.campaigns")

START_KIND: Final = "campaign.start"
DISPATCH_KIND: Final = "campaign.dispatch"
SWEEP_KIND: Final = "campaign.sweep"
QUEUE: Final = "default"
MAX_ATTEMPTS: Final = 100  # a dispatch interrupted by worker restarts carries on each time


def dispatch_key_prefix(campaign_id: int) -> str:
    return f"campaign:{campaign_id}:dispatch:"


async def enqueue_start(
    db: Database, tenant_id: int, campaign_id: int, at: dt.datetime, *, conn: AsyncConnection | None = None
) -> None:
    """A ``campaign.start`` job at ``at`` (once per campaign and time)."""
    spec = JobSpec(
        START_KIND, {"tenant_id": tenant_id, "campaign_id": campaign_id}, queue=QUEUE, run_at=at,
        dedupe_key=f"campaign:{campaign_id}:start:{at.isoformat()}", max_attempts=10, tenant_id=tenant_id,
    )  # fmt: skip
    await enqueue_many(db, [spec], conn=conn)


async def enqueue_dispatch(
    db: Database,
    tenant_id: int,
    campaign_id: int,
    *,
    reason: str,
    workers: int = 1,
    conn: AsyncConnection | None = None,
) -> list[int]:
    """``workers`` ``campaign.dispatch`` jobs (several worker processes then share the campaign)."""
    if not 1 <= workers <= 16:
        raise InvalidInput("a campaign is sent by 1 to 16 dispatchers")
    token = uuid.uuid4().hex[:8]
    specs = [
        JobSpec(
            DISPATCH_KIND,
            {"tenant_id": tenant_id, "campaign_id": campaign_id},
            queue=QUEUE,
            dedupe_key=f"{dispatch_key_prefix(campaign_id)}{reason}:{token}:{slot}",
            max_attempts=MAX_ATTEMPTS,
            tenant_id=tenant_id,
        )
        for slot in range(workers)
    ]
    return await enqueue_many(db, specs, conn=conn)


def _ids(job: JobContext) -> tuple[int, int]:
    try:
        return int(job.payload["tenant_id"]), int(job.payload["campaign_id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{job.kind} payload must be {{'tenant_id': …, 'campaign_id': …}}") from None


def register(registry: HandlerRegistry, services: Services, *, options: DispatchOptions | None = None) -> None:
    """Register ``campaign.start``, ``campaign.dispatch``, ``campaign.sweep`` and ``usage.rollup``."""
    db = services.db

    async def start_job(job: JobContext) -> None:
        tenant_id, campaign_id = _ids(job)
        tenant = await tenant_ref(services, tenant_id)
        ctx = await load(db, tenant, campaign_id)
        if ctx.campaign.state == "scheduled":
            try:
                async with GoogleSheets.from_services(services) as sheets:
                    await start(db, ctx, sheets=sheets)
            except AimstorsError as exc:
                log.warning("campaign %d: the scheduled start failed: %s", campaign_id, exc.message)
                async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
                    reason = f"could not start: {exc.message}"
                    await set_state(conn, campaign_id, tenant_id, from_states={"scheduled"},
                                    values={"state": "failed", "pause_reason": reason})  # fmt: skip
                return
        await Dispatcher(services, tenant_id, campaign_id, options).run()

    async def dispatch_job(job: JobContext) -> None:
        tenant_id, campaign_id = _ids(job)
        await Dispatcher(services, tenant_id, campaign_id, options).run()

    async def sweep_job(_job: JobContext) -> None:
        await sweep(db)

    registry.add(START_KIND, start_job)
    registry.add(DISPATCH_KIND, dispatch_job)
    registry.add(SWEEP_KIND, sweep_job)
    billing.register(registry, db)
