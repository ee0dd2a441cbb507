"""The ``webhook.process`` job: which stored events it covers, encoded in its payload.

Payload: ``{"events": [[<event uuid>, <received_at ISO>], ...], "round": n}``. ``round`` counts reconciliation
passes: events whose statuses named messages not known yet are processed again after
:data:`RECONCILE_DELAYS` (a status can beat the send's own record of its wamid).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aimstors.core.errors import InvalidInput

__all__ = [
    "PROCESS_KIND",
    "RECONCILE_DELAYS",
    "WEBHOOK_QUEUE",
    "EventRef",
    "parse_process_payload",
    "process_payload",
]

PROCESS_KIND: Final = "webhook.process"
WEBHOOK_QUEUE: Final = "webhooks"
RECONCILE_DELAYS: Final[tuple[float, ...]] = (30.0, 300.0, 3600.0)
"""Seconds after which events with unmatched statuses are processed again (then left ``unmatched``)."""


@dataclass(frozen=True, slots=True, order=True)
class EventRef:
    """The primary key of a stored webhook event."""

    id: uuid.UUID
    received_at: dt.datetime


def process_payload(refs: Iterable[EventRef], *, round: int = 0) -> dict[str, Any]:
    return {"events": [[str(ref.id), ref.received_at.isoformat()] for ref in refs], "round": round}


def parse_process_payload(payload: Mapping[str, Any]) -> tuple[list[EventRef], int]:
    """The event references and reconciliation round of a job payload; InvalidInput when malformed."""
    try:
        refs = [
            EventRef(uuid.UUID(str(item[0])), dt.datetime.fromisoformat(str(item[1])).astimezone(dt.UTC))
            for item in payload["events"]
        ]
        round_ = int(payload.get("round", 0))
    except (KeyError, TypeError, ValueError, IndexError):
        raise InvalidInput("webhook.process payload must be {'events': [[id, received_at], ...]}") from None
    return refs, round_
