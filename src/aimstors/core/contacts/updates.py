"""Changing a contact: tags added or removed and attributes merged, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aimstors.core.contacts import tags as tagging
from aimstors.core.contacts.attributes import merge_attributes
from aimstors.core.contacts.directory import contact_tenant, load_contact
from aimstors.core.contacts.views import ContactView, contact_views
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.errors import InvalidInput
from aimstors.core.events import DomainEvent, EventBus, EventType
from aimstors.core.security import Action, Actor

__all__ = ["update_contact"]

log = logging.getLogger(__name__)


async def update_contact(
    db: Database,
    actor: Actor,
    contact_id: int,
    *,
    tenant_slug: str | None = None,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    attributes: Mapping[str, Any] | None = None,
    events: EventBus | None = None,
) -> ContactView:
    """Add and remove tags and merge ``attributes`` (a ``None`` value deletes that key); returns the contact.

    Everything is validated before anything is written: a bad tag or attribute changes nothing. A tag named in
    both lists is refused as ambiguous. A real change is published on ``events`` as ``contact.updated`` once
    committed.
    """
    to_add = tagging.validate_tags(add_tags)
    to_remove = tagging.validate_tags(remove_tags)
    both = sorted(set(to_add) & set(to_remove))
    if both:
        raise InvalidInput(f"tags {both} are both added and removed; pick one")
    tenant = await contact_tenant(db, actor, tenant_slug, Action.CONTACT_WRITE)
    async with db.session(tenant.scope, write=True) as session:
        contact = await load_contact(session, tenant.id, contact_id, lock=True)
        changed_keys: list[str] = []
        if attributes:
            merged, changed_keys = merge_attributes(contact.attributes or {}, attributes)
            if changed_keys:
                contact.attributes = merged  # a new object, so the JSON column is written
        added = await tagging.add_tags(session, tenant.id, contact.id, to_add)
        removed = await tagging.remove_tags(session, tenant.id, contact.id, to_remove)
        if changed_keys or added or removed:
            contact.updated_at = utcnow()
        await session.flush()
        view = (await contact_views(session, tenant.slug, [contact]))[0]
    if changed_keys or added or removed:
        log.info("contact %s updated in tenant %s (attributes: %s)", contact.id, tenant.slug, changed_keys)
        if events is not None:
            data = {
                "contact_id": contact.id,
                "tags_added": added,
                "tags_removed": to_remove,
                "attributes": changed_keys,
            }
            await events.publish([DomainEvent.create(tenant.id, EventType.CONTACT_UPDATED, data)])
    return view
