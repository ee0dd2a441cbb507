"""Tenants, users and memberships, API keys."""

from __future__ import annotations

from aimstors.client.connection import Connection, segment
from aimstors.client.models import ApiKey, Membership, NewApiKey, Tenant, User

__all__ = ["ApiKeysAPI", "TenantsAPI", "UsersAPI"]


class TenantsAPI:
    """The tenant tree within the caller's reach (``client.tenants``)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(self, *, kind: str | None = None) -> list[Tenant]:
        """Every tenant in the caller's subtree, in tree order; ``kind`` keeps resellers or workspaces."""
        return await self._c.call("GET", "/api/v1/tenants", list[Tenant], params={"kind": kind})

    async def get(self, slug: str) -> Tenant:
        return await self._c.call("GET", f"/api/v1/tenants/{segment(slug)}", Tenant)

    async def create(
        self, slug: str, *, name: str | None = None, kind: str = "workspace", parent: str | None = None
    ) -> Tenant:
        """Create a workspace (or, for platform admins, a reseller) under ``parent`` (default: the platform)."""
        body = {"slug": slug, "name": name, "kind": kind, "parent": parent}
        return await self._c.call("POST", "/api/v1/tenants", Tenant, json=body)


class UsersAPI:
    """Users and their memberships (``client.users``)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(self, *, tenant: str | None = None) -> list[User]:
        """Users with a role in the caller's subtree, or in ``tenant`` only."""
        return await self._c.call("GET", "/api/v1/users", list[User], params={"tenant": tenant})

    async def create(
        self,
        email: str,
        *,
        password: str | None = None,
        name: str = "",
        tenant: str | None = None,
        role: str | None = None,
    ) -> User:
        """Create a user, optionally with a first role in ``tenant``."""
        body = {"email": email, "password": password, "name": name, "tenant": tenant, "role": role}
        return await self._c.call("POST", "/api/v1/users", User, json=body)

    async def grant(self, email: str, *, tenant: str, role: str) -> Membership:
        """Give the user ``role`` in ``tenant`` (replacing a role held there)."""
        body = {"tenant": tenant, "role": role}
        return await self._c.call("POST", f"/api/v1/users/{segment(email)}/memberships", Membership, json=body)

    async def revoke(self, email: str, *, tenant: str) -> None:
        """Remove the user's role in ``tenant`` and sign them out everywhere."""
        await self._c.request("DELETE", f"/api/v1/users/{segment(email)}/memberships/{segment(tenant)}")


class ApiKeysAPI:
    """API keys of a tenant (``client.api_keys``)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(self, tenant: str) -> list[ApiKey]:
        return await self._c.call("GET", f"/api/v1/tenants/{segment(tenant)}/api-keys", list[ApiKey])

    async def create(self, tenant: str, name: str, *, role: str = "workspace_agent") -> NewApiKey:
        """Create a key; its secret is in the result this once only."""
        body = {"name": name, "role": role}
        return await self._c.call("POST", f"/api/v1/tenants/{segment(tenant)}/api-keys", NewApiKey, json=body)

    async def revoke(self, prefix: str) -> ApiKey:
        """Revoke a key by its visible prefix (``ak_…``); revoking twice is harmless."""
        return await self._c.call("DELETE", f"/api/v1/api-keys/{segment(prefix)}", ApiKey)
