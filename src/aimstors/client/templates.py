"""Message templates of a workspace (read only)."""

from __future__ import annotations

from aimstors.client.connection import Connection
from aimstors.client.models import Template

__all__ = ["TemplatesAPI"]


class TemplatesAPI:
    """Templates (``client.templates``); ``tenant`` defaults to the client's tenant."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(
        self,
        *,
        name: str | None = None,
        language: str | None = None,
        status: str | None = None,
        category: str | None = None,
        tenant: str | None = None,
    ) -> list[Template]:
        """Templates by name and language; each filter given must match exactly (status/category any case)."""
        params = self._c.tenant_params(tenant, name=name, language=language, status=status, category=category)
        return await self._c.call("GET", "/api/v1/templates", list[Template], params=params)

    async def get(self, template_id: int, *, tenant: str | None = None) -> Template:
        params = self._c.tenant_params(tenant)
        return await self._c.call("GET", f"/api/v1/templates/{template_id}", Template, params=params)
