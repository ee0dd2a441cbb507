"""What a contact looks like to callers: the row plus its tags, loaded for a whole page in one query."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db.models import Contact, ContactTag

__all__ = ["ContactView", "contact_views", "tags_of"]


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact of one tenant. ``opted_out`` is true while ``opted_out_at`` is set; tags are sorted."""

    id: int
    tenant: str
    wa_id: str | None
    bsuid: str | None
    profile_name: str | None
    tags: list[str]
    attributes: dict[str, Any]
    opted_out: bool
    opted_out_at: dt.datetime | None
    opt_out_source: str | None
    marketing_limited_until: dt.datetime | None
    last_inbound_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


async def tags_of(session: AsyncSession, tenant_id: int, contact_ids: Sequence[int]) -> dict[int, list[str]]:
    """The sorted tags of each contact in ``contact_ids`` (contacts without tags are absent)."""
    if not contact_ids:
        return {}
    rows = await session.execute(
        select(ContactTag.contact_id, ContactTag.tag)
        .where(ContactTag.tenant_id == tenant_id, ContactTag.contact_id.in_(contact_ids))
        .order_by(ContactTag.contact_id, ContactTag.tag)
    )
    tags: dict[int, list[str]] = defaultdict(list)
    for contact_id, tag in rows:
        tags[contact_id].append(tag)
    return tags


def _view(contact: Contact, tenant_slug: str, tags: list[str]) -> ContactView:
    return ContactView(
        id=contact.id,
        tenant=tenant_slug,
        wa_id=contact.wa_id,
        bsuid=contact.bsuid,
        profile_name=contact.profile_name,
        tags=tags,
        attributes=dict(contact.attributes or {}),
        opted_out=contact.opted_out_at is not None,
        opted_out_at=contact.opted_out_at,
        opt_out_source=contact.opt_out_source,
        marketing_limited_until=contact.marketing_limited_until,
        last_inbound_at=contact.last_inbound_at,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


async def contact_views(session: AsyncSession, tenant_slug: str, contacts: Sequence[Contact]) -> list[ContactView]:
    """Views of ``contacts`` (all of one tenant), in the order given."""
    if not contacts:
        return []
    tags = await tags_of(session, contacts[0].tenant_id, [c.id for c in contacts])
    return [_view(c, tenant_slug, tags.get(c.id, [])) for c in contacts]
