"""Exporting contacts as CSV, streamed a batch at a time to any text stream (a file, stdout).

Columns: ``id``, ``phone`` (E.164 with '+'), ``name``, ``tags`` (separated by ``;``), ``opted_out``,
``opted_out_at``, ``last_inbound_at``, ``created_at``, then one column per attribute key found among the exported
contacts (sorted; a key that clashes with a fixed column is written as ``attribute:<key>``). The file imports
back with ``--tag-column tags --attr <key>…``.
"""

from __future__ import annotations

import csv
import json
import logging
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.contacts.directory import contact_tenant
from aimstors.core.contacts.filters import ContactFilter
from aimstors.core.contacts.views import tags_of
from aimstors.core.db import Database
from aimstors.core.db.models import Contact
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.audit import record

__all__ = ["FIXED_COLUMNS", "export_contacts"]

FIXED_COLUMNS = ("id", "phone", "name", "tags", "opted_out", "opted_out_at", "last_inbound_at", "created_at")
BATCH_SIZE = 1000

log = logging.getLogger(__name__)


async def _attribute_keys(session: AsyncSession, conditions: list[Any]) -> list[str]:
    if (await session.connection()).dialect.name == "postgresql":
        stmt = select(func.jsonb_object_keys(Contact.attributes)).where(*conditions).distinct()
    else:
        keys = func.json_each(Contact.attributes).table_valued("key")
        stmt = select(keys.c.key).select_from(Contact).join(keys, Contact.attributes.is_not(None)).where(*conditions)
        stmt = stmt.distinct()
    return sorted(str(k) for k in await session.scalars(stmt))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def export_contacts(
    db: Database,
    actor: Actor,
    out: TextIO,
    *,
    tenant_slug: str | None = None,
    where: ContactFilter | None = None,
) -> int:
    """Write the workspace's contacts matching ``where`` to ``out`` as CSV (header first); returns how many.

    Audited as ``contact.export`` with the count. InvalidInput for a bad filter.
    """
    tenant = await contact_tenant(db, actor, tenant_slug, Action.CONTACT_EXPORT)
    conditions = [Contact.tenant_id == tenant.id, *(where or ContactFilter()).conditions(tenant.id)]
    async with db.session(tenant.scope) as session:
        keys = await _attribute_keys(session, conditions)
    attribute_columns = [f"attribute:{k}" if k in FIXED_COLUMNS else k for k in keys]
    writer = csv.writer(out)
    writer.writerow([*FIXED_COLUMNS, *attribute_columns])
    count = 0
    last_id = 0
    while True:
        async with db.session(tenant.scope) as session:
            stmt = select(Contact).where(*conditions, Contact.id > last_id).order_by(Contact.id).limit(BATCH_SIZE)
            contacts = list(await session.scalars(stmt))
            tags = await tags_of(session, tenant.id, [c.id for c in contacts])
        for contact in contacts:
            attributes = contact.attributes or {}
            writer.writerow(
                [
                    contact.id,
                    f"+{contact.wa_id}" if contact.wa_id else "",
                    contact.profile_name or "",
                    ";".join(tags.get(contact.id, [])),
                    _cell(contact.opted_out_at is not None),
                    _cell(contact.opted_out_at and contact.opted_out_at.isoformat()),
                    _cell(contact.last_inbound_at and contact.last_inbound_at.isoformat()),
                    contact.created_at.isoformat(),
                    *(_cell(attributes.get(k)) for k in keys),
                ]
            )
        count += len(contacts)
        if len(contacts) < BATCH_SIZE:
            break
        last_id = contacts[-1].id
    out.flush()
    async with db.session(tenant.scope, write=True) as session:
        await record(session, actor, tenant.id, "contact.export", target_type="contact", details={"count": count})
    log.info("exported %d contacts of tenant %s", count, tenant.slug)
    return count
