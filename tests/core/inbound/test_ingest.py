"""The group-commit ingest: many deliveries per transaction, each answered once committed, repeats recognised."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from tests.webhook_world import count

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Job, WebhookEvent
from aimstors.core.inbound import PROCESS_KIND, IngestUnavailable, WebhookIngest


@pytest.mark.sqlite_only
async def test_concurrent_deliveries_are_committed_together_and_repeats_answered_once(db: Database) -> None:
    ingest = WebhookIngest(db, max_wait=0.01)
    await ingest.start()
    bodies = [f'{{"n": {i}}}'.encode() for i in range(50)]
    receipts = await asyncio.gather(*(ingest.submit(b) for b in [*bodies, bodies[0], bodies[0]]))
    later = await ingest.submit(bodies[1])  # remembered: answered without touching the database
    await ingest.stop()
    assert [r.duplicate for r in receipts] == [False] * 50 + [True, True]
    assert receipts[50].event_id == receipts[0].event_id and later.duplicate
    assert ingest.batches < 50
    async with db.session(Scope.system()) as session:
        stored = list(await session.scalars(select(WebhookEvent.body)))
        jobs = list(await session.scalars(select(Job).where(Job.kind == PROCESS_KIND)))
    assert sorted(stored) == sorted(bodies) and len(jobs) == ingest.batches
    with pytest.raises(IngestUnavailable):
        await ingest.submit(b"{}")


@pytest.mark.sqlite_only
async def test_a_caller_that_goes_away_cancels_only_its_answer(db: Database) -> None:
    ingest = WebhookIngest(db, max_wait=0.05)
    await ingest.start()
    gone = asyncio.create_task(ingest.submit(b'{"a": 1}'))
    stays = asyncio.create_task(ingest.submit(b'{"a": 1}'))
    await asyncio.sleep(0.01)
    gone.cancel()
    receipt = await stays
    await ingest.stop()
    assert receipt.duplicate and await count(db, WebhookEvent.__table__) == 1


async def test_a_body_stored_earlier_is_a_duplicate_after_a_restart(db: Database) -> None:
    first = WebhookIngest(db)
    await first.start()
    stored = await first.submit(b'{"x": 1}')
    await first.stop()
    second = WebhookIngest(db)  # a new process: nothing remembered, the table is asked
    await second.start()
    again = await second.submit(b'{"x": 1}')
    await second.stop()
    assert again.duplicate and again.event_id == stored.event_id
    assert await count(db, WebhookEvent.__table__) == 1
