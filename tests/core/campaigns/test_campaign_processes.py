"""Postgres: two dispatcher processes on one campaign share it (claims with SKIP LOCKED, the number's throughput
split between them) and nobody is sent twice, as the sandbox's per-recipient counts show."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tests.core.campaigns.conftest import WorldFactory
from tests.core.campaigns.world import PNID, spawn_dispatcher

from aimstors.core import ledger
from aimstors.core.campaigns import campaign_progress, create_campaign, start_campaign
from aimstors.core.security import Actor

pytestmark = pytest.mark.postgres
SYSTEM = Actor.system()


@pytest.fixture
def db_url(pg_url: str) -> Iterator[str]:
    """This module runs on Postgres only: several processes claiming one campaign is what SKIP LOCKED is for."""
    yield pg_url


async def test_two_dispatcher_processes_share_a_campaign(make_world: WorldFactory) -> None:
    world = await make_world(contacts=200, throughput=100)
    db, tenant = world.db, world.shop.tenant_id
    campaign = await create_campaign(
        db, SYSTEM, name="shared", template="promo", params=["1=attr.first_name", "2=literal:20%"]
    )
    await start_campaign(db, SYSTEM, campaign.id)
    processes = [spawn_dispatcher(world, campaign.id) for _ in range(2)]
    outputs = [await asyncio.to_thread(p.communicate, timeout=60) for p in processes]
    reports = [line for out, _ in outputs for line in out.splitlines() if line.startswith("report")]
    assert len(reports) == 2 and all(p.returncode == 0 for p in processes)
    accepted = [int(r.split("accepted=")[1].split()[0]) for r in reports]
    assert sum(accepted) == 200 and min(accepted) > 0  # both did part of it
    counts = await world.remote.recipients()
    assert len(counts) == 200 and all(c["accepted"] == 1 for c in counts.values())
    histogram = (await world.remote.histogram())[PNID]
    assert histogram["max_sliding_1s"] <= 100  # the number's rate, shared by both
    progress = await campaign_progress(db, SYSTEM, campaign.id)
    assert progress.state == "completed" and progress.accepted == 200
    assert (await ledger.balances(db, tenant))["credits:reserved"] == 0
