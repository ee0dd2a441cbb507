"""``AimstorsClient``: the daemon's API as typed async Python, for scripts and the terminal inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from types import TracebackType

import httpx

from aimstors.client.connection import Connection, segment
from aimstors.client.contacts import ContactsAPI
from aimstors.client.inbox import CannedRepliesAPI, ConversationsAPI
from aimstors.client.models import Balance, Me, Session, Usage
from aimstors.client.sse import Backoff, ServerEvent, event_stream
from aimstors.client.templates import TemplatesAPI
from aimstors.client.tenancy import ApiKeysAPI, TenantsAPI, UsersAPI

__all__ = ["AimstorsClient"]


class AimstorsClient:
    """A connection to one daemon, as one credential.

    ``token`` is a session token (from :meth:`login`) or an API key (``ak_…``). Calls on workspace data (contacts,
    canned replies, templates, ...) act on ``tenant`` when given, else on the client's default tenant (set by
    :meth:`login`, or passed here), else on the credential's own tenant. Use it as an async context manager, or
    call :meth:`aclose`. Errors are raised as :class:`~aimstors.client.ApiError` subclasses carrying the daemon's
    ``code`` and ``message``.

    Resource groups: :attr:`tenants`, :attr:`users`, :attr:`api_keys`, :attr:`contacts`,
    :attr:`canned_replies`, :attr:`templates`.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        tenant: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._c = Connection(base_url, token=token, tenant=tenant, timeout=timeout, transport=transport)
        self.tenants = TenantsAPI(self._c)
        self.users = UsersAPI(self._c)
        self.api_keys = ApiKeysAPI(self._c)
        self.contacts = ContactsAPI(self._c)
        self.canned_replies = CannedRepliesAPI(self._c)
        self.templates = TemplatesAPI(self._c)
        self.conversations = ConversationsAPI(self._c)

    @property
    def token(self) -> str | None:
        """The bearer credential sent with every call."""
        return self._c.token

    @token.setter
    def token(self, value: str | None) -> None:
        self._c.token = value

    @property
    def tenant(self) -> str | None:
        """The default tenant slug for workspace calls (None: the credential's own)."""
        return self._c.tenant

    @tenant.setter
    def tenant(self, value: str | None) -> None:
        self._c.tenant = value

    async def __aenter__(self) -> AimstorsClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._c.aclose()

    async def login(self, email: str, password: str, tenant: str | None = None) -> Session:
        """Sign in with a password; the client then uses the session token and its tenant.

        ``tenant`` picks the membership when the user has roles in several tenants.
        """
        body = {"email": email, "password": password} | ({"tenant": tenant} if tenant else {})
        session = await self._c.call("POST", "/api/v1/auth/login", Session, json=body)
        self._c.token = session.token
        self._c.tenant = session.tenant
        return session

    async def logout_everywhere(self) -> None:
        """Revoke every session token of the signed-in user, this one included."""
        await self._c.request("POST", "/api/v1/auth/logout-everywhere")

    async def me(self) -> Me:
        """Who the credential is: kind, role, tenant and permissions."""
        return await self._c.call("GET", "/api/v1/me", Me)

    async def _tenant_slug(self, tenant: str | None) -> str:
        if tenant or self._c.tenant:
            return tenant or self._c.tenant or ""
        me = await self.me()
        if me.tenant is None:
            raise ValueError("this credential has no tenant; pass tenant=")
        self._c.tenant = me.tenant
        return me.tenant

    async def balance(self, tenant: str | None = None) -> Balance:
        """Credits available and reserved for a tenant (default: the client's)."""
        slug = await self._tenant_slug(tenant)
        return await self._c.call("GET", f"/api/v1/tenants/{segment(slug)}/balance", Balance)

    async def usage(
        self, *, since: dt.date | None = None, until: dt.date | None = None, tenant: str | None = None
    ) -> Usage:
        """Messages by category, AI tokens and credits per UTC day (default: the last 30 days)."""
        slug = await self._tenant_slug(tenant)
        params = {"since": since, "until": until}
        return await self._c.call("GET", f"/api/v1/tenants/{segment(slug)}/usage", Usage, params=params)

    def events(
        self, last_event_id: str | None = None, *, backoff: Backoff | None = None
    ) -> AsyncGenerator[ServerEvent, None]:
        """The live event stream (``GET /api/v1/events``) as an async iterator that reconnects by itself.

        After a dropped connection it resumes from the last event seen (``Last-Event-ID``); pass
        ``last_event_id`` to resume a previous stream. Stop by leaving the ``async for`` loop (or ``aclose()``).
        """
        return event_stream(
            self._c.http,
            "/api/v1/events",
            headers=self._c.auth_headers(),
            last_event_id=last_event_id,
            backoff=backoff,
        )
