"""Domain events: what happened in a tenant, published in-process and (on Postgres) across processes.

    bus = bus_for_database(db)                             # services.events is built this way
    await bus.publish([DomainEvent.create(tenant_id, EventType.MESSAGE_RECEIVED, {...})])
    async with bus.subscribe({tenant_id}, last_event_id=…) as events:
        async for event in events: ...

Files: ``event`` (the value, its types and ids), ``subscription`` (one bounded consumer), ``bus`` (fan-out and
replay), ``bridge`` (Postgres LISTEN/NOTIFY).
"""

from __future__ import annotations

from aimstors.core.db import Database
from aimstors.core.events.bridge import PgEventBridge
from aimstors.core.events.bus import EventBridge, EventBus
from aimstors.core.events.event import DomainEvent, EventType, next_event_id
from aimstors.core.events.subscription import EventFilter, Subscription

__all__ = [
    "DomainEvent",
    "EventBridge",
    "EventBus",
    "EventFilter",
    "EventType",
    "PgEventBridge",
    "Subscription",
    "bus_for_database",
    "next_event_id",
]


def bus_for_database(db: Database, *, replay_size: int = 1000, queue_size: int = 1000) -> EventBus:
    """The bus for a process on ``db``: bridged with LISTEN/NOTIFY on Postgres, in-process on SQLite."""
    bridge = None if db.is_sqlite else PgEventBridge(db)
    return EventBus(replay_size=replay_size, queue_size=queue_size, bridge=bridge)
