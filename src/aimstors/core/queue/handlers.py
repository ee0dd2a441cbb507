"""What a worker runs: async handlers registered by job kind, each given a :class:`JobContext`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Handler", "HandlerRegistry", "JobContext"]


@dataclass(frozen=True, slots=True)
class JobContext:
    """The job a handler is running. ``attempts`` counts this attempt (1 on the first run).

    Delivery is at least once: a job whose worker died mid-run is run again after its lease expires, so a
    handler must be safe to repeat (idempotent, or guarded by its own records).
    """

    id: int
    kind: str
    queue: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    tenant_id: int | None

    @property
    def is_last_attempt(self) -> bool:
        """True when a failure now makes the job ``dead``."""
        return self.attempts >= self.max_attempts


Handler = Callable[[JobContext], Awaitable[None]]
H = TypeVar("H", bound=Handler)


class HandlerRegistry:
    """Handlers by job kind::

        registry = HandlerRegistry()

        @registry.register("webhook.process")
        async def process_webhook(job: JobContext) -> None: ...

    A handler that raises fails the attempt (retried with backoff, ``dead`` after ``max_attempts``).
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str) -> Callable[[H], H]:
        """Decorator: run the decorated coroutine function for jobs of ``kind``."""

        def decorate(handler: H) -> H:
            self.add(kind, handler)
            return handler

        return decorate

    def add(self, kind: str, handler: Handler) -> None:
        """Register ``handler`` for ``kind``; ValueError if ``kind`` already has one."""
        if not kind:
            raise ValueError("a job kind must be a non-empty string")
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} already has a handler")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)
