"""Inbound fixtures: two connected workspaces, the real ingest and the real worker running ``webhook.process``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.webhook_world import World, build_world

from aimstors.core.handlers import build_registry
from aimstors.core.inbound import Receipt, WebhookIngest
from aimstors.core.queue import Worker
from aimstors.core.security.webhook_signature import meta_json_dumps
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings


@dataclass
class Inbound:
    services: Services
    world: World
    ingest: WebhookIngest

    async def deliver(self, *payloads: dict[str, Any] | bytes) -> list[Receipt]:
        """Store each payload as Meta would have delivered it (no processing yet)."""
        return [await self.ingest.submit(p if isinstance(p, bytes) else meta_json_dumps(p)) for p in payloads]

    async def process(self) -> None:
        """Run the ``webhooks`` queue until nothing is due (what a worker does in production)."""
        worker = Worker(
            self.services.db, build_registry(self.services), queues=["webhooks", "default"], poll_interval=0.05,
            listen=False,
        )  # fmt: skip
        stats = await worker.run_until_idle()
        assert stats.failed == 0

    async def receive(self, *payloads: dict[str, Any] | bytes) -> None:
        await self.deliver(*payloads)
        await self.process()


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    built = build(settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def inbound(services: Services) -> AsyncIterator[Inbound]:
    world = await build_world(services.db)
    ingest = WebhookIngest(services.db)
    await ingest.start()
    try:
        yield Inbound(services, world, ingest)
    finally:
        await ingest.stop()


@pytest.fixture
def poison(monkeypatch: pytest.MonkeyPatch) -> str:
    """Processing an inbound text with this body raises (a bug in one event); every other message applies."""
    from aimstors.core.inbound import processor as processing

    real = processing.inbound_row

    def explode_on_poison(tenant_id, conversation_id, message, created_at):  # type: ignore[no-untyped-def]
        if message.text == "poison":
            raise RuntimeError("boom")
        return real(tenant_id, conversation_id, message, created_at)

    monkeypatch.setattr(processing, "inbound_row", explode_on_poison)
    return "poison"
