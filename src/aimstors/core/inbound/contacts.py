"""Contacts from inbound messages: created on first contact, refreshed after (name, ids, last inbound time).

A sender is known by ``wa_id`` (phone digits) or, when Meta sends none, by its business-scoped user id
(``bsuid``). A contact first seen by bsuid gets its ``wa_id`` filled in when a later message carries both.
Batched: one select, one multi-row insert, one executemany update per tenant and batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import InboundMessage
from aimstors.core.db.models import Contact

__all__ = ["CONTACTS", "Sender", "sender_of", "upsert_senders"]

CONTACTS: Final[Table] = cast(Table, Contact.__table__)
_c = CONTACTS.c


@dataclass(frozen=True, slots=True)
class Sender:
    wa_id: str | None
    bsuid: str | None
    profile_name: str | None
    seen_at: dt.datetime

    @property
    def key(self) -> str:
        """Stable identity within a tenant: the wa_id, else ``bsuid:<id>``."""
        return self.wa_id if self.wa_id else f"bsuid:{self.bsuid}"


def sender_of(message: InboundMessage, seen_at: dt.datetime) -> Sender | None:
    """Who sent ``message``; None when Meta gave no id at all."""
    contact = message.contact
    wa_id = message.from_wa_id or (contact.wa_id if contact else None)
    bsuid = message.from_user_id or (contact.user_id if contact else None)
    if not wa_id and not bsuid:
        return None
    name = contact.profile_name if contact else None
    return Sender(wa_id=wa_id[:32] if wa_id else None, bsuid=bsuid[:128] if bsuid else None,
                  profile_name=name[:200] if name else None, seen_at=seen_at)  # fmt: skip


def _merge(senders: Sequence[Sender]) -> dict[str, Sender]:
    """One sender per key: the latest time, the latest non-empty name, every id seen."""
    merged: dict[str, Sender] = {}
    for sender in sorted(senders, key=lambda s: s.seen_at):
        old = merged.get(sender.key)
        if old is None:
            merged[sender.key] = sender
            continue
        merged[sender.key] = Sender(
            wa_id=sender.wa_id or old.wa_id,
            bsuid=sender.bsuid or old.bsuid,
            profile_name=sender.profile_name or old.profile_name,
            seen_at=max(sender.seen_at, old.seen_at),
        )
    return merged


async def upsert_senders(
    conn: AsyncConnection, tenant_id: int, senders: Sequence[Sender], now: dt.datetime
) -> dict[str, int]:
    """Create or refresh the contacts of ``senders``; returns contact ids by :attr:`Sender.key`."""
    merged = _merge(senders)
    if not merged:
        return {}
    wa_ids = sorted({s.wa_id for s in merged.values() if s.wa_id})
    bsuids = sorted({s.bsuid for s in merged.values() if s.bsuid})
    match = []
    if wa_ids:
        match.append(_c.wa_id.in_(wa_ids))
    if bsuids:
        match.append(_c.bsuid.in_(bsuids))
    rows = (
        await conn.execute(
            select(_c.id, _c.wa_id, _c.bsuid, _c.profile_name, _c.last_inbound_at).where(
                _c.tenant_id == tenant_id, or_(*match)
            )
        )
    ).all()
    by_wa_id = {r.wa_id: r for r in rows if r.wa_id}
    by_bsuid = {r.bsuid: r for r in rows if r.bsuid}
    ids: dict[str, int] = {}
    changes: list[dict[str, Any]] = []
    new: list[Sender] = []
    for key, sender in merged.items():
        row = (by_wa_id.get(sender.wa_id) if sender.wa_id else None) or (
            by_bsuid.get(sender.bsuid) if sender.bsuid else None
        )
        if row is None:
            new.append(sender)
            continue
        ids[key] = row.id
        last = row.last_inbound_at
        change = {
            "b_id": row.id,
            "b_name": sender.profile_name or row.profile_name,
            "b_wa_id": row.wa_id or sender.wa_id,
            "b_bsuid": row.bsuid or sender.bsuid,
            "b_last": sender.seen_at if last is None or sender.seen_at > last else last,
        }
        if (change["b_name"], change["b_wa_id"], change["b_bsuid"], change["b_last"]) != (
            row.profile_name, row.wa_id, row.bsuid, last,
        ):  # fmt: skip
            changes.append(change | {"b_now": now})
    if changes:
        await conn.execute(
            update(CONTACTS)
            .where(_c.tenant_id == tenant_id, _c.id == bindparam("b_id"))
            .values(
                profile_name=bindparam("b_name"),
                wa_id=bindparam("b_wa_id"),
                bsuid=bindparam("b_bsuid"),
                last_inbound_at=bindparam("b_last", type_=_c.last_inbound_at.type),
                updated_at=bindparam("b_now", type_=_c.updated_at.type),
            ),
            changes,
        )
    if new:
        # RETURNING the natural keys, not in parameter order: ordered RETURNING makes SQLite insert row by row.
        inserted = await conn.execute(
            insert(CONTACTS).returning(_c.id, _c.wa_id, _c.bsuid),
            [
                {
                    "tenant_id": tenant_id,
                    "wa_id": s.wa_id,
                    "bsuid": s.bsuid,
                    "profile_name": s.profile_name,
                    "attributes": {},
                    "last_inbound_at": s.seen_at,
                    "created_at": now,
                    "updated_at": now,
                }
                for s in new
            ],
        )
        for contact_id, wa_id, bsuid in inserted:
            ids[Sender(wa_id, bsuid, None, now).key] = contact_id
    return ids
