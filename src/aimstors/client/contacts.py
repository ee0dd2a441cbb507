"""Contacts: pages and an iterator over all of them, show, tags and attributes, opt-out and opt-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from aimstors.client.connection import Connection
from aimstors.client.models import Contact, ContactPage

__all__ = ["ContactsAPI"]


class ContactsAPI:
    """Contacts of a workspace (``client.contacts``); ``tenant`` defaults to the client's tenant."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(
        self,
        *,
        q: str | None = None,
        phone: str | None = None,
        tag: str | None = None,
        opted_out: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
        tenant: str | None = None,
    ) -> ContactPage:
        """One page, oldest first. ``q`` searches name and number; ``phone`` finds one number in any notation."""
        params = self._c.tenant_params(
            tenant, q=q, phone=phone, tag=tag, opted_out=opted_out, limit=limit, cursor=cursor
        )
        return await self._c.call("GET", "/api/v1/contacts", ContactPage, params=params)

    async def iterate(
        self,
        *,
        q: str | None = None,
        phone: str | None = None,
        tag: str | None = None,
        opted_out: bool | None = None,
        page_size: int = 200,
        tenant: str | None = None,
    ) -> AsyncIterator[Contact]:
        """Every matching contact, fetching pages of ``page_size`` as the caller goes."""
        cursor: str | None = None
        while True:
            page = await self.list(
                q=q, phone=phone, tag=tag, opted_out=opted_out, limit=page_size, cursor=cursor, tenant=tenant
            )
            for contact in page.items:
                yield contact
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def get(self, contact_id: int, *, tenant: str | None = None) -> Contact:
        return await self._c.call(
            "GET", f"/api/v1/contacts/{contact_id}", Contact, params=self._c.tenant_params(tenant)
        )

    async def update(
        self,
        contact_id: int,
        *,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        attributes: Mapping[str, Any] | None = None,
        tenant: str | None = None,
    ) -> Contact:
        """Add/remove tags and merge ``attributes`` (a None value deletes that attribute); all or nothing."""
        body = {"add_tags": list(add_tags), "remove_tags": list(remove_tags), "attributes": dict(attributes or {})}
        return await self._c.call(
            "PATCH", f"/api/v1/contacts/{contact_id}", Contact, json=body, params=self._c.tenant_params(tenant)
        )

    async def opt_out(self, contact_id: int, *, tenant: str | None = None) -> Contact:
        """Opt the contact out of marketing (recorded as manual, now); harmless if already opted out."""
        return await self._c.call(
            "POST", f"/api/v1/contacts/{contact_id}/optout", Contact, params=self._c.tenant_params(tenant)
        )

    async def opt_in(self, contact_id: int, *, tenant: str | None = None) -> Contact:
        """Opt the contact back in; harmless if not opted out."""
        return await self._c.call(
            "POST", f"/api/v1/contacts/{contact_id}/optin", Contact, params=self._c.tenant_params(tenant)
        )
