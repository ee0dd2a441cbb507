"""Conversations touched by inbound messages: opened on a first message, continued (and reopened) after.

Each inbound message moves ``last_inbound_at`` forward — the start of the 24-hour customer-service window — and
``last_message_at``; a resolved conversation goes back to ``open``. Times only move forward, so a late
redelivery of an old message never shortens the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db.models import Conversation

__all__ = ["CONVERSATIONS", "ConversationKey", "ConversationRef", "open_conversations"]

CONVERSATIONS: Final[Table] = cast(Table, Conversation.__table__)
_c = CONVERSATIONS.c

ConversationKey = tuple[int, int]
"""(``phone_numbers.id``, ``contacts.id``): one conversation per business number and contact."""


@dataclass(frozen=True, slots=True)
class ConversationRef:
    id: int
    assignee_user_id: int | None
    status: str
    created: bool
    reopened: bool


def _later(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or b > a else a


async def open_conversations(
    conn: AsyncConnection, tenant_id: int, touches: Mapping[ConversationKey, dt.datetime], now: dt.datetime
) -> dict[ConversationKey, ConversationRef]:
    """Open or continue the conversation for each key; ``touches`` maps it to its newest inbound message time."""
    if not touches:
        return {}
    contact_ids = sorted({contact for _, contact in touches})
    rows = (
        await conn.execute(
            select(
                _c.id, _c.phone_number_id, _c.contact_id, _c.status, _c.assignee_user_id, _c.last_inbound_at,
                _c.last_message_at,
            ).where(_c.tenant_id == tenant_id, _c.contact_id.in_(contact_ids))
        )
    ).all()  # fmt: skip
    existing = {(r.phone_number_id, r.contact_id): r for r in rows if (r.phone_number_id, r.contact_id) in touches}
    refs: dict[ConversationKey, ConversationRef] = {}
    changes = []
    for key, row in existing.items():
        at = touches[key]
        reopened = row.status == "resolved"
        status = "open" if reopened else row.status
        refs[key] = ConversationRef(row.id, row.assignee_user_id, status, False, reopened)
        changes.append(
            {
                "b_id": row.id,
                "b_status": status,
                "b_inbound": _later(row.last_inbound_at, at),
                "b_message": _later(row.last_message_at, at),
            }
        )
    if changes:
        await conn.execute(
            update(CONVERSATIONS)
            .where(_c.tenant_id == tenant_id, _c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                last_inbound_at=bindparam("b_inbound", type_=_c.last_inbound_at.type),
                last_message_at=bindparam("b_message", type_=_c.last_message_at.type),
            ),
            changes,
        )
    new = [key for key in touches if key not in existing]
    if new:
        # RETURNING the natural key, not in parameter order: ordered RETURNING makes SQLite insert row by row.
        inserted = await conn.execute(
            insert(CONVERSATIONS).returning(_c.id, _c.phone_number_id, _c.contact_id),
            [
                {
                    "tenant_id": tenant_id,
                    "phone_number_id": number_id,
                    "contact_id": contact_id,
                    "assignee_user_id": None,
                    "status": "open",
                    "labels": [],
                    "last_inbound_at": touches[(number_id, contact_id)],
                    "last_message_at": touches[(number_id, contact_id)],
                    "created_at": now,
                }
                for number_id, contact_id in new
            ],
        )
        for conversation_id, number_id, contact_id in inserted:
            refs[(number_id, contact_id)] = ConversationRef(conversation_id, None, "open", True, False)
    return refs
