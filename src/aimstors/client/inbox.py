"""The team inbox over HTTP: canned replies here; conversations, messages and notes belong beside them."""

from __future__ import annotations

from aimstors.client.connection import Connection
from aimstors.client.models import CannedReply

__all__ = ["CannedRepliesAPI"]


class CannedRepliesAPI:
    """Saved answers of a workspace (``client.canned_replies``); ``tenant`` defaults to the client's tenant."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(self, *, prefix: str | None = None, tenant: str | None = None) -> list[CannedReply]:
        """Canned replies by shortcut; ``prefix`` keeps those whose shortcut starts with it."""
        params = self._c.tenant_params(tenant, prefix=prefix)
        return await self._c.call("GET", "/api/v1/canned-replies", list[CannedReply], params=params)

    async def get(self, reply_id: int, *, tenant: str | None = None) -> CannedReply:
        params = self._c.tenant_params(tenant)
        return await self._c.call("GET", f"/api/v1/canned-replies/{reply_id}", CannedReply, params=params)

    async def create(self, shortcut: str, title: str, body: str, *, tenant: str | None = None) -> CannedReply:
        """Save a reply; ConflictError when the shortcut is taken in that workspace."""
        params = self._c.tenant_params(tenant)
        payload = {"shortcut": shortcut, "title": title, "body": body}
        return await self._c.call("POST", "/api/v1/canned-replies", CannedReply, json=payload, params=params)

    async def update(
        self,
        reply_id: int,
        *,
        shortcut: str | None = None,
        title: str | None = None,
        body: str | None = None,
        tenant: str | None = None,
    ) -> CannedReply:
        """Change the fields given; the others stay as they are."""
        params = self._c.tenant_params(tenant)
        payload = {k: v for k, v in {"shortcut": shortcut, "title": title, "body": body}.items() if v is not None}
        return await self._c.call(
            "PATCH", f"/api/v1/canned-replies/{reply_id}", CannedReply, json=payload, params=params
        )

    async def delete(self, reply_id: int, *, tenant: str | None = None) -> None:
        await self._c.request("DELETE", f"/api/v1/canned-replies/{reply_id}", params=self._c.tenant_params(tenant))
