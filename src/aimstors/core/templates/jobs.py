"""The ``templates.sync`` job: the periodic sync of every connected account's templates (or of one).

Payload: ``{}`` (or the scheduler's ``{"period": …}``) syncs every WhatsApp account of every workspace;
``{"tenant_id": T}`` one workspace's accounts; ``{"tenant_id": T, "account_id": A}`` one account. An account
that fails does not stop the others; the job fails (and is retried with backoff) only when a failure may pass
(Meta unreachable, throttled, 5xx) — an account whose token Meta refuses is logged and skipped until it is
connected again.

The daemon calls :func:`register` when it builds its handler registry and may add :data:`SYNC_TICK` to the
scheduler's ticks (hourly, deduplicated per hour across daemons).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from sqlalchemy import select

from aimstors.core.channel import CloudApiError
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Tenant, WhatsAppAccount
from aimstors.core.errors import AimstorsError, InvalidInput
from aimstors.core.queue import HandlerRegistry, JobContext, enqueue
from aimstors.core.schedule.ticks import TICKS
from aimstors.core.services import Services
from aimstors.core.templates.sync import SyncReport, sync_account

__all__ = ["SYNC_KIND", "SYNC_TICK", "SyncFailed", "enqueue_sync", "register", "sync_all"]

log = logging.getLogger("aimstors.templates")

SYNC_KIND: Final = "templates.sync"
SYNC_TICK: Final = next(t for t in TICKS if t.kind == SYNC_KIND)
"""Hourly, at minute 41 (declared with the other ticks in :mod:`aimstors.core.schedule.ticks`)."""


class SyncFailed(AimstorsError):
    """Some accounts could not be synced for now (a retry may succeed); the others were."""

    code = "template_sync_failed"


def register(registry: HandlerRegistry, services: Services) -> None:
    """Register the ``templates.sync`` handler."""

    async def run(job: JobContext) -> None:
        tenant_id, account_id = _targets(job.payload)
        reports = await sync_all(services, tenant_id=tenant_id, account_id=account_id)
        log.info("template sync: %d accounts, %d templates changed", len(reports), sum(_changes(r) for r in reports))

    registry.add(SYNC_KIND, run)


def _targets(payload: dict[str, Any]) -> tuple[int | None, int | None]:
    try:
        tenant_id = int(payload["tenant_id"]) if payload.get("tenant_id") is not None else None
        account_id = int(payload["account_id"]) if payload.get("account_id") is not None else None
    except (TypeError, ValueError):
        raise InvalidInput("templates.sync payload: tenant_id and account_id are integers") from None
    if account_id is not None and tenant_id is None:
        raise InvalidInput("templates.sync payload: account_id needs its tenant_id")
    return tenant_id, account_id


def _changes(report: SyncReport) -> int:
    return report.created + report.updated + report.deleted


async def sync_all(
    services: Services, *, tenant_id: int | None = None, account_id: int | None = None
) -> list[SyncReport]:
    """Sync every account (of ``tenant_id``, or only ``account_id``); :class:`SyncFailed` after the others are
    done when an account failed in a way a retry may fix."""
    stmt = (
        select(WhatsAppAccount.tenant_id, WhatsAppAccount.id, WhatsAppAccount.waba_id)
        .join(Tenant, Tenant.id == WhatsAppAccount.tenant_id)
        .where(Tenant.kind == "workspace")
        .order_by(WhatsAppAccount.id)
    )
    if tenant_id is not None:
        stmt = stmt.where(WhatsAppAccount.tenant_id == tenant_id)
    if account_id is not None:
        stmt = stmt.where(WhatsAppAccount.id == account_id)
    async with services.db.session(Scope.system()) as session:
        accounts = [(row[0], row[1], row[2]) for row in await session.execute(stmt)]
    reports: list[SyncReport] = []
    retry: list[str] = []
    for owner, account, waba_id in accounts:
        try:
            reports.append(await sync_account(services, owner, account))
        except CloudApiError as exc:
            if exc.retryable or exc.status is None or exc.status >= 500:
                retry.append(waba_id)
            log.warning("template sync of WABA %s failed: %s (%s)", waba_id, exc.message, exc.code)
        except AimstorsError as exc:
            log.warning("template sync of WABA %s skipped: %s", waba_id, exc.message)
    if retry:
        raise SyncFailed(f"template sync failed for WABA {', '.join(retry)}; the other accounts were synced")
    return reports


async def enqueue_sync(db: Database, *, tenant_id: int | None = None, account_id: int | None = None) -> int | None:
    """Enqueue a sync now (of everything, one workspace or one account); returns the job id."""
    payload: dict[str, Any] = {}
    if tenant_id is not None:
        payload["tenant_id"] = tenant_id
    if account_id is not None:
        payload["account_id"] = account_id
    _targets(payload)
    return await enqueue(db, SYNC_KIND, payload, tenant_id=tenant_id)
