"""A tenant's money and usage, read only: ``/api/v1/tenants/{slug}/balance`` and ``/usage``.

These describe the tenant itself (like its API keys), so they sit under the tenant's path; the caller may read its
own tenant or one of its subtree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from aimstors.core import credits, usage
from aimstors.core.security import Action
from aimstors.daemon.auth import ActorDep
from aimstors.daemon.routes.deps import services_of

__all__ = ["BillingController"]


class BillingController(Controller):
    path = "/api/v1/tenants"

    @get("/{slug:str}/balance", opt={"action": Action.CREDITS_READ})
    async def show_balance(
        self, request: Request[Any, Any, Any], actor: ActorDep, slug: FromPath[str]
    ) -> credits.BalanceView:
        """Credits available and reserved, and AI credits, from the ledger."""
        return await credits.balance(services_of(request).db, actor, slug)

    @get("/{slug:str}/usage", opt={"action": Action.USAGE_READ})
    async def show_usage(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        slug: FromPath[str],
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
    ) -> usage.UsageReport:
        """Messages by category, AI tokens and credits per UTC day; the last 30 days by default."""
        return await usage.usage(services_of(request).db, actor, tenant_slug=slug, since=since, until=until)
