"""The member list of a static audience: adding and removing contacts inside a unit of work.

Members are contacts. Adding by phone number creates the contacts that do not exist yet; adding by filter is a
snapshot (one ``INSERT … SELECT``): contacts that match later do not join. Suppression is not applied here; it
applies when the audience is resolved, so a member who opts out later is still left out of sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast

from sqlalchemy import Table, delete, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.contacts.import_writer import dialect_insert
from aimstors.core.contacts.phones import normalise_wa_id
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import AudienceMember, Contact
from aimstors.core.errors import InvalidInput

__all__ = ["MAX_MEMBERS_PER_CALL", "add_contact_ids", "add_matching", "contact_ids_for_phones", "remove_members"]

MAX_MEMBERS_PER_CALL = 10_000
MEMBERS: Final = cast(Table, AudienceMember.__table__)
CONTACTS: Final = cast(Table, Contact.__table__)


def normalise_phones(phones: Sequence[str]) -> list[str]:
    if len(phones) > MAX_MEMBERS_PER_CALL:
        raise InvalidInput(f"at most {MAX_MEMBERS_PER_CALL} numbers at a time; use a CSV file for more")
    return list(dict.fromkeys(normalise_wa_id(p, field=f"phone {i}") for i, p in enumerate(phones, start=1)))


async def contact_ids_for_phones(
    conn: AsyncConnection, tenant_id: int, phones: Sequence[str], *, create: bool
) -> list[int]:
    """Ids of the contacts with these numbers; with ``create``, numbers that are not contacts become contacts."""
    wa_ids = normalise_phones(phones)
    if not wa_ids:
        return []
    if create:
        now = utcnow()
        rows = [
            {"tenant_id": tenant_id, "wa_id": w, "attributes": {}, "created_at": now, "updated_at": now} for w in wa_ids
        ]
        await conn.execute(dialect_insert(conn, CONTACTS).on_conflict_do_nothing(), rows)
    found = await conn.execute(
        select(Contact.id).where(Contact.tenant_id == tenant_id, Contact.wa_id.in_(wa_ids)).order_by(Contact.id)
    )
    return list(found.scalars())


async def add_contact_ids(conn: AsyncConnection, tenant_id: int, audience_id: int, contact_ids: Sequence[int]) -> int:
    """Add contacts (ids of this tenant's contacts only; others are ignored); returns how many joined."""
    ids = list(dict.fromkeys(contact_ids))
    if not ids:
        return 0
    if len(ids) > MAX_MEMBERS_PER_CALL:
        raise InvalidInput(f"at most {MAX_MEMBERS_PER_CALL} contacts at a time")
    return await add_matching(conn, tenant_id, audience_id, [Contact.id.in_(ids)])


async def add_matching(conn: AsyncConnection, tenant_id: int, audience_id: int, conditions: list[Any]) -> int:
    """Add every contact of the tenant matching ``conditions`` (a snapshot); returns how many joined."""
    source = select(
        literal(tenant_id).label("tenant_id"), literal(audience_id).label("audience_id"), Contact.id,
        literal(utcnow(), AudienceMember.added_at.type).label("added_at"),
    ).where(Contact.tenant_id == tenant_id, Contact.wa_id.is_not(None), *conditions)  # fmt: skip
    stmt = dialect_insert(conn, MEMBERS).from_select(["tenant_id", "audience_id", "contact_id", "added_at"], source)
    result = await conn.execute(stmt.on_conflict_do_nothing())
    return int(result.rowcount)  # type: ignore[attr-defined]


async def remove_members(conn: AsyncConnection, tenant_id: int, audience_id: int, conditions: list[Any]) -> int:
    """Remove the members matching ``conditions`` on :class:`Contact`; returns how many left."""
    matching = select(Contact.id).where(Contact.tenant_id == tenant_id, *conditions)
    result = await conn.execute(
        delete(AudienceMember).where(
            AudienceMember.tenant_id == tenant_id,
            AudienceMember.audience_id == audience_id,
            AudienceMember.contact_id.in_(matching),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
