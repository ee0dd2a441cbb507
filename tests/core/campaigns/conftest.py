"""Campaign fixtures: the sandbox on a real port, the daemon (api + worker) receiving its webhooks, a shop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.core.campaigns.world import PNID, Shop, build_shop, sandbox_config, webhooks_processed, world_settings
from tests.daemon.conftest import serve

from aimstors.core.campaigns import DispatchOptions
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings
from aimstors.daemon.app import create_app
from aimstors.sandbox import RunningSandbox, SandboxRemote, running_sandbox

# Short times so a test runs in seconds: quick pause notice, short leases, short request timeout.
FAST_DISPATCH = DispatchOptions(
    control_interval=0.05, heartbeat_interval=0.3, lease_seconds=2.0, request_timeout=2.0, flush_interval=0.05
)


@dataclass
class World:
    services: Services
    sandbox: RunningSandbox
    remote: SandboxRemote
    shop: Shop
    daemon_url: str

    @property
    def db(self) -> Any:
        return self.services.db

    async def settle(self, within: float = 15.0) -> None:
        """Wait until the sandbox has delivered its webhooks and the daemon has processed them."""
        deadline = time.monotonic() + within
        await self.remote.wait_idle(within=within)
        while not await webhooks_processed(self.db):
            if time.monotonic() > deadline:
                raise AssertionError("webhooks not processed in time")
            await asyncio.sleep(0.05)


WorldFactory = Callable[..., Any]


@pytest.fixture
async def make_world(settings: Settings) -> AsyncIterator[WorldFactory]:
    """``await make_world(contacts=20, throughput=1000, **sandbox_config_changes)``."""
    stack: list[Any] = []

    async def make(*, contacts: int = 10, uk: int = 0, throughput: int = 1000, topup: str | None = "100",
                   rates: bool = True, **changes: Any) -> World:  # fmt: skip
        sandbox_cm = running_sandbox(sandbox_config(settings, **changes))
        sandbox = await sandbox_cm.__aenter__()
        stack.append(sandbox_cm)
        remote = SandboxRemote(sandbox.base_url)
        stack.append(remote)
        await remote.number(PNID, throughput_mps=throughput)
        services = build(world_settings(settings, sandbox.base_url))
        stack.append(services)
        shop = await build_shop(services, contacts=contacts, uk=uk, rates=rates, topup=topup, throughput=throughput)
        daemon_cm = serve(create_app(services.settings, services=services))
        url = await daemon_cm.__aenter__()
        stack.append(daemon_cm)
        await remote.settings(webhook_url=f"{url}/webhooks/whatsapp")
        return World(services, sandbox, remote, shop, url)

    yield make
    for item in reversed(stack):
        if isinstance(item, SandboxRemote):
            await item.aclose()
        elif isinstance(item, Services):
            await item.close()
        else:
            await item.__aexit__(None, None, None)
