"""Message templates of a workspace (read only): list with filters, show one. ``?tenant=slug`` as elsewhere."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from aimstors.core.security import Action
from aimstors.core.templates import catalog
from aimstors.daemon.auth import ActorDep
from aimstors.daemon.routes.deps import services_of

__all__ = ["TemplateController"]


class TemplateController(Controller):
    path = "/api/v1/templates"

    @get("/", opt={"action": Action.TEMPLATE_READ})
    async def list_templates(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        tenant: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        language: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
    ) -> list[catalog.TemplateView]:
        """Templates by name and language; each filter given must match exactly."""
        return await catalog.list_templates(
            services_of(request).db,
            actor,
            tenant_slug=tenant,
            name=name,
            language=language,
            status=status,
            category=category,
        )

    @get("/{template_id:int}", opt={"action": Action.TEMPLATE_READ})
    async def show(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        template_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> catalog.TemplateView:
        return await catalog.get_template(services_of(request).db, actor, template_id, tenant_slug=tenant)
