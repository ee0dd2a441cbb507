"""The daemon's worker sends campaigns too: `send --detach` and `send --at` become jobs it runs; Meta's pair rate
defers a recipient and sends it later; too many failures pause a campaign with the reason shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from tests.core.campaigns.conftest import FAST_DISPATCH, World, WorldFactory
from tests.core.campaigns.world import recipients, wa_id

from aimstors.core.campaigns import (
    Dispatcher,
    campaign_progress,
    campaign_report,
    create_campaign,
    get_campaign,
    send_campaign,
    start_campaign,
)
from aimstors.core.security import Actor

SYSTEM = Actor.system()
PARAMS = ["1=attr.first_name", "2=literal:20%"]


async def _until(world: World, campaign_id: int, state: str, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while (await campaign_progress(world.db, SYSTEM, campaign_id)).state != state:
        assert time.monotonic() < deadline, f"campaign {campaign_id} did not become {state}"
        await asyncio.sleep(0.05)


async def test_detached_and_scheduled_sends_run_on_the_worker(make_world: WorldFactory) -> None:
    world = await make_world(contacts=6)
    now_campaign = await create_campaign(world.db, SYSTEM, name="now", template="promo", params=PARAMS)
    later = await create_campaign(world.db, SYSTEM, name="later", template="promo", params=PARAMS)
    detached = await send_campaign(world.services, SYSTEM, now_campaign.id, detach=True)
    assert detached.campaign.state == "running" and len(detached.jobs) == 1
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    scheduled = await send_campaign(world.services, SYSTEM, later.id, at=at)
    assert (scheduled.campaign.state, scheduled.campaign.scheduled_at) == ("scheduled", at)
    await _until(world, now_campaign.id, "completed")
    await _until(world, later.id, "completed")
    await world.settle()
    counts = await world.remote.recipients()
    assert len(counts) == 6 and all(c["accepted"] == 2 for c in counts.values())  # one from each campaign
    sent = [r.sent_at for r in await recipients(world.db, world.shop.tenant_id, later.id)]
    # not one before its time (sent_at is the "sent" webhook's time: whole seconds)
    assert len(sent) == 6 and all(t is not None and t >= at.replace(microsecond=0) for t in sent)


async def test_a_scheduled_start_without_credits_fails_the_campaign_with_the_reason(make_world: WorldFactory) -> None:
    world = await make_world(contacts=3, topup=None)
    campaign = await create_campaign(world.db, SYSTEM, name="broke", template="promo", params=PARAMS)
    await send_campaign(world.services, SYSTEM, campaign.id, at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.3))
    await _until(world, campaign.id, "failed")
    shown = await get_campaign(world.db, SYSTEM, campaign.id)
    assert (
        shown.pause_reason is not None and "could not start" in shown.pause_reason and "credits" in shown.pause_reason
    )
    assert await world.remote.messages() == []


@pytest.mark.sqlite_only  # the dispatcher's logic; the same on both dialects
async def test_pair_rate_defers_and_sends_later(make_world: WorldFactory) -> None:
    # A 3 s window: the second campaign starts inside it even on a loaded machine (with 1 s, a busy test run
    # sometimes started it after the window, and nothing was deferred). Retries back off 1 s, then 4 s.
    world = await make_world(contacts=3, pair_rate_limit=1, pair_rate_window=3.0)
    db, tenant = world.db, world.shop.tenant_id
    first = await create_campaign(db, SYSTEM, name="first", template="promo", params=PARAMS)
    await send_campaign(world.services, SYSTEM, first.id, options=FAST_DISPATCH)
    second = await create_campaign(db, SYSTEM, name="second", template="promo", params=PARAMS)
    await start_campaign(db, SYSTEM, second.id)
    report = await Dispatcher(world.services, tenant, second.id, FAST_DISPATCH).run()
    assert report.stopped_because == "completed" and report.deferred >= 3 and report.accepted == 3
    rows = await recipients(db, tenant, second.id)
    assert {r.state for r in rows} <= {"sent", "delivered", "read"} and all(r.attempts >= 2 for r in rows)


@pytest.mark.sqlite_only
async def test_too_many_failures_pause_the_campaign_with_the_reason(make_world: WorldFactory) -> None:
    # Half of them. Enough recipients that the pause (after 20 outcomes) comes while most are still to be sent,
    # however fast the sandbox answers: with 30, a fast machine had sent them all before the 20th answer.
    undeliverable = tuple(wa_id(i) for i in range(0, 200, 2))
    world = await make_world(contacts=200, undeliverable=undeliverable, failure_mode="response")
    campaign = await create_campaign(world.db, SYSTEM, name="bad list", template="promo", params=PARAMS)
    await start_campaign(world.db, SYSTEM, campaign.id)
    report = await Dispatcher(world.services, world.shop.tenant_id, campaign.id, FAST_DISPATCH).run()
    assert report.stopped_because == "paused"
    shown = await get_campaign(world.db, SYSTEM, campaign.id)
    assert shown.state == "paused" and shown.pause_reason is not None
    assert shown.pause_reason.startswith("auto-paused:") and "131026" in shown.pause_reason
    result = await campaign_report(world.db, SYSTEM, campaign.id)
    assert result.failures[0].code == 131026 and result.pending > 0
