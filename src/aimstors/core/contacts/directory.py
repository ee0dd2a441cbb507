"""Reading contacts: list and search with cursor pages, show one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.contacts.filters import ContactFilter
from aimstors.core.contacts.views import ContactView, contact_views
from aimstors.core.db import Database
from aimstors.core.db.models import Contact
from aimstors.core.errors import NotFound
from aimstors.core.pagination import DEFAULT_LIMIT, Page, check_limit, decode_id_cursor, encode_id_cursor
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef, target_tenant

__all__ = ["CONTACT_TENANT_KINDS", "contact_tenant", "get_contact", "list_contacts", "load_contact"]

CONTACT_TENANT_KINDS = frozenset({"workspace"})
_LISTING = "contacts"


async def contact_tenant(db: Database, actor: Actor, tenant_slug: str | None, action: Action) -> TenantRef:
    """The workspace whose contacts a call works on (the actor's own unless ``tenant_slug`` names one)."""
    return await target_tenant(db, actor, tenant_slug, action, kinds=CONTACT_TENANT_KINDS, what="contact")


async def load_contact(session: AsyncSession, tenant_id: int, contact_id: int, *, lock: bool = False) -> Contact:
    """The contact with ``contact_id`` in the tenant; NotFound otherwise. ``lock`` holds it for an update."""
    stmt = select(Contact).where(Contact.tenant_id == tenant_id, Contact.id == contact_id)
    if lock:
        stmt = stmt.with_for_update()
    contact = await session.scalar(stmt)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


async def list_contacts(
    db: Database,
    actor: Actor,
    *,
    tenant_slug: str | None = None,
    where: ContactFilter | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[ContactView]:
    """Contacts of a workspace matching ``where``, oldest first, ``limit`` at a time.

    Pass a page's ``next_cursor`` back as ``cursor`` for the next page; it is None on the last one. Contacts added
    while paging appear on later pages. InvalidInput for a bad limit, cursor or filter value.
    """
    check_limit(limit)
    after = decode_id_cursor(_LISTING, cursor) if cursor else None
    tenant = await contact_tenant(db, actor, tenant_slug, Action.CONTACT_READ)
    conditions = (where or ContactFilter()).conditions(tenant.id)
    stmt = select(Contact).where(Contact.tenant_id == tenant.id, *conditions)
    if after is not None:
        stmt = stmt.where(Contact.id > after)
    stmt = stmt.order_by(Contact.id).limit(limit + 1)
    async with db.session(tenant.scope) as session:
        rows = list(await session.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        items = await contact_views(session, tenant.slug, rows)
    return Page(items, encode_id_cursor(_LISTING, rows[-1].id) if more else None)


async def get_contact(db: Database, actor: Actor, contact_id: int, *, tenant_slug: str | None = None) -> ContactView:
    """One contact with its tags; NotFound when it is not a contact of that workspace."""
    tenant = await contact_tenant(db, actor, tenant_slug, Action.CONTACT_READ)
    async with db.session(tenant.scope) as session:
        contact = await load_contact(session, tenant.id, contact_id)
        return (await contact_views(session, tenant.slug, [contact]))[0]
