"""Contacts of a workspace: list and search (cursor pages), show, change tags and attributes, opt out or in.

Every route acts on the caller's own workspace; an admin above it names a workspace of its subtree with
``?tenant=slug``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from aimstors.core import contacts
from aimstors.core.pagination import DEFAULT_LIMIT, Page
from aimstors.core.security import Action
from aimstors.daemon.auth import ActorDep
from aimstors.daemon.routes.deps import services_of

__all__ = ["ContactController", "ContactPatch"]


class ContactPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Tags to add and remove, and an attribute merge patch (a null value deletes that attribute)."""

    add_tags: list[str] = []
    remove_tags: list[str] = []
    attributes: dict[str, Any] = {}


class ContactController(Controller):
    path = "/api/v1/contacts"

    @get("/", opt={"action": Action.CONTACT_READ})
    async def list_contacts(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        tenant: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        phone: FromQuery[str | None] = None,
        tag: FromQuery[str | None] = None,
        opted_out: FromQuery[bool | None] = None,
        limit: FromQuery[int] = DEFAULT_LIMIT,
        cursor: FromQuery[str | None] = None,
    ) -> Page[contacts.ContactView]:
        """Contacts oldest first; ``q`` searches name and number, ``phone`` finds one number in any notation."""
        where = contacts.ContactFilter(search=q, phone=phone, tag=tag, opted_out=opted_out)
        return await contacts.list_contacts(
            services_of(request).db, actor, tenant_slug=tenant, where=where, limit=limit, cursor=cursor
        )

    @get("/{contact_id:int}", opt={"action": Action.CONTACT_READ})
    async def show(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        contact_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> contacts.ContactView:
        return await contacts.get_contact(services_of(request).db, actor, contact_id, tenant_slug=tenant)

    @patch("/{contact_id:int}", opt={"action": Action.CONTACT_WRITE})
    async def update(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        contact_id: FromPath[int],
        data: JSONBody[ContactPatch],
        tenant: FromQuery[str | None] = None,
    ) -> contacts.ContactView:
        services = services_of(request)
        return await contacts.update_contact(
            services.db,
            actor,
            contact_id,
            tenant_slug=tenant,
            add_tags=data.add_tags,
            remove_tags=data.remove_tags,
            attributes=data.attributes,
            events=services.events,
        )

    @post("/{contact_id:int}/optout", opt={"action": Action.CONTACT_OPTOUT}, status_code=200)
    async def opt_out(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        contact_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> contacts.ContactView:
        services = services_of(request)
        return await contacts.opt_out(services.db, actor, contact_id, tenant_slug=tenant, events=services.events)

    @post("/{contact_id:int}/optin", opt={"action": Action.CONTACT_OPTOUT}, status_code=200)
    async def opt_in(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        contact_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> contacts.ContactView:
        services = services_of(request)
        return await contacts.opt_in(services.db, actor, contact_id, tenant_slug=tenant, events=services.events)
