"""``GET /api/v1/branding``: the brand for the request's Host (a verified custom domain), else the platform's."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from aimstors.core.branding import BrandView, resolve_branding
from aimstors.core.services import Services


@get("/api/v1/branding")
async def branding(request: Request[Any, Any, Any]) -> BrandView:
    """Public: what a login page or the inbox shows for this host (name, logo, colours, support email)."""
    services: Services = request.app.state.services
    return await resolve_branding(services.db, request.headers.get("host"))
