"""The queue's service API: enqueue (batched, deduplicated, validated), inspect, retry, purge, stats."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.queue import (
    Failure,
    JobSpec,
    JobStore,
    enqueue,
    enqueue_many,
    get_job,
    list_jobs,
    purge,
    retry,
    retry_dead,
    stats,
)

if TYPE_CHECKING:
    from conftest import JobsTable


async def test_enqueue_stores_the_job_as_given(db: Database) -> None:
    run_at = utcnow() + dt.timedelta(minutes=5)
    job_id = await enqueue(
        db, "webhook.process", {"event": 7}, queue="webhooks", run_at=run_at, priority=3,
        dedupe_key="evt-7", max_attempts=9, tenant_id=None,
    )  # fmt: skip
    assert job_id is not None
    job = await get_job(db, job_id)
    assert (job.kind, job.queue, job.payload, job.status, job.priority) == (
        "webhook.process", "webhooks", {"event": 7}, "queued", 3,
    )  # fmt: skip
    assert (job.run_at, job.attempts, job.max_attempts, job.dedupe_key) == (run_at, 0, 9, "evt-7")


async def test_a_duplicate_dedupe_key_is_a_no_op(db: Database, jobs_table: JobsTable) -> None:
    first = await enqueue(db, "tick", {"n": 1}, dedupe_key="tick:2030-01-01T12:00")
    assert first is not None
    assert await enqueue(db, "tick", {"n": 2}, dedupe_key="tick:2030-01-01T12:00") is None
    assert (await get_job(db, first)).payload == {"n": 1}

    ids = await enqueue_many(
        db,
        [
            JobSpec("tick", {}, dedupe_key="tick:2030-01-01T12:00"),  # exists
            JobSpec("tick", {}, dedupe_key="tick:2030-01-01T12:01"),
            JobSpec("tick", {}, dedupe_key="tick:2030-01-01T12:01"),  # twice in one batch
            JobSpec("tick", {}),
            JobSpec("tick", {}),  # no key: never deduplicated
        ],
    )
    assert len(ids) == 3
    assert len(await jobs_table.rows()) == 4


async def test_enqueue_many_inserts_a_large_batch(db: Database, jobs_table: JobsTable) -> None:
    ids = await enqueue_many(db, [JobSpec("bulk", {"i": i}, queue=f"q{i % 3}") for i in range(2500)])
    assert len(ids) == len(set(ids)) == 2500
    assert await jobs_table.statuses() == {"queued": 2500}


INVALID = [
    (JobSpec(""), "job kind"),
    (JobSpec("k", queue="no spaces"), "queue name 'no spaces' is invalid"),
    (JobSpec("k", payload=[1, 2]), "payload must be a JSON object"),  # type: ignore[arg-type]
    (JobSpec("k", run_at=dt.datetime(2030, 1, 1)), "run_at must be timezone-aware"),
    (JobSpec("k", priority=40_000), "priority must be an integer"),
    (JobSpec("k", max_attempts=0), "max_attempts must be from 1"),
    (JobSpec("k", dedupe_key="x" * 300), "dedupe_key"),
    (JobSpec("k", payload={"when": object()}), "job payload is not JSON-serialisable"),
]


async def test_invalid_jobs_are_refused_by_name_and_none_of_the_batch_is_enqueued(
    db: Database, jobs_table: JobsTable
) -> None:
    for spec, message in INVALID:
        with pytest.raises(InvalidInput, match=message) as caught:
            await enqueue_many(db, [JobSpec("fine", {}), spec])
        if "JSON-serialisable" not in message:
            assert caught.value.message.startswith("job #2: ")
    assert await jobs_table.rows() == {}


async def test_enqueue_in_the_callers_transaction_rolls_back_with_it(db: Database, jobs_table: JobsTable) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.connect(Scope.system(), write=True) as conn:
            assert await enqueue(db, "k", {}, conn=conn) is not None
            raise Abort
    assert await jobs_table.rows() == {}

    async with db.connect(Scope.system(), write=True) as conn:
        job_id = await enqueue(db, "k", {}, conn=conn)
    assert job_id is not None and (await get_job(db, job_id)).status == "queued"


async def test_list_jobs_newest_first_with_filters_and_get_job(db: Database) -> None:
    a = await enqueue(db, "send", {}, queue="mail")
    b = await enqueue(db, "sync", {}, queue="mail")
    c = await enqueue(db, "send", {}, queue="sms")
    assert [j.id for j in await list_jobs(db)] == [c, b, a]
    assert [j.id for j in await list_jobs(db, queue="mail")] == [b, a]
    assert [j.id for j in await list_jobs(db, kind="send", queue="sms")] == [c]
    assert [j.id for j in await list_jobs(db, status="queued", limit=1)] == [c]
    assert await list_jobs(db, status="dead") == []
    with pytest.raises(InvalidInput, match="unknown job status 'failed'"):
        await list_jobs(db, status="failed")
    with pytest.raises(InvalidInput, match="limit"):
        await list_jobs(db, limit=0)
    with pytest.raises(NotFound, match="job 4242 does not exist"):
        await get_job(db, 4242)


async def _dead_job(db: Database, queue: str = "default") -> int:
    job_id = await enqueue(db, "doomed", {}, queue=queue, max_attempts=1, priority=100)  # claimed first
    assert job_id is not None
    store = JobStore(db)
    [job] = await store.claim([queue], owner="w/1", limit=1, lease_seconds=30)
    await store.fail([Failure(job.id, job.lease_owner, "RuntimeError: no", utcnow())])
    assert (await get_job(db, job_id)).status == "dead"
    return job_id


async def test_retry_requeues_a_dead_job_with_fresh_attempts(db: Database) -> None:
    job_id = await _dead_job(db)
    job = await retry(db, job_id)
    assert (job.status, job.attempts, job.finished_at) == ("queued", 0, None)
    assert job.run_at <= utcnow()
    assert job.last_error == "RuntimeError: no"  # kept until the next failure, for the record


async def test_retry_refuses_running_and_done_jobs(db: Database) -> None:
    store = JobStore(db)
    running = await enqueue(db, "k", {})
    assert running is not None
    [claimed] = await store.claim(["default"], owner="w/1", limit=1, lease_seconds=30)
    with pytest.raises(Conflict, match=f"job {running} is running"):
        await retry(db, running)
    await store.complete(claimed.lease_owner, [claimed.id])
    with pytest.raises(Conflict, match="already done"):
        await retry(db, running)
    with pytest.raises(NotFound):
        await retry(db, 999_999)


async def test_retry_dead_requeues_every_dead_job_or_one_queues(db: Database) -> None:
    mail = [await _dead_job(db, "mail") for _ in range(2)]
    sms = await _dead_job(db, "sms")
    assert await retry_dead(db, queue="mail") == 2
    assert {(await get_job(db, i)).status for i in mail} == {"queued"}
    assert (await get_job(db, sms)).status == "dead"
    assert await retry_dead(db) == 1
    assert await retry_dead(db) == 0


async def _finish(db: Database, count: int, *, finished_at: dt.datetime) -> list[int]:
    ids = await enqueue_many(db, [JobSpec("k", {}) for _ in range(count)])
    store = JobStore(db)
    jobs = await store.claim(["default"], owner="w/x", limit=count, lease_seconds=30)
    await store.complete("w/x", [j.id for j in jobs], now=finished_at)
    return ids


async def test_purge_deletes_old_finished_jobs_only(db: Database, jobs_table: JobsTable) -> None:
    old = await _finish(db, 3, finished_at=utcnow() - dt.timedelta(days=10))
    recent = await _finish(db, 2, finished_at=utcnow() - dt.timedelta(hours=1))
    queued = await enqueue(db, "k", {})
    dead = await _dead_job(db, "graveyard")

    assert await purge(db, status="done", older_than=dt.timedelta(days=7)) == 3
    remaining = set(await jobs_table.rows())
    assert remaining == {*recent, queued, dead} and not remaining & set(old)
    assert await purge(db, status="dead", older_than=dt.timedelta(0)) == 1
    with pytest.raises(InvalidInput, match="only done or dead jobs can be purged, not 'queued'"):
        await purge(db, status="queued", older_than=dt.timedelta(0))
    with pytest.raises(InvalidInput, match="negative"):
        await purge(db, older_than=dt.timedelta(days=-1))


async def test_purge_frees_dedupe_keys(db: Database) -> None:
    job_id = await enqueue(db, "k", {}, dedupe_key="once")
    assert job_id is not None
    store = JobStore(db)
    [job] = await store.claim(["default"], owner="w/1", limit=1, lease_seconds=30)
    await store.complete(job.lease_owner, [job.id], now=utcnow() - dt.timedelta(days=2))
    assert await enqueue(db, "k", {}, dedupe_key="once") is None
    assert await purge(db, older_than=dt.timedelta(days=1)) == 1
    assert await enqueue(db, "k", {}, dedupe_key="once") is not None


async def test_stats_count_per_queue_and_status_with_the_oldest_due_age(db: Database) -> None:
    assert await stats(db) == []
    now = utcnow()
    await enqueue_many(
        db,
        [
            JobSpec("k", {}, queue="mail", run_at=now - dt.timedelta(seconds=90)),
            JobSpec("k", {}, queue="mail", run_at=now - dt.timedelta(seconds=5)),
            JobSpec("k", {}, queue="mail", run_at=now + dt.timedelta(hours=1)),  # scheduled, not due
            JobSpec("k", {}, queue="sms"),
        ],
    )
    await _dead_job(db, "sms")
    by_queue: dict[str, Any] = {s.queue: s for s in await stats(db)}
    assert set(by_queue) == {"mail", "sms"}
    mail, sms = by_queue["mail"], by_queue["sms"]
    assert (mail.queued, mail.due, mail.running, mail.done, mail.dead) == (3, 2, 0, 0, 0)
    assert 90 <= mail.oldest_due_seconds < 150
    assert (sms.queued, sms.due, sms.dead) == (1, 1, 1)
