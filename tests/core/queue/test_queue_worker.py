"""The worker in-process: dispatch by kind, the concurrency limit, failures, stopping, wake-ups."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from aimstors.core.db import Database
from aimstors.core.queue import Backoff, HandlerRegistry, JobContext, JobSpec, Worker, enqueue, enqueue_many, get_job

if TYPE_CHECKING:
    from conftest import JobsTable


def make_worker(db: Database, registry: HandlerRegistry, **options: object) -> Worker:
    settings: dict[str, object] = {"concurrency": 4, "batch_size": 10, "poll_interval": 0.05, "grace_seconds": 5.0}
    settings.update(options)
    return Worker(db, registry, **settings)  # type: ignore[arg-type]


async def test_the_worker_runs_each_job_with_its_handler_within_the_concurrency_limit(
    db: Database, registry: HandlerRegistry, jobs_table: JobsTable
) -> None:
    seen: list[tuple[str, int, dict[str, object]]] = []
    running = peak = 0

    @registry.register("email.send")
    async def send(job: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        seen.append((job.kind, job.attempts, job.payload))
        running -= 1

    @registry.register("sms.send")
    async def sms(job: JobContext) -> None:
        seen.append((job.kind, job.attempts, job.payload))

    await enqueue_many(db, [JobSpec("email.send", {"n": n}) for n in range(30)] + [JobSpec("sms.send", {"n": 99})])
    stats = await make_worker(db, registry, concurrency=3).run_until_idle()

    assert (stats.claimed, stats.succeeded, stats.failed) == (31, 31, 0)
    assert peak == 3
    assert sorted(p["n"] for k, _, p in seen if k == "email.send") == list(range(30))  # type: ignore[index]
    assert ("sms.send", 1, {"n": 99}) in seen
    assert await jobs_table.statuses() == {"done": 31}


async def test_a_job_of_an_unknown_kind_fails_with_a_clear_error(db: Database, registry: HandlerRegistry) -> None:
    @registry.register("known")
    async def known(job: JobContext) -> None:
        pass

    job_id = await enqueue(db, "mystery.kind", {}, max_attempts=1)
    assert job_id is not None
    stats = await make_worker(db, registry).run_until_idle()
    job = await get_job(db, job_id)
    assert (stats.failed, job.status) == (1, "dead")
    assert job.last_error == "no handler registered for job kind 'mystery.kind' (known kinds: known)"


async def test_a_failing_handler_is_retried_with_backoff_until_dead(db: Database, registry: HandlerRegistry) -> None:
    calls: list[int] = []

    @registry.register("flaky")
    async def flaky(job: JobContext) -> None:
        calls.append(job.attempts)
        raise ValueError(f"upstream said no on attempt {job.attempts}")

    job_id = await enqueue(db, "flaky", {}, max_attempts=3)
    assert job_id is not None
    # base 0: the retries come due at once, so one run_until_idle sees all three attempts.
    stats = await make_worker(db, registry, backoff=Backoff(base_seconds=0, jitter=0)).run_until_idle()
    job = await get_job(db, job_id)
    assert calls == [1, 2, 3]
    assert (stats.failed, job.status, job.attempts) == (3, "dead", 3)
    assert job.last_error is not None and job.last_error.startswith("ValueError: upstream said no on attempt 3")
    assert "Traceback" in job.last_error


async def test_a_failed_attempt_waits_out_its_backoff(db: Database, registry: HandlerRegistry) -> None:
    @registry.register("once")
    async def once(job: JobContext) -> None:
        raise RuntimeError("not yet")

    job_id = await enqueue(db, "once", {})
    assert job_id is not None
    await make_worker(db, registry, backoff=Backoff(base_seconds=60, jitter=0)).run_until_idle()
    job = await get_job(db, job_id)
    assert (job.status, job.attempts) == ("queued", 1)
    assert 110 <= (job.run_at - job.created_at).total_seconds() <= 130  # 60 * 2**1


async def test_stop_releases_claimed_jobs_that_did_not_start(
    db: Database, registry: HandlerRegistry, jobs_table: JobsTable
) -> None:
    started: list[int] = []
    proceed = asyncio.Event()

    @registry.register("slow")
    async def slow(job: JobContext) -> None:
        started.append(job.id)
        await proceed.wait()

    ids = await enqueue_many(db, [JobSpec("slow", {}) for _ in range(10)])
    worker = make_worker(db, registry, concurrency=2, batch_size=8)
    task = asyncio.create_task(worker.run())
    while len(started) < 2:
        await asyncio.sleep(0.01)
    worker.stop()
    await asyncio.sleep(0.1)
    proceed.set()  # the two running handlers finish within the grace period
    stats = await asyncio.wait_for(task, 10)

    assert (stats.claimed, stats.succeeded, stats.released) == (8, 2, 6)
    rows = await jobs_table.rows()
    assert {i for i in ids if rows[i]["status"] == "done"} == set(started)
    others = [rows[i] for i in ids if i not in started]
    assert {(r["status"], r["attempts"], r["lease_owner"]) for r in others} == {("queued", 0, None)}


async def test_handlers_still_running_after_the_grace_period_are_cancelled_and_recorded(
    db: Database, registry: HandlerRegistry
) -> None:
    cancelled = asyncio.Event()

    @registry.register("stuck")
    async def stuck(job: JobContext) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    job_id = await enqueue(db, "stuck", {})
    assert job_id is not None
    worker = make_worker(db, registry, grace_seconds=0.2)
    task = asyncio.create_task(worker.run())
    while (await get_job(db, job_id)).status != "running":
        await asyncio.sleep(0.02)
    worker.stop()
    stats = await asyncio.wait_for(task, 10)
    job = await get_job(db, job_id)
    assert cancelled.is_set() and stats.failed == 1
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.last_error is not None and job.last_error.startswith("interrupted: the worker stopped")


async def test_an_enqueue_in_the_same_process_wakes_an_idle_worker(db: Database, registry: HandlerRegistry) -> None:
    ran = asyncio.Event()

    @registry.register("ping")
    async def ping(job: JobContext) -> None:
        ran.set()

    worker = make_worker(db, registry, poll_interval=30, listen=False)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.2)  # the first claim found nothing; the worker now sleeps up to 30 s
    await enqueue(db, "ping", {})
    await asyncio.wait_for(ran.wait(), 5)
    worker.stop()
    await asyncio.wait_for(task, 10)


def test_handlers_register_once_per_kind() -> None:
    registry = HandlerRegistry()

    @registry.register("a")
    async def a(job: JobContext) -> None:
        pass

    assert "a" in registry and registry.kinds() == ["a"] and registry.get("a") is a
    with pytest.raises(ValueError, match="job kind 'a' already has a handler"):
        registry.add("a", a)


def test_the_listener_connects_with_the_databases_dsn_minus_sqlalchemy_options() -> None:
    from aimstors.core.queue.wakeups import asyncpg_dsn

    url = "postgresql+asyncpg://app:s%40cret@db.internal:5433/aimstors?prepared_statement_cache_size=0&sslmode=require"
    assert asyncpg_dsn(url) == "postgresql://app:s%40cret@db.internal:5433/aimstors?sslmode=require"
