"""Naming one contact the way people do: by its id, or by its phone number in any notation."""

from __future__ import annotations

from aimstors.core.contacts.directory import get_contact, list_contacts
from aimstors.core.contacts.filters import ContactFilter
from aimstors.core.contacts.views import ContactView
from aimstors.core.db import Database
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.security import Actor

__all__ = ["find_contact"]


async def find_contact(db: Database, actor: Actor, ref: str, *, tenant_slug: str | None = None) -> ContactView:
    """The contact ``ref`` names: an id (digits only), or a phone number (starting with ``+`` or ``00``, or
    written with spaces or punctuation). NotFound when the workspace has no such contact."""
    text = ref.strip()
    if not text:
        raise InvalidInput("name a contact by its id or its phone number (+…)")
    if text.isdigit() and not text.startswith("00") and len(text) <= 18:
        return await get_contact(db, actor, int(text), tenant_slug=tenant_slug)
    page = await list_contacts(db, actor, tenant_slug=tenant_slug, where=ContactFilter(phone=text), limit=1)
    if not page.items:
        raise NotFound("no contact with that phone number")
    return page.items[0]
