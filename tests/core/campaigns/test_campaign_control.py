"""Pause, resume and cancel while a campaign is sending: the dispatcher notices promptly and leaves no loose ends."""

from __future__ import annotations

import asyncio
import time

import pytest
from tests.core.campaigns.conftest import FAST_DISPATCH, WorldFactory
from tests.core.campaigns.world import recipients

from aimstors.core import ledger
from aimstors.core.campaigns import (
    Dispatcher,
    campaign_progress,
    cancel_campaign,
    create_campaign,
    pause_campaign,
    resume_campaign,
    start_campaign,
)
from aimstors.core.errors import Conflict
from aimstors.core.security import Actor

SYSTEM = Actor.system()
PARAMS = ["1=attr.first_name", "2=literal:20%"]


async def _accepted_at_least(world: object, campaign_id: int, n: int) -> None:
    deadline = time.monotonic() + 10
    while (await campaign_progress(world.db, SYSTEM, campaign_id)).accepted < n:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the campaign did not get going"
        await asyncio.sleep(0.02)


async def test_pause_then_resume_sends_everyone_once(make_world: WorldFactory) -> None:
    # 3 s of sends at 20/s: the pause lands while most are still to go, however fast the machine.
    world = await make_world(contacts=60, throughput=20)
    db, tenant = world.db, world.shop.tenant_id
    campaign = await create_campaign(db, SYSTEM, name="slow", template="promo", params=PARAMS)
    await start_campaign(db, SYSTEM, campaign.id)
    dispatcher = Dispatcher(world.services, tenant, campaign.id, FAST_DISPATCH)
    running = asyncio.create_task(dispatcher.run())
    await _accepted_at_least(world, campaign.id, 5)

    paused_at = time.monotonic()
    await pause_campaign(db, SYSTEM, campaign.id, reason="checking the copy")
    report = await asyncio.wait_for(running, timeout=5)
    # Stopped well before the remaining ~2.7 s of sends would have gone out (a CI run under load took 1.3 s).
    assert report.stopped_because == "paused" and time.monotonic() - paused_at < 2.0
    progress = await campaign_progress(db, SYSTEM, campaign.id)
    assert (progress.state, progress.pause_reason) == ("paused", "checking the copy")
    assert progress.by_state["sending"] == 0 and 0 < progress.by_state["pending"] < 60, progress.by_state
    with pytest.raises(Conflict, match="paused"):
        await pause_campaign(db, SYSTEM, campaign.id)

    await resume_campaign(db, SYSTEM, campaign.id)
    again = await Dispatcher(world.services, tenant, campaign.id, FAST_DISPATCH).run()
    assert again.stopped_because == "completed"
    await world.settle()
    counts = await world.remote.recipients()
    assert len(counts) == 60 and all(c["accepted"] == 1 for c in counts.values())
    assert {r.state for r in await recipients(db, tenant, campaign.id)} == {"read"}
    balances = await ledger.balances(db, tenant)
    assert (balances["credits"], balances["credits:reserved"]) == (100_000_000 - 60 * 10_000, 0)


async def test_cancel_skips_the_rest_and_releases_the_reservation(make_world: WorldFactory) -> None:
    world = await make_world(contacts=30, throughput=20)
    db, tenant = world.db, world.shop.tenant_id
    campaign = await create_campaign(db, SYSTEM, name="cancel me", template="promo", params=PARAMS)
    await start_campaign(db, SYSTEM, campaign.id)
    assert (await ledger.balances(db, tenant))["credits:reserved"] == 30 * 10_000
    running = asyncio.create_task(Dispatcher(world.services, tenant, campaign.id, FAST_DISPATCH).run())
    await _accepted_at_least(world, campaign.id, 5)

    cancelled = await cancel_campaign(db, SYSTEM, campaign.id)
    assert cancelled.state == "cancelled"
    report = await asyncio.wait_for(running, timeout=5)
    assert report.stopped_because == "cancelled"
    rows = await recipients(db, tenant, campaign.id)
    sent = [r for r in rows if r.wamid]
    assert {r.state for r in rows if not r.wamid} == {"skipped"}
    assert {r.skip_reason for r in rows if not r.wamid} == {"cancelled"}
    assert len(await world.remote.messages()) == len(sent)
    balances = await ledger.balances(db, tenant)
    assert (balances["credits"], balances["credits:reserved"]) == (100_000_000 - len(sent) * 10_000, 0)
    with pytest.raises(Conflict, match="finished campaign cannot start"):
        await resume_campaign(db, SYSTEM, campaign.id)
    assert (await ledger.verify(db)).ok
