"""Inbound messages as ``messages`` rows, stored once per (tenant, wamid) however often they are delivered.

The row keeps Meta's message object as ``payload`` (media ids, interactive replies, types not known yet) and a
displayable ``body``: the text, a caption, the chosen button or row, a reaction's emoji, a location's name.
``created_at`` is Meta's timestamp (when the user sent it), so the inbox orders messages as they were written.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from typing import Any, Final, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import InboundMessage, MessageType
from aimstors.core.db.bulk import BulkInsert
from aimstors.core.db.models import Message
from aimstors.core.ids import uuid7

__all__ = ["MESSAGES", "display_text", "existing_wamids", "inbound_row", "insert_rows", "keyword_text"]

MESSAGES: Final[Table] = cast(Table, Message.__table__)
_c = MESSAGES.c
_CHUNK = 500
_INSERT_ROWS = 64  # rows per multi-row INSERT: 16 columns each, far below the drivers' parameter limits


def display_text(message: InboundMessage) -> str | None:
    """What the inbox shows for ``message`` (None for types without text)."""
    if message.text is not None:
        return message.text
    if message.media is not None:
        return message.media.caption
    if message.button is not None:
        return message.button.text or message.button.payload
    if message.interactive is not None:
        return message.interactive.title or message.interactive.description
    if message.reaction is not None:
        return message.reaction.emoji
    if message.location is not None:
        return message.location.name or message.location.address
    if message.order is not None:
        return message.order.text
    if message.system is not None:
        return message.system.body
    if message.contacts:
        return ", ".join(c.formatted_name for c in message.contacts if c.formatted_name) or None
    return None


def keyword_text(message: InboundMessage) -> str | None:
    """The text a STOP/START keyword may be in: typed text or a tapped quick-reply button."""
    if message.type is MessageType.TEXT:
        return message.text
    if message.button is not None:
        return message.button.text or message.button.payload
    return None


async def existing_wamids(conn: AsyncConnection, tenant_id: int, wamids: Collection[str]) -> set[str]:
    """Which of ``wamids`` already have a message row in ``tenant_id``."""
    found: set[str] = set()
    ordered = sorted(wamids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = await conn.execute(select(_c.wamid).where(_c.tenant_id == tenant_id, _c.wamid.in_(chunk)))
        found.update(rows.scalars())
    return found


def inbound_row(
    tenant_id: int, conversation_id: int, message: InboundMessage, created_at: dt.datetime
) -> dict[str, Any]:
    """The ``messages`` row for an inbound message (its id is a fresh UUIDv7)."""
    body = display_text(message)
    return {
        "id": uuid7(),
        "created_at": created_at,
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "direction": "in",
        "type": (message.type_name or "unknown")[:32],
        "body": body,
        "payload": dict(message.raw),
        "status": "received",
        "wamid": message.id,
        "error_code": message.errors[0].code if message.errors else None,
        "error": {"errors": [dict(e.raw) for e in message.errors]} if message.errors else None,
        "sent_by_user_id": None,
        "campaign_id": None,
        "status_at": created_at,
    }


@functools.cache
def _bulk_insert(dialect: Dialect) -> BulkInsert:
    return BulkInsert(MESSAGES, dialect)


async def insert_rows(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Multi-row INSERTs at the driver level (on SQLite an executemany would hand the GIL over once per row, and
    SQLAlchemy compiles a multi-row ``values()`` anew for every row count: ~10 ms a batch)."""
    bulk = _bulk_insert(conn.dialect)
    for start in range(0, len(rows), _INSERT_ROWS):
        await conn.exec_driver_sql(*bulk(rows[start : start + _INSERT_ROWS]))
