"""``GET /api/v1/events``: Server-Sent Events of the caller's tenant, filtered by what the caller may see.

Each event is one SSE message: ``id`` (resume with ``Last-Event-ID``), ``event`` (the type, e.g.
``message.received``) and ``data`` (the event as JSON). A comment line is sent every 15 s to keep proxies from
closing an idle stream. When the client resumed from an id older than the replay buffer, or fell so far behind that
events were dropped, a ``resync`` event tells it to reload what it shows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import select

from aimstors.core.db import Scope
from aimstors.core.db.models import Tenant
from aimstors.core.events import DomainEvent
from aimstors.core.security import Action, Actor, has_permission
from aimstors.core.services import Services
from aimstors.core.tenancy.access import target_tenant
from aimstors.daemon.auth import ActorDep

KEEPALIVE_SECONDS = 15.0


def _accept(actor: Actor) -> Any:
    """An agent sees conversation events only for its own and unassigned conversations."""
    if has_permission(actor.role, Action.CONVERSATION_READ_ALL):
        return None

    def accept(event: DomainEvent) -> bool:
        if event.conversation_id is None:
            return True
        return event.assignee_user_id is None or event.assignee_user_id == actor.user_id

    return accept


def _last_event_id(request: Request[Any, Any, Any], query: str | None) -> int | None:
    raw = request.headers.get("last-event-id") or query
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return None  # a garbled id: start from now, as for a new client


@get("/api/v1/events", opt={"action": Action.CONVERSATION_READ}, include_in_schema=True)
async def events(
    request: Request[Any, Any, Any],
    actor: ActorDep,
    tenant: FromQuery[str | None] = None,
    last_event_id: FromQuery[str | None] = None,
) -> ServerSentEvent:
    """The live stream of the caller's tenant (or, for an admin, of ``tenant`` within its reach)."""
    services: Services = request.app.state.services
    ref = await target_tenant(services.db, actor, tenant, Action.CONVERSATION_READ)
    tenant_ids = {ref.id}
    if ref.kind != "workspace":  # a reseller's (or the platform's) stream: every tenant below it
        async with services.db.session(Scope.system()) as session:
            tenant_ids = set(await session.scalars(select(Tenant.id).where(Tenant.path.startswith(ref.path))))
    subscription = services.events.subscribe(
        tenant_ids, last_event_id=_last_event_id(request, last_event_id), accept=_accept(actor)
    )

    async def stream() -> AsyncIterator[ServerSentEventMessage]:
        with subscription:
            if subscription.gap:
                yield ServerSentEventMessage(event="resync", data='{"reason": "gap"}')
            iterator = aiter(subscription)
            while True:
                try:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        event = await anext(iterator)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                except StopAsyncIteration:
                    return
                if subscription.take_dropped():
                    yield ServerSentEventMessage(event="resync", data='{"reason": "dropped"}')
                yield ServerSentEventMessage(id=event.id, event=event.type, data=json.dumps(event.to_dict()))

    return ServerSentEvent(stream())
