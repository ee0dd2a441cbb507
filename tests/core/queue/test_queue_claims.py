"""Claims, leases and settlements at the store level, with an explicit clock (no sleeping)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest

from aimstors.core.db import Database
from aimstors.core.queue import Backoff, Failure, JobSpec, JobStore, enqueue_many, get_job, retry

if TYPE_CHECKING:
    from conftest import JobsTable


T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
"""A fixed 'now', ahead of the real clock; jobs are enqueued relative to it and claimed at explicit times."""


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


async def add(db: Database, count: int = 1, *, seconds: float = 0, **fields: Any) -> list[int]:
    """Enqueue ``count`` jobs of kind ``k`` due at ``T0 + seconds``."""
    specs = [JobSpec("k", {"n": n}, run_at=at(seconds), **fields) for n in range(count)]
    return await enqueue_many(db, specs)


async def test_claim_leases_due_jobs_and_completion_marks_them_done(
    db: Database, store: JobStore, jobs_table: JobsTable
) -> None:
    ids = await add(db, 5)
    jobs = await store.claim(["default"], owner="w1/1", limit=3, lease_seconds=30, now=at(1))
    assert [j.id for j in jobs] == ids[:3]
    assert {(j.attempts, j.lease_owner, j.kind) for j in jobs} == {(1, "w1/1", "k")}
    assert [j.payload for j in jobs] == [{"n": 0}, {"n": 1}, {"n": 2}]
    info = await get_job(db, ids[0])
    assert (info.status, info.lease_owner, info.lease_expires_at) == ("running", "w1/1", at(31))

    assert await store.complete("w1/1", [j.id for j in jobs], now=at(2)) == 3
    assert await jobs_table.statuses() == {"done": 3, "queued": 2}
    done = await get_job(db, ids[0])
    assert (done.finished_at, done.lease_owner, done.lease_expires_at) == (at(2), None, None)

    rest = await store.claim(["default"], owner="w1/2", limit=10, lease_seconds=30, now=at(3))
    assert [j.id for j in rest] == ids[3:]
    assert await store.claim(["default"], owner="w1/3", limit=10, lease_seconds=30, now=at(4)) == []


async def test_higher_priority_first_then_oldest_run_at(db: Database, store: JobStore) -> None:
    late_low = (await add(db, seconds=-10, priority=0))[0]
    early_low = (await add(db, seconds=-20, priority=0))[0]
    late_high = (await add(db, seconds=-5, priority=5))[0]
    early_high = (await add(db, seconds=-6, priority=5))[0]
    negative = (await add(db, seconds=-30, priority=-1))[0]

    first = await store.claim(["default"], owner="w/1", limit=2, lease_seconds=30, now=T0)
    assert [j.id for j in first] == [early_high, late_high]
    rest = await store.claim(["default"], owner="w/2", limit=10, lease_seconds=30, now=T0)
    assert [j.id for j in rest] == [early_low, late_low, negative]


async def test_a_job_is_not_claimed_before_its_run_at(db: Database, store: JobStore) -> None:
    [job_id] = await add(db, seconds=60)
    assert await store.claim(["default"], owner="w/1", limit=10, lease_seconds=30, now=at(59)) == []
    [job] = await store.claim(["default"], owner="w/2", limit=10, lease_seconds=30, now=at(60))
    assert job.id == job_id


async def test_claims_only_the_named_queues(db: Database, store: JobStore) -> None:
    ids = {q: (await add(db, queue=q))[0] for q in ("mail", "sms", "ai")}
    jobs = await store.claim(["mail", "ai"], owner="w/1", limit=10, lease_seconds=30, now=T0)
    assert sorted(j.id for j in jobs) == sorted([ids["mail"], ids["ai"]])
    assert (await get_job(db, ids["sms"])).status == "queued"


async def test_an_expired_lease_is_reclaimed_by_the_next_claim_as_a_new_attempt(db: Database, store: JobStore) -> None:
    [job_id] = await add(db)
    await store.claim(["default"], owner="dead-worker/1", limit=1, lease_seconds=10, now=T0)
    assert await store.claim(["default"], owner="w2/1", limit=1, lease_seconds=10, now=at(9)) == []

    [job] = await store.claim(["default"], owner="w2/2", limit=1, lease_seconds=10, now=at(11))
    assert (job.id, job.attempts, job.lease_owner) == (job_id, 2, "w2/2")
    info = await get_job(db, job_id)
    assert info.last_error is not None and "lease expired" in info.last_error and "dead-worker/1" in info.last_error


async def test_a_stale_owner_cannot_complete_fail_release_or_renew(db: Database, store: JobStore) -> None:
    [job_id] = await add(db)
    await store.claim(["default"], owner="slow/1", limit=1, lease_seconds=10, now=T0)
    await store.claim(["default"], owner="fast/1", limit=1, lease_seconds=10, now=at(20))

    assert await store.complete("slow/1", [job_id], now=at(21)) == 0
    await store.fail([Failure(job_id, "slow/1", "boom", at(100))], now=at(21))
    assert await store.release({"slow/1": [job_id]}) == 0
    assert await store.renew({"slow/1": [job_id]}, lease_seconds=10, now=at(21)) == set()
    info = await get_job(db, job_id)
    assert (info.status, info.lease_owner, info.attempts, info.lease_expires_at) == ("running", "fast/1", 2, at(30))

    assert await store.complete("fast/1", [job_id], now=at(22)) == 1
    assert (await get_job(db, job_id)).status == "done"


async def test_a_worker_that_reclaims_its_own_expired_job_holds_a_new_lease_token(
    db: Database, store: JobStore
) -> None:
    # Lease tokens are per claim, so the first (stalled) run cannot settle the second run of the same worker.
    [job_id] = await add(db)
    await store.claim(["default"], owner="w/1", limit=1, lease_seconds=10, now=T0)
    await store.claim(["default"], owner="w/2", limit=1, lease_seconds=10, now=at(11))
    assert await store.complete("w/1", [job_id], now=at(12)) == 0
    assert await store.complete("w/2", [job_id], now=at(12)) == 1


async def test_failures_back_off_exponentially_then_the_job_is_dead_and_can_be_retried(
    db: Database, store: JobStore
) -> None:
    [job_id] = await add(db, max_attempts=3)
    backoff = Backoff(base_seconds=10, jitter=0)
    now = T0
    for attempt in (1, 2):
        [job] = await store.claim(["default"], owner=f"w/{attempt}", limit=1, lease_seconds=30, now=now)
        assert job.attempts == attempt
        retry_at = now + dt.timedelta(seconds=backoff.delay(job.attempts))
        await store.fail([Failure(job.id, job.lease_owner, f"boom {attempt}", retry_at)], now=now)
        info = await get_job(db, job_id)
        assert (info.status, info.run_at, info.last_error, info.lease_owner) == (
            "queued", retry_at, f"boom {attempt}", None,
        )  # fmt: skip
        assert (
            await store.claim(
                ["default"], owner="early", limit=1, lease_seconds=30, now=retry_at - dt.timedelta(seconds=1)
            )
            == []
        )
        now = retry_at
    assert (await get_job(db, job_id)).run_at == T0 + dt.timedelta(seconds=20 + 40)  # 10*2**1, then 10*2**2

    [job] = await store.claim(["default"], owner="w/3", limit=1, lease_seconds=30, now=now)
    await store.fail([Failure(job.id, job.lease_owner, "boom 3", now + dt.timedelta(seconds=80))], now=now)
    dead = await get_job(db, job_id)
    assert (dead.status, dead.attempts, dead.last_error, dead.finished_at) == ("dead", 3, "boom 3", now)
    assert await store.claim(["default"], owner="w/4", limit=1, lease_seconds=30, now=at(10_000)) == []

    again = await retry(db, job_id)
    assert (again.status, again.attempts, again.finished_at, again.last_error) == ("queued", 0, None, "boom 3")
    [job] = await store.claim(["default"], owner="w/5", limit=1, lease_seconds=30, now=at(10_000))
    assert job.attempts == 1


async def test_a_lease_that_expires_on_the_last_attempt_makes_the_job_dead(db: Database, store: JobStore) -> None:
    [job_id] = await add(db, max_attempts=1)
    await store.claim(["default"], owner="crashed/1", limit=1, lease_seconds=10, now=T0)
    assert await store.claim(["default"], owner="w/1", limit=1, lease_seconds=10, now=at(11)) == []
    info = await get_job(db, job_id)
    assert info.status == "dead"
    assert info.finished_at == at(10)
    assert info.last_error is not None and "lease expired" in info.last_error


async def test_release_puts_jobs_back_without_counting_the_attempt(
    db: Database, store: JobStore, jobs_table: JobsTable
) -> None:
    ids = await add(db, 3)
    jobs = await store.claim(["default"], owner="w/1", limit=3, lease_seconds=30, now=T0)
    assert await store.release({"w/1": [j.id for j in jobs[1:]]}) == 2
    rows = await jobs_table.rows()
    assert [(rows[i]["status"], rows[i]["attempts"], rows[i]["lease_owner"]) for i in ids] == [
        ("running", 1, "w/1"), ("queued", 0, None), ("queued", 0, None),
    ]  # fmt: skip
    again = await store.claim(["default"], owner="w/2", limit=3, lease_seconds=30, now=T0)
    assert [j.id for j in again] == ids[1:]
    assert [j.attempts for j in again] == [1, 1]


async def test_renew_extends_the_lease_of_jobs_still_held(db: Database, store: JobStore) -> None:
    [job_id] = await add(db)
    await store.claim(["default"], owner="w/1", limit=1, lease_seconds=10, now=T0)
    assert await store.renew({"w/1": [job_id]}, lease_seconds=10, now=at(8)) == {job_id}
    assert await store.claim(["default"], owner="w/2", limit=1, lease_seconds=10, now=at(15)) == []
    assert (await get_job(db, job_id)).lease_expires_at == at(18)


@pytest.mark.parametrize("attempts, expected", [(1, 2.0), (2, 4.0), (3, 8.0), (20, 60.0), (10_000, 60.0)])
def test_backoff_doubles_per_attempt_up_to_its_cap(attempts: int, expected: float) -> None:
    assert Backoff(base_seconds=1, cap_seconds=60, jitter=0).delay(attempts) == expected


def test_backoff_jitter_stays_within_its_fraction() -> None:
    delays = {Backoff(base_seconds=1, jitter=0.2).delay(3) for _ in range(200)}
    assert min(delays) >= 6.4 and max(delays) <= 9.6 and len(delays) > 1
