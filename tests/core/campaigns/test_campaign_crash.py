"""Crash safety: a dispatcher process killed with SIGKILL mid-campaign, then another one — every recipient is sent
once or recorded unknown (and settled by its status webhook when Meta had it), and the ledger charges each accepted
message exactly once."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from tests.core.campaigns.conftest import FAST_DISPATCH, WorldFactory
from tests.core.campaigns.world import recipients, spawn_dispatcher, wait_accepted

from aimstors.core import ledger
from aimstors.core.campaigns import Dispatcher, campaign_progress, create_campaign, finalise, start_campaign
from aimstors.core.security import Actor

SYSTEM = Actor.system()
PRICE = 10_000


@pytest.mark.sqlite_only  # the Postgres side of several processes: test_campaign_processes.py
async def test_sigkill_mid_campaign_then_restart(make_world: WorldFactory) -> None:
    world = await make_world(contacts=60, throughput=40)
    db, tenant = world.db, world.shop.tenant_id
    campaign = await create_campaign(
        db, SYSTEM, name="crash", template="promo", params=["1=attr.first_name", "2=literal:20%"],
        resend_grace_seconds=0,
    )  # fmt: skip
    await start_campaign(db, SYSTEM, campaign.id)
    process = spawn_dispatcher(world, campaign.id)
    try:
        await wait_accepted(world, campaign.id, 15)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    killed = await campaign_progress(db, SYSTEM, campaign.id)
    assert killed.state == "running" and killed.by_state["pending"] > 0 and killed.by_state["sending"] > 0

    await asyncio.sleep(1.1)  # the dead dispatcher's leases (1 s) run out
    report = await Dispatcher(world.services, tenant, campaign.id, FAST_DISPATCH).run()
    assert report.stopped_because == "completed"
    await world.settle()
    await finalise(db, tenant, campaign.id)

    counts = await world.remote.recipients()
    rows = await recipients(db, tenant, campaign.id)
    assert len(rows) == 60
    for row in rows:
        accepted = counts.get(row.wa_id, {}).get("accepted", 0)
        assert accepted <= 1  # never sent twice
        if accepted:  # Meta has it: recorded as sent, or unknown and then settled by its status webhook
            assert row.state in {"sent", "delivered", "read"} and row.wamid and row.charged_at
        else:  # claimed by the killed dispatcher but never sent: unknown, never resent blindly
            assert (row.state, row.wamid, row.charged_at) == ("unknown", None, None)
    unknown = sum(r.state == "unknown" for r in rows)
    assert unknown <= 15
    accepted_total = sum(c["accepted"] for c in counts.values())
    assert accepted_total == 60 - unknown
    charged = sum(r.cost for r in rows)
    assert charged == PRICE * accepted_total  # each accepted message charged exactly once
    balances = await ledger.balances(db, tenant)
    assert (balances["credits"], balances["credits:reserved"]) == (100_000_000 - charged, 0)
    assert (await ledger.verify(db)).ok
