"""The stored webhook events as operators see them: list, show, replay (``aimstors webhooks …``).

Events are install-wide (routing happens after storage), so: the system actor and platform-level admins see
every event, including unroutable ones; a reseller or workspace admin sees only events routed to its subtree.
Replaying re-runs stored raw events through :class:`~aimstors.core.inbound.processor.InboundProcessor`; it is
idempotent, so replaying twice changes nothing the first replay did not.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.sql import Select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Tenant
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.inbound.jobs import EventRef
from aimstors.core.inbound.processor import EVENTS, InboundProcessor
from aimstors.core.security import Action, Actor, Role, authorize

__all__ = ["EVENT_STATUSES", "ReplayResult", "WebhookEventDetail", "WebhookEventInfo", "get_event", "list_events",
           "replay"]  # fmt: skip

EVENT_STATUSES: Final = ("pending", "processed", "unroutable", "unmatched", "failed")
MAX_LIST: Final = 10_000
REPLAY_BATCH: Final = 200
_e = EVENTS.c
_INSTALL_WIDE = (Role.SUPER_ADMIN, Role.PLATFORM_ADMIN)


@dataclass(frozen=True, slots=True)
class WebhookEventInfo:
    id: uuid.UUID
    received_at: dt.datetime
    status: str
    tenant_id: int | None
    size: int
    processed_at: dt.datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class WebhookEventDetail:
    """One event with its body as received (contains phone numbers and message text: show it, never log it)."""

    id: uuid.UUID
    received_at: dt.datetime
    status: str
    tenant_id: int | None
    sha256: str
    processed_at: dt.datetime | None
    error: str | None
    body: Any  # the decoded JSON, or the raw text when it is not JSON


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    processed: int
    unroutable: int
    unmatched: int
    failed: int
    published: int


def _check_status(status: str | None) -> None:
    if status is not None and status not in EVENT_STATUSES:
        raise InvalidInput(f"unknown webhook event status {status!r}; use one of {', '.join(EVENT_STATUSES)}")


def _visible(actor: Actor, action: Action) -> ColumnElement[bool] | None:
    """The filter for what ``actor`` may see; None for everything. PermissionDenied without the action."""
    authorize(actor, action, actor.tenant_path)
    if actor.is_system or actor.role in _INSTALL_WIDE:
        return None
    subtree = select(Tenant.id).where(Tenant.path.startswith(actor.tenant_path))
    return _e.tenant_id.in_(subtree.scalar_subquery())


def _filtered(
    stmt: Select[Any],
    actor: Actor,
    action: Action,
    *,
    status: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Select[Any]:
    _check_status(status)
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("since/until must be timezone-aware")
    conditions = [c for c in (_visible(actor, action),) if c is not None]
    if status is not None:
        conditions.append(_e.status == status)
    if since is not None:
        conditions.append(_e.received_at >= since)
    if until is not None:
        conditions.append(_e.received_at < until)
    return stmt.where(and_(*conditions)) if conditions else stmt


async def list_events(
    db: Database,
    actor: Actor,
    *,
    status: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 50,
) -> list[WebhookEventInfo]:
    """The newest events first (filtered by outcome and time); bodies are not included."""
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be from 1 to {MAX_LIST}, not {limit}")
    stmt = select(
        _e.id, _e.received_at, _e.status, _e.tenant_id, func.length(_e.body), _e.processed_at, _e.error
    ).order_by(_e.received_at.desc(), _e.id.desc())
    stmt = _filtered(stmt, actor, Action.WEBHOOKS_READ, status=status, since=since, until=until).limit(limit)
    async with db.connect(Scope.system()) as conn:
        rows = (await conn.execute(stmt)).all()
    return [WebhookEventInfo(r[0], r[1], r[2], r[3], int(r[4] or 0), r[5], r[6]) for r in rows]


def _event_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a webhook event id (a UUID, as `aimstors webhooks list` shows)") from None


async def get_event(db: Database, actor: Actor, event_id: str) -> WebhookEventDetail:
    """One event with its decoded body; NotFound when it does not exist or is outside the actor's view."""
    wanted = _event_id(event_id)
    stmt = select(
        _e.id, _e.received_at, _e.status, _e.tenant_id, _e.body_sha256, _e.processed_at, _e.error, _e.body
    ).where(_e.id == wanted)
    stmt = _filtered(stmt, actor, Action.WEBHOOKS_READ, status=None, since=None, until=None)
    async with db.connect(Scope.system()) as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"no webhook event {wanted}")
    raw = bytes(row[7])
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", errors="replace")
    return WebhookEventDetail(row[0], row[1], row[2], row[3], row[4], row[5], row[6], body)


async def replay(
    db: Database,
    processor: InboundProcessor,
    actor: Actor,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    status: str | None = None,
    event_ids: list[str] | None = None,
    limit: int = 100_000,
) -> ReplayResult:
    """Process stored events again, oldest first: those received in [since, until) with ``status``, or the
    given ``event_ids``. At least one of ``since``, ``status``, ``event_ids`` is required (no accidental
    replay of everything)."""
    if since is None and status is None and not event_ids:
        raise InvalidInput("say which events to replay: --since, --status or event ids")
    stmt = select(_e.id, _e.received_at).order_by(_e.received_at, _e.id).limit(limit)
    if event_ids:
        stmt = stmt.where(_e.id.in_([_event_id(e) for e in event_ids]))
    stmt = _filtered(stmt, actor, Action.WEBHOOKS_REPLAY, status=status, since=since, until=until)
    async with db.connect(Scope.system()) as conn:
        refs = [EventRef(r[0], r[1]) for r in (await conn.execute(stmt)).all()]
    if event_ids and len(refs) < len(set(event_ids)):
        raise NotFound("some of those webhook events do not exist (or are outside your view)")
    totals: Counter[str] = Counter()
    published = 0
    for start in range(0, len(refs), REPLAY_BATCH):
        report = await processor.process(refs[start : start + REPLAY_BATCH], reconcile_round=None)
        totals.update(report.statuses)
        published += report.published
    return ReplayResult(
        events=len(refs),
        processed=totals["processed"],
        unroutable=totals["unroutable"],
        unmatched=totals["unmatched"],
        failed=totals["failed"],
        published=published,
    )
