"""The daemon's composition root: ``create_app(settings)`` builds the Litestar app the way production runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from aimstors import __version__
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings
from aimstors.daemon.auth import current_actor, requires_action
from aimstors.daemon.errors import EXCEPTION_HANDLERS
from aimstors.daemon.metrics import Metrics, metrics_middleware
from aimstors.daemon.routes import (
    auth,
    billing,
    branding,
    canned_replies,
    contacts,
    events,
    health,
    inbox,
    templates,
    tenancy,
    whatsapp,
)
from aimstors.daemon.runtime import Runtime
from aimstors.daemon.webhooks import DaemonApp, WebhookEndpoint

__all__ = ["create_app"]


def create_app(settings: Settings, *, services: Services | None = None) -> DaemonApp:
    """The daemon's HTTP app. ``services`` may be passed in (tests share them); otherwise built from settings."""
    owns_services = services is None
    app_services = services or build(settings)
    metrics = Metrics()
    runtime = Runtime(app_services, metrics)  # webhook ingest, worker, scheduler: per settings.daemon_roles

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            await runtime.start()
            yield
        finally:
            await runtime.stop()
            if owns_services:
                await app_services.close()

    api_handlers: list[Any] = [
        auth.logout_everywhere,
        auth.me,
        tenancy.TenantController,
        tenancy.UserController,
        tenancy.revoke_key,
        inbox.ConversationController,
        whatsapp.WhatsAppController,
        contacts.ContactController,
        canned_replies.CannedReplyController,
        templates.TemplateController,
        billing.BillingController,
        events.events,
    ]
    from litestar import Router

    api = Router(
        path="/",
        route_handlers=api_handlers,
        guards=[requires_action],
        dependencies={"actor": Provide(current_actor)},
    )
    app = DaemonApp(
        route_handlers=[
            health.healthz,
            health.readyz,
            health.metrics,
            auth.login,
            branding.branding,
            api,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        middleware=[metrics_middleware],
        state=State(
            {
                "services": app_services,
                "settings": settings,
                "metrics": metrics,
                "runtime": runtime,
            }
        ),
        openapi_config=OpenAPIConfig(title="aimstors", version=__version__, path="/schema"),
        request_max_body_size=4 * 1024 * 1024,
        debug=False,
    )
    app.webhooks = WebhookEndpoint(settings, metrics, runtime.ingest)
    return app
