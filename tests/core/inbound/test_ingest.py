"""The group-commit ingest: many deliveries per transaction, each answered once committed, repeats recognised."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import signal
import sqlite3
import time

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from tests.webhook_world import count, envelope, status, statuses, template_status, text_message

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Job, WebhookEvent
from aimstors.core.errors import DatabaseUnavailable
from aimstors.core.inbound import PROCESS_KIND, IngestUnavailable, WebhookIngest
from aimstors.core.inbound.event_store import event_time
from aimstors.core.security.webhook_signature import meta_json_dumps


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


def test_a_delivery_is_indexed_by_its_latest_event_time() -> None:
    two = statuses([status("wamid.A", "sent", 1_700_000_100), status("wamid.A", "read", 1_700_000_160)])
    assert event_time(meta_json_dumps(two)) == 1_700_000_160
    assert event_time(meta_json_dumps(text_message("hi", ts=1_700_000_200))) == 1_700_000_200
    assert event_time(meta_json_dumps(template_status("123", "promo", "APPROVED", time=1_700_000_300))) == 1_700_000_300
    # shapes nobody has seen, or no time at all: 0, never an error (the delivery is still stored)
    assert event_time(meta_json_dumps(envelope([{"field": "new_thing", "value": [1, 2]}]))) == 0
    assert event_time(b'{"entry": [{"changes": [{"value": {"statuses": [{"timestamp": "soon"}]}}]}]}') == 0
    assert event_time(b'{"entry": "x"}') == event_time(b'{"x": 1}') == 0


async def test_re_deliveries_with_different_event_times_in_one_batch_are_each_recognised(db: Database) -> None:
    """A batch mixes deliveries from several seconds (and a re-delivery of last week's); each is matched only to
    its own earlier copy, after a restart too, on both dialects."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    bodies = [meta_json_dumps(text_message(f"m{i}", ts=now - i)) for i in range(5)]
    old = meta_json_dumps(statuses([status("wamid.OLD", "read", now - 6 * 86_400)]))
    first = WebhookIngest(db, max_wait=0.05)
    await first.start()
    stored = await asyncio.gather(*(first.submit(b) for b in [*bodies[:3], old]))
    await first.stop()
    second = WebhookIngest(db, max_wait=0.05)  # nothing remembered: the table is asked
    await second.start()
    again = await asyncio.gather(*(second.submit(b) for b in [old, *bodies]))
    await second.stop()
    assert [r.duplicate for r in again] == [True, True, True, True, False, False]
    assert [r.event_id for r in again[:4]] == [stored[3].event_id, *(r.event_id for r in stored[:3])]
    async with db.session(Scope.system()) as session:
        times = {body: t for body, t in await session.execute(select(WebhookEvent.body, WebhookEvent.event_time))}
    assert times == {**{b: now - i for i, b in enumerate(bodies)}, old: now - 6 * 86_400}


async def test_a_dead_writer_process_fails_its_batch_and_the_next_one_starts_a_new_writer(db: Database) -> None:
    from aimstors.core.inbound.writer_process import ProcessEventStore

    ingest = WebhookIngest(db, max_wait=0)
    await ingest.start()
    first = await ingest.submit(b'{"n": 1}')
    store = ingest.event_store
    assert isinstance(store, ProcessEventStore) and store.writer_pid is not None
    with open(f"/proc/{store.writer_pid}/cmdline", "rb") as cmdline:  # what `ps` shows every user
        assert make_url(db.url).database.encode() not in cmdline.read()  # type: ignore[union-attr]
    os.kill(store.writer_pid, signal.SIGKILL)  # the writer dies between batches
    with pytest.raises(DatabaseUnavailable):
        await ingest.submit(b'{"n": 2}')  # Meta is answered 503 and sends it again
    again = await ingest.submit(b'{"n": 2}')
    await ingest.stop()
    assert not first.duplicate and not again.duplicate
    async with db.session(Scope.system()) as session:
        stored = sorted(await session.scalars(select(WebhookEvent.body)))
        jobs = list(await session.scalars(select(Job).where(Job.kind == PROCESS_KIND)))
    assert stored == [b'{"n": 1}', b'{"n": 2}'] and len(jobs) == 2  # nothing lost, nothing twice


@pytest.mark.sqlite_only
async def test_under_steady_writes_the_wal_is_started_over_instead_of_growing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aimstors.core.inbound import writer_process

    monkeypatch.setattr(writer_process, "CHECKPOINT_INTERVAL", 0.05)
    monkeypatch.setattr(writer_process, "WAL_RESTART_FRAMES", 20)
    path = str(make_url(db.url).database)
    writer = writer_process.SqliteBatchWriter(path, dedupe_window=dt.timedelta(days=7))

    def batch(n: int) -> None:
        bodies = [f'{{"batch": {n}, "i": {i}}}'.encode() for i in range(50)]
        writer.store({hashlib.sha256(b).hexdigest(): b for b in bodies}, dt.datetime.now(dt.UTC))

    def wal_frames() -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])

    try:
        for n in range(10):
            batch(n)
        grown = wal_frames()
        await asyncio.sleep(0.3)  # the background checkpoint copies the WAL and notes its length
        batch(10)  # starts the WAL over first, then writes
        assert grown > 20 and wal_frames() < grown
    finally:
        writer.close()
    assert await count(db, WebhookEvent.__table__) == 11 * 50  # nothing lost on the way


