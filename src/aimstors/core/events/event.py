"""What happened in a tenant, as one immutable value: :class:`DomainEvent`, its types, and its ids.

Event ids are 63-bit integers that increase monotonically within a process and roughly with time across
processes (Unix milliseconds since 2025, then a random 10-bit node number, then a 12-bit sequence), so a
client can resume an SSE stream with ``Last-Event-ID`` on any daemon instance. Two processes may emit in
the same millisecond; their ids still differ by node number (1 in 1,024 chance per pair of sharing one).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["DomainEvent", "EventType", "next_event_id"]


class EventType(StrEnum):
    """The event types core emits. Consumers must ignore types they do not know (new ones get added)."""

    MESSAGE_RECEIVED = "message.received"
    MESSAGE_STATUS = "message.status"
    MESSAGE_SENT = "message.sent"
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_ASSIGNED = "conversation.assigned"
    CONVERSATION_UPDATED = "conversation.updated"
    CONTACT_UPDATED = "contact.updated"
    TEMPLATE_UPDATED = "template.updated"


_EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_NODE_BITS = 10
_SEQ_BITS = 12
_SEQ_MAX = (1 << _SEQ_BITS) - 1


class _IdClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._node = secrets.randbits(_NODE_BITS)
        self._last_ms = 0
        self._seq = 0

    def next(self) -> int:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000 - _EPOCH_MS
            if now_ms > self._last_ms:
                self._last_ms, self._seq = now_ms, 0
            elif self._seq < _SEQ_MAX:
                self._seq += 1
            else:  # 4,096 ids in one millisecond (or the clock went back): borrow the next millisecond
                self._last_ms, self._seq = self._last_ms + 1, 0
            return (self._last_ms << (_NODE_BITS + _SEQ_BITS)) | (self._node << _SEQ_BITS) | self._seq


_clock = _IdClock()


def next_event_id() -> int:
    """A new event id, greater than every id this process made before (thread-safe)."""
    return _clock.next()


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One thing that happened in tenant ``tenant_id``.

    ``data`` is small and JSON-ready (ids, statuses; the text of an inbound message, because the inbox shows it).
    ``conversation_id`` and ``assignee_user_id`` are set when the event concerns a conversation, so a stream can
    show an agent only the conversations it may see. Never log ``data`` above DEBUG.
    """

    id: int
    tenant_id: int
    type: str
    data: Mapping[str, Any]
    created_at: dt.datetime
    conversation_id: int | None = None
    assignee_user_id: int | None = None

    @classmethod
    def create(
        cls,
        tenant_id: int,
        type: str,
        data: Mapping[str, Any],
        *,
        conversation_id: int | None = None,
        assignee_user_id: int | None = None,
    ) -> DomainEvent:
        """A new event with a fresh id, stamped now."""
        return cls(
            id=next_event_id(),
            tenant_id=tenant_id,
            type=str(type),
            data=data,
            created_at=dt.datetime.now(dt.UTC),
            conversation_id=conversation_id,
            assignee_user_id=assignee_user_id,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the SSE ``data`` and the NOTIFY payload)."""
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "type": self.type,
            "data": dict(self.data),
            "created_at": self.created_at.isoformat(),
            "conversation_id": self.conversation_id,
            "assignee_user_id": self.assignee_user_id,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DomainEvent:
        """Inverse of :meth:`to_dict`; ``ValueError``/``KeyError``/``TypeError`` for a malformed mapping."""
        data = raw["data"]
        if not isinstance(data, Mapping):
            raise TypeError("event data must be an object")
        conversation_id = raw.get("conversation_id")
        assignee = raw.get("assignee_user_id")
        return cls(
            id=int(raw["id"]),
            tenant_id=int(raw["tenant_id"]),
            type=str(raw["type"]),
            data=dict(data),
            created_at=dt.datetime.fromisoformat(str(raw["created_at"])),
            conversation_id=None if conversation_id is None else int(conversation_id),
            assignee_user_id=None if assignee is None else int(assignee),
        )
