"""Canned replies of a workspace: agents read them, admins write them. ``?tenant=slug`` names a sub-workspace."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from aimstors.core.inbox import canned_replies as replies
from aimstors.core.security import Action
from aimstors.daemon.auth import ActorDep
from aimstors.daemon.routes.deps import services_of

__all__ = ["CannedReplyController", "CannedReplyCreate", "CannedReplyUpdate"]


class CannedReplyCreate(msgspec.Struct, forbid_unknown_fields=True):
    shortcut: str
    title: str
    body: str


class CannedReplyUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; those left out stay as they are."""

    shortcut: str | None = None
    title: str | None = None
    body: str | None = None


class CannedReplyController(Controller):
    path = "/api/v1/canned-replies"

    @get("/", opt={"action": Action.CANNED_REPLY_READ})
    async def list_replies(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        tenant: FromQuery[str | None] = None,
        prefix: FromQuery[str | None] = None,
    ) -> list[replies.CannedReplyView]:
        """Canned replies by shortcut; ``prefix`` keeps those whose shortcut starts with it."""
        return await replies.list_canned_replies(services_of(request).db, actor, tenant_slug=tenant, prefix=prefix)

    @post("/", opt={"action": Action.CANNED_REPLY_WRITE})
    async def create(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        data: JSONBody[CannedReplyCreate],
        tenant: FromQuery[str | None] = None,
    ) -> replies.CannedReplyView:
        return await replies.create_canned_reply(
            services_of(request).db, actor, shortcut=data.shortcut, title=data.title, body=data.body, tenant_slug=tenant
        )

    @get("/{reply_id:int}", opt={"action": Action.CANNED_REPLY_READ})
    async def show(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        reply_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> replies.CannedReplyView:
        return await replies.get_canned_reply(services_of(request).db, actor, reply_id, tenant_slug=tenant)

    @patch("/{reply_id:int}", opt={"action": Action.CANNED_REPLY_WRITE})
    async def update(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        reply_id: FromPath[int],
        data: JSONBody[CannedReplyUpdate],
        tenant: FromQuery[str | None] = None,
    ) -> replies.CannedReplyView:
        return await replies.update_canned_reply(
            services_of(request).db,
            actor,
            reply_id,
            shortcut=data.shortcut,
            title=data.title,
            body=data.body,
            tenant_slug=tenant,
        )

    @delete("/{reply_id:int}", opt={"action": Action.CANNED_REPLY_WRITE}, status_code=204)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        reply_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> None:
        await replies.delete_canned_reply(services_of(request).db, actor, reply_id, tenant_slug=tenant)
