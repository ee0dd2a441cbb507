"""Every job kind core knows how to run, registered in one place for workers (``aimstors serve``/``worker``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aimstors.core import campaigns, inbound, templates
from aimstors.core.queue import HandlerRegistry
from aimstors.core.schedule import maintenance
from aimstors.core.services import Services

__all__ = ["build_registry"]


def build_registry(services: Services, *, yield_to: Callable[[], Awaitable[object]] | None = None) -> HandlerRegistry:
    """A registry with the handlers of inbound processing (``webhook.process``) and maintenance
    (``db.partitions``). Features with background work add their registration here. ``yield_to`` is awaited
    before each batch of inbound processing (the webhook ingest of the same process, when there is one)."""
    registry = HandlerRegistry()
    inbound.register(registry, services, pause=yield_to)
    maintenance.register(registry, services.db)
    campaigns.register(registry, services)  # campaign.start/dispatch/sweep, usage.rollup
    templates.register(registry, services)  # templates.sync
    return registry
