"""The domain event bus: in-process publish/subscribe, a short replay buffer, and (on Postgres) a bridge.

    bus = services.events
    await bus.publish([DomainEvent.create(tenant_id, EventType.MESSAGE_RECEIVED, {...})])   # after the commit
    async with bus.subscribe({tenant_id}, last_event_id=resume_from) as events:
        async for event in events: ...

Publish after the transaction that made the change has committed: delivery is at most once and meant for live
views (the SSE stream, the TUI inbox); anything durable reads the database. Publishing never blocks on a slow
subscriber (see :class:`~aimstors.core.events.subscription.Subscription`).

With a :class:`~aimstors.core.events.bridge.PgEventBridge` (Postgres), each publish is also sent with NOTIFY
and events published by other processes (workers, other daemons, the CLI) are delivered here once the bridge
is started (:meth:`EventBus.start`). On SQLite the bus is in-process only: run the worker in the daemon's
process (``aimstors serve``, the default) for live events.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from aimstors.core.events.event import DomainEvent
from aimstors.core.events.subscription import EventFilter, Subscription

__all__ = ["EventBridge", "EventBus"]

log = logging.getLogger("aimstors.events")


class EventBridge(Protocol):
    """Carries events between processes (implemented by :class:`PgEventBridge`)."""

    async def start(self, bus: EventBus) -> None: ...

    async def send(self, events: Sequence[DomainEvent]) -> None: ...

    async def close(self) -> None: ...


class EventBus:
    """Publish/subscribe of :class:`DomainEvent` within a process, optionally bridged across processes.

    ``replay_size`` events are kept for resuming streams (``subscribe(last_event_id=…)``); each subscriber queues
    at most ``queue_size`` events before new ones are dropped for it. Use it from one event loop.
    """

    def __init__(self, *, replay_size: int = 1000, queue_size: int = 1000, bridge: EventBridge | None = None) -> None:
        if replay_size < 0 or queue_size < 1:
            raise ValueError("replay_size must be >= 0 and queue_size >= 1")
        self.queue_size = queue_size
        self.bridge = bridge
        self._recent: deque[DomainEvent] = deque(maxlen=replay_size)
        self._subscribers: set[Subscription] = set()
        self._started = False

    async def start(self) -> None:
        """Start receiving other processes' events (Postgres bridge); no-op without a bridge or when started."""
        if self._started:
            return
        self._started = True
        if self.bridge is not None:
            await self.bridge.start(self)

    async def close(self) -> None:
        """Stop the bridge and end every subscription."""
        for subscription in list(self._subscribers):
            subscription.close()
        if self.bridge is not None:
            await self.bridge.close()
        self._started = False

    async def publish(self, events: Iterable[DomainEvent]) -> None:
        """Deliver ``events`` to this process's subscribers now and, with a bridge, to other processes.

        Call it after the change's transaction committed. A bridge failure is logged, never raised: the change
        is already durable and live views catch up when they reload.
        """
        batch = list(events)
        if not batch:
            return
        self.deliver(batch)
        if self.bridge is not None:
            try:
                await self.bridge.send(batch)
            except Exception as exc:  # the change is committed; a lost notification only delays live views
                log.warning("could not forward %d event(s) to other processes: %s", len(batch), type(exc).__name__)

    def deliver(self, events: Iterable[DomainEvent]) -> None:
        """Fan ``events`` out to local subscribers and remember them for replay (no bridge). Never blocks."""
        for event in events:
            self._recent.append(event)
            for subscription in self._subscribers:
                subscription.offer(event)
            log.debug("event %d %s for tenant %d", event.id, event.type, event.tenant_id)

    def subscribe(
        self,
        tenant_ids: Collection[int] | None,
        *,
        last_event_id: int | None = None,
        accept: EventFilter | None = None,
        queue_size: int | None = None,
    ) -> Subscription:
        """A new subscription to the events of ``tenant_ids`` (``None`` = all tenants: system use only).

        ``accept`` narrows further (e.g. an agent's conversations). With ``last_event_id`` (SSE
        ``Last-Event-ID``), buffered events after that one are queued first; if that id is older than the buffer,
        ``gap`` is set on the subscription, so the client knows to reload.
        """
        scope = None if tenant_ids is None else frozenset(tenant_ids)
        subscription = Subscription(
            scope, max_queue=queue_size or self.queue_size, accept=accept, on_close=self._subscribers.discard
        )
        if last_event_id is not None:
            replay, gap = self._after(last_event_id)
            subscription.preload(replay)
            subscription.gap = gap
        self._subscribers.add(subscription)
        return subscription

    def _after(self, last_event_id: int) -> tuple[list[DomainEvent], bool]:
        """Buffered events after ``last_event_id``, and whether some may be missing before them."""
        recent = list(self._recent)
        for index, event in enumerate(recent):
            if event.id == last_event_id:
                return recent[index + 1 :], False
        # Not buffered (too old, or from another process whose event never reached this one): by id.
        gap = not recent or last_event_id < recent[0].id
        return [e for e in recent if e.id > last_event_id], gap

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def last_event_id(self) -> int | None:
        """Id of the newest buffered event (None when the buffer is empty)."""
        return self._recent[-1].id if self._recent else None
