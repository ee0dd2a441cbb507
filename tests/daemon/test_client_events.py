"""The typed client on the daemon's real event stream (``GET /api/v1/events``): own tenant only, and resume."""

from __future__ import annotations

import asyncio

import pytest

from aimstors.client import AimstorsClient, Backoff
from aimstors.core.events import DomainEvent, EventType

from .conftest import Daemon
from .seed import tenant_id


async def _subscribed(daemon: Daemon, more_than: int) -> None:
    async with asyncio.timeout(5):
        while daemon.services.events.subscriber_count <= more_than:
            await asyncio.sleep(0.01)


async def test_the_client_follows_and_resumes_the_real_stream(daemon: Daemon) -> None:
    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as raw, raw.stream("GET", "/api/v1/events") as probe:
        if probe.status_code == 404:
            pytest.skip("GET /api/v1/events is not served yet")
    bus = daemon.services.events
    ours, theirs = await tenant_id(daemon.services.db, "shop-a"), await tenant_id(daemon.services.db, "shop-b")

    def event(tenant: int, marker: str) -> DomainEvent:
        return DomainEvent.create(tenant, EventType.CONTACT_UPDATED, {"contact_id": 1, "marker": marker})

    async with AimstorsClient(daemon.url, token, tenant="shop-a") as client:
        before = bus.subscriber_count
        stream = client.events(backoff=Backoff(initial=0.05, max_attempts=5))
        first_task = asyncio.create_task(anext(stream))
        await _subscribed(daemon, before)
        await bus.publish([event(theirs, "theirs-1"), event(ours, "ours-1")])
        first = await asyncio.wait_for(first_task, 5)
        assert "ours-1" in first.data and "theirs" not in first.data and first.id is not None
        await stream.aclose()

        await bus.publish([event(theirs, "theirs-2"), event(ours, "ours-2")])  # while nobody listens
        resumed = client.events(last_event_id=first.id, backoff=Backoff(initial=0.05, max_attempts=5))
        second = await asyncio.wait_for(anext(resumed), 5)
        assert "ours-2" in second.data and second.id != first.id
        await resumed.aclose()
