"""One consumer of the event bus: a bounded, tenant-filtered async iterator of :class:`DomainEvent`."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType

from aimstors.core.events.event import DomainEvent

__all__ = ["EventFilter", "Subscription"]

EventFilter = Callable[[DomainEvent], bool]


class Subscription:
    """Events of ``tenant_ids`` (``None``: every tenant) that pass ``accept``, in the order the bus saw them.

    Use it as a context manager, sync or async (closing unsubscribes), and iterate::

        async with bus.subscribe({tenant_id}, last_event_id=last) as events:
            async for event in events:
                ...
                if events.take_dropped():   # the consumer fell behind: tell the client to reload
                    ...

    The queue is bounded: when it is full the bus drops the new event for this subscriber only and counts it
    in :attr:`dropped`, instead of waiting (a slow client never slows the publisher or other clients).
    :attr:`gap` is True when ``last_event_id`` was older than the replay buffer, so events were missed.
    """

    def __init__(
        self,
        tenant_ids: frozenset[int] | None,
        *,
        max_queue: int,
        accept: EventFilter | None = None,
        on_close: Callable[[Subscription], None] | None = None,
    ) -> None:
        self.tenant_ids = tenant_ids
        self.max_queue = max_queue
        self.dropped = 0
        self.gap = False
        self._accept = accept
        self._on_close = on_close
        self._items: deque[DomainEvent] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def wants(self, event: DomainEvent) -> bool:
        """True if this subscriber may and wants to see ``event`` (tenant first, then its filter)."""
        if self.tenant_ids is not None and event.tenant_id not in self.tenant_ids:
            return False
        return self._accept is None or self._accept(event)

    def offer(self, event: DomainEvent) -> bool:
        """Queue ``event`` if wanted and there is room; a full queue drops it and counts it. Never blocks."""
        if self._closed or not self.wants(event):
            return False
        if len(self._items) >= self.max_queue:
            self.dropped += 1
            return False
        self._items.append(event)
        self._ready.set()
        return True

    def preload(self, events: Iterable[DomainEvent]) -> None:
        """Queue replayed events (not counted against the bound: a replay is at most the buffer's size)."""
        for event in events:
            if self.wants(event):
                self._items.append(event)
        if self._items:
            self._ready.set()

    def take_dropped(self) -> int:
        """How many events were dropped since the last call (and reset the count)."""
        dropped, self.dropped = self.dropped, 0
        return dropped

    @property
    def pending(self) -> int:
        return len(self._items)

    def get_nowait(self) -> DomainEvent | None:
        """The next queued event, or None when there is none right now."""
        if self._items:
            return self._items.popleft()
        return None

    def close(self) -> None:
        """Stop receiving; an iteration in progress ends after the events already queued."""
        if self._closed:
            return
        self._closed = True
        self._ready.set()
        if self._on_close is not None:
            self._on_close(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> DomainEvent:
        while True:
            if self._items:
                return self._items.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()

    async def __aenter__(self) -> Subscription:
        return self

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()
