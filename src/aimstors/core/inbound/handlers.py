"""The queue handler that runs inbound processing: ``webhook.process`` jobs → :class:`InboundProcessor`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aimstors.core.inbound.consent import KeywordMatcher
from aimstors.core.inbound.jobs import PROCESS_KIND, parse_process_payload
from aimstors.core.inbound.processor import InboundProcessor
from aimstors.core.queue import HandlerRegistry, JobContext
from aimstors.core.services import Services

__all__ = ["processor_for", "register"]


def processor_for(services: Services, *, pause: Callable[[], Awaitable[object]] | None = None) -> InboundProcessor:
    """The processor of this process, configured from settings (opt-out keywords) and publishing on its bus;
    ``pause`` is awaited before each batch (see :class:`InboundProcessor`)."""
    settings = services.settings
    keywords = KeywordMatcher(settings.optout_keywords, settings.optin_keywords)
    return InboundProcessor(services.db, services.events, keywords=keywords, pause=pause)


def register(
    registry: HandlerRegistry, services: Services, *, pause: Callable[[], Awaitable[object]] | None = None
) -> InboundProcessor:
    """Register the ``webhook.process`` handler on ``registry``; returns the processor it uses."""
    processor = processor_for(services, pause=pause)

    async def process_webhooks(job: JobContext) -> None:
        refs, reconcile_round = parse_process_payload(job.payload)
        await processor.process(refs, reconcile_round=reconcile_round)

    registry.add(PROCESS_KIND, process_webhooks)
    return processor