@pytest.mark.sqlite_only
async def test_the_writer_waits_out_another_process_writing_then_gives_up_cleanly(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (a worker processing webhooks) holds SQLite's write lock: the writer stores its batch the
    moment the lock is free; held past the busy timeout, the batch fails whole and the writer carries on."""
    import threading

    from aimstors.core.inbound import writer_process

    path = str(make_url(db.url).database)
    writer = writer_process.SqliteBatchWriter(path, dedupe_window=dt.timedelta(days=7))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def one(body: bytes) -> dict[str, bytes]:
        return {hashlib.sha256(body).hexdigest(): body}

    try:
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
        fates, queue = writer.store(one(b'{"n": 1}'), dt.datetime.now(dt.UTC))
        assert queue == "webhooks" and [f.duplicate for f in fates.values()] == [False]

        monkeypatch.setattr(writer_process, "SQLITE_BUSY_TIMEOUT_MS", 200)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            writer.store(one(b'{"n": 2}'), dt.datetime.now(dt.UTC))
        other.execute("COMMIT")
        writer.store(one(b'{"n": 3}'), dt.datetime.now(dt.UTC))
    finally:
        writer.close()
        other.close()
    async with db.session(Scope.system()) as session:
        assert sorted(await session.scalars(select(WebhookEvent.body))) == [b'{"n": 1}', b'{"n": 3}']


async def test_work_sharing_the_process_yields_while_the_ingest_is_behind(db: Database) -> None:
    """Inbound processing in the serving process waits (bounded) while deliveries wait; otherwise not at all."""
    ingest = WebhookIngest(db)
    await ingest.start()
    try:
        assert not ingest.behind and await ingest.yield_to_deliveries(longest=1.0) < 0.05
        await asyncio.sleep(0.001)  # the ingest's probe of the event loop is asleep
        time.sleep(0.06)
        await asyncio.sleep(0.001)
        assert ingest.behind  # the loop woke the ingest's probe late
        waited = await ingest.yield_to_deliveries(longest=0.05)
        assert waited >= 0.05  # held back while behind, but never longer than asked
    finally:
        await ingest.stop()


async def test_processing_pauses_before_each_batch(db: Database) -> None:
    from aimstors.core.events import EventBus
    from aimstors.core.inbound.jobs import EventRef
    from aimstors.core.inbound.processor import InboundProcessor

    pauses = 0

    async def pause() -> None:
        nonlocal pauses
        pauses += 1

    ingest = WebhookIngest(db, max_wait=0.05)
    await ingest.start()
    receipts = await asyncio.gather(*(ingest.submit(f'{{"n": {i}}}'.encode()) for i in range(130)))
    await ingest.stop()
    processor = InboundProcessor(db, EventBus(), batch_size=64, pause=pause)
    report = await processor.process(EventRef(r.event_id, r.received_at) for r in receipts)
    assert pauses == 3 and report.events == 130


async def test_an_unreachable_postgres_is_a_retryable_error_that_names_no_secret() -> None:
    """The writer process cannot reach the database: Meta is answered 503 (it retries), the daemon keeps running,
    and neither the error nor the writer's command line shows the URL's password."""
    db = Database("postgresql+asyncpg://aimstors:s3cret-pass@127.0.0.1:1/nowhere")
    ingest = WebhookIngest(db, max_wait=0)
    await ingest.start()
    try:
        with pytest.raises(DatabaseUnavailable) as failed:
            await ingest.submit(b'{"n": 1}')
        assert "s3cret" not in str(failed.value) and "s3cret" not in repr(failed.value)
        assert ingest.running  # the next delivery is tried again
    finally:
        await ingest.stop()
        await db.dispose()
