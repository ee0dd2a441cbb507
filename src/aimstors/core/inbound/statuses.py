"""Delivery statuses applied to sent messages, forward only, whatever order the webhooks arrive in.

A message's status only ever rises: sent (1) < delivered (2) < read (3) < played (4) < failed/deleted (5), so a
late ``sent`` never undoes ``read`` and nothing moves a failed message; ``queued``/``unknown`` rank 0. A status
is matched to its message by wamid, or — for a send whose answer was lost, so whose wamid was never recorded —
by the ``biz_opaque_callback_data`` the send path set (``m:<message id>``), which also fills in the wamid.
Errors of a failed status are kept on the message. Statuses Meta may add later are kept in the raw event only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import MessageStatus, StatusKind
from aimstors.core.events import DomainEvent, EventType
from aimstors.core.inbound.conversations import CONVERSATIONS
from aimstors.core.inbound.messages import MESSAGES
from aimstors.core.inbound.plan import StatusItem, unix_time

__all__ = ["MESSAGE_CALLBACK_PREFIX", "STATUS_RANK", "apply_to_messages", "best_status", "error_record"]

MESSAGE_CALLBACK_PREFIX: Final = "m:"
STATUS_RANK: Final[dict[str, int]] = {"sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 5, "deleted": 5}
_m = MESSAGES.c
_conv = CONVERSATIONS.c


def rank(status: str | None) -> int:
    return STATUS_RANK.get(status or "", 0)


def best_status(items: Iterable[StatusItem]) -> StatusItem | None:
    """The furthest-along known status among ``items`` (the first of equals); None if none is known."""
    best: StatusItem | None = None
    for item in items:
        if item.status.status is StatusKind.UNKNOWN:
            continue
        if best is None or item.status.rank > best.status.rank:
            best = item
    return best


def error_record(status: MessageStatus) -> dict[str, Any] | None:
    """Meta's errors of a status, as stored on the message (None without errors)."""
    if not status.errors:
        return None
    first = status.errors[0]
    return {
        "code": first.code,
        "title": first.title,
        "message": first.message,
        "details": first.details,
        "errors": [dict(e.raw) for e in status.errors],
    }


def _callback_message_id(value: str | None) -> uuid.UUID | None:
    if not value or not value.startswith(MESSAGE_CALLBACK_PREFIX):
        return None
    try:
        return uuid.UUID(value[len(MESSAGE_CALLBACK_PREFIX) :])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class MessageUpdates:
    events: list[DomainEvent]
    matched: set[str]  # wamids that name a message of the tenant


async def apply_to_messages(
    conn: AsyncConnection, tenant_id: int, items: Sequence[StatusItem], now: dt.datetime
) -> MessageUpdates:
    """Move the tenant's outbound messages forward by ``items``; returns events and the wamids matched."""
    by_wamid: dict[str, list[StatusItem]] = {}
    callbacks: dict[uuid.UUID, str] = {}
    for item in items:
        wamid = item.status.id
        if not wamid:
            continue
        by_wamid.setdefault(wamid, []).append(item)
        message_id = _callback_message_id(item.status.biz_opaque_callback_data)
        if message_id is not None:
            callbacks[message_id] = wamid
    if not by_wamid:
        return MessageUpdates([], set())
    match = [_m.wamid.in_(sorted(by_wamid))]
    if callbacks:
        match.append(_m.id.in_(sorted(callbacks)))
    rows = (
        await conn.execute(
            select(_m.id, _m.created_at, _m.wamid, _m.status, _m.conversation_id, _conv.assignee_user_id)
            .join(CONVERSATIONS, _conv.id == _m.conversation_id)
            .where(_m.tenant_id == tenant_id, _m.direction == "out", or_(*match))
        )
    ).all()
    matched: set[str] = set()
    changes: list[dict[str, Any]] = []
    fills: list[dict[str, Any]] = []
    events: list[DomainEvent] = []
    for row in rows:
        wamid = row.wamid or callbacks.get(row.id)
        if wamid is None or wamid not in by_wamid:
            continue
        matched.add(wamid)
        best = best_status(by_wamid[wamid])
        if best is None or best.status.rank <= rank(row.status):
            if row.wamid is None:  # a lost answer's wamid is known now, even if its status is not news
                fills.append({"b_id": row.id, "b_created": row.created_at, "b_wamid": wamid})
            continue
        status = best.status
        errors = error_record(status)
        changes.append(
            {
                "b_id": row.id,
                "b_created": row.created_at,
                "b_old": row.status,
                "b_status": status.status.value,
                "b_wamid": wamid,
                "b_at": unix_time(status.timestamp, now),
                "b_code": errors["code"] if errors else None,
                "b_error": errors,
            }
        )
        events.append(
            DomainEvent.create(
                tenant_id,
                EventType.MESSAGE_STATUS,
                {
                    "message_id": str(row.id),
                    "wamid": wamid,
                    "status": status.status.value,
                    "conversation_id": row.conversation_id,
                    "error_code": errors["code"] if errors else None,
                },
                conversation_id=row.conversation_id,
                assignee_user_id=row.assignee_user_id,
            )
        )
    key = (
        _m.tenant_id == tenant_id,
        _m.id == bindparam("b_id", type_=_m.id.type),
        _m.created_at == bindparam("b_created", type_=_m.created_at.type),
    )
    if changes:
        await conn.execute(
            update(MESSAGES)
            .where(*key, _m.status == bindparam("b_old"))  # moved meanwhile by another transaction: it went forward
            .values(
                status=bindparam("b_status"),
                wamid=bindparam("b_wamid"),
                status_at=bindparam("b_at", type_=_m.status_at.type),
                error_code=bindparam("b_code"),
                error=bindparam("b_error", type_=_m.error.type),
            ),
            changes,
        )
    if fills:
        await conn.execute(update(MESSAGES).where(*key, _m.wamid.is_(None)).values(wamid=bindparam("b_wamid")), fills)
    return MessageUpdates(events, matched)
