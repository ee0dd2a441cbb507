"""Workers as real processes: SIGTERM, two workers sharing a queue, a worker killed mid-job; and the claim's plan.

Worker processes run ``worker_process.py``; every job they finish is appended (one ``write`` each) to a file,
so exactly-once can be checked from outside.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from aimstors.core.db import Database
from aimstors.core.queue import JobSpec, Worker, claims, enqueue, enqueue_many
from aimstors.core.queue.handlers import HandlerRegistry, JobContext

if TYPE_CHECKING:
    from conftest import JobsTable

Spawn = Callable[..., subprocess.Popen[str]]


def read_ids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


async def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def finish(proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """Wait for ``proc`` to exit cleanly; its stdout."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker exited with {proc.returncode}: {err[-2000:]}"
    return out


async def test_sigterm_finishes_running_jobs_releases_the_rest_and_exits_cleanly(
    db: Database, db_url: str, jobs_table: JobsTable, spawn_worker: Spawn, tmp_path: Path
) -> None:
    ids = await enqueue_many(db, [JobSpec("test", {}) for _ in range(10)])
    started, done = tmp_path / "started", tmp_path / "done"
    proc = spawn_worker(
        db_url, "--behaviour", "sleep", "--sleep", "1.0", "--concurrency", "2", "--batch", "8",
        "--started", str(started), "--record", str(done),
    )  # fmt: skip
    await wait_for(lambda: len(read_ids(started)) == 2, "two jobs to start")
    proc.send_signal(signal.SIGTERM)
    out = finish(proc, timeout=20)

    assert "claimed=8 succeeded=2 failed=0 released=6" in out
    assert sorted(read_ids(done)) == sorted(read_ids(started))
    rows = await jobs_table.rows()
    finished = {i for i in ids if rows[i]["status"] == "done"}
    assert finished == set(read_ids(started))
    assert {(rows[i]["status"], rows[i]["attempts"]) for i in ids if i not in finished} == {("queued", 0)}


@pytest.mark.postgres
@pytest.mark.slow
async def test_two_worker_processes_run_ten_thousand_jobs_exactly_once(
    pg_url: str, spawn_worker: Spawn, tmp_path: Path
) -> None:
    db = Database(pg_url)
    try:
        ids = await enqueue_many(db, [JobSpec("test", {"n": n}) for n in range(10_000)])
        records = [tmp_path / "worker-a", tmp_path / "worker-b"]
        procs = [
            spawn_worker(pg_url, "--until-idle", "--concurrency", "50", "--batch", "100", "--record", str(path))
            for path in records
        ]
        for proc in procs:
            finish(proc, timeout=120)

        per_worker = [read_ids(path) for path in records]
        ran = Counter(job_id for run in per_worker for job_id in run)
        assert [job_id for job_id, times in ran.items() if times > 1] == []
        assert set(ran) == set(ids)
        async with db.engine.connect() as conn:
            summary = (await conn.execute(text("SELECT status, attempts, count(*) FROM jobs GROUP BY 1, 2"))).all()
        assert [tuple(row) for row in summary] == [("done", 1, 10_000)]
        print("jobs per worker:", [len(run) for run in per_worker])
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_jobs_of_a_killed_worker_run_on_another_worker_after_the_lease_expires(
    pg_url: str, spawn_worker: Spawn, tmp_path: Path
) -> None:
    db = Database(pg_url)
    try:
        ids = await enqueue_many(db, [JobSpec("test", {}) for _ in range(20)])
        started, done = tmp_path / "started", tmp_path / "done"
        doomed = spawn_worker(
            pg_url, "--behaviour", "block", "--concurrency", "20", "--batch", "20", "--lease", "2",
            "--started", str(started),
        )  # fmt: skip
        await wait_for(lambda: len(read_ids(started)) == 20, "the first worker to start every job")
        doomed.kill()  # SIGKILL: no clean-up, the leases just stop being renewed
        doomed.wait(10)

        rescuer = spawn_worker(
            pg_url, "--behaviour", "record", "--lease", "2", "--expect", "20", "--timeout", "30",
            "--record", str(done),
        )  # fmt: skip
        finish(rescuer, timeout=40)

        assert sorted(read_ids(done)) == sorted(ids)
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT status, attempts, last_error FROM jobs"))).all()
        assert {(status, attempts) for status, attempts, _ in rows} == {("done", 2)}
        assert all("lease expired" in last_error for _, _, last_error in rows)
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_notification_wakes_an_idle_worker_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    # The same database under another URL, so the in-process wake-up does not fire: only NOTIFY can.
    other = Database(pg_url + "?prepared_statement_cache_size=100")
    ran = asyncio.Event()
    registry = HandlerRegistry()

    @registry.register("ping")
    async def ping(job: JobContext) -> None:
        ran.set()

    worker = Worker(db, registry, poll_interval=30)
    task = asyncio.create_task(worker.run())
    try:
        await wait_for(lambda: worker.listening, "the worker to LISTEN", timeout=10)
        await asyncio.sleep(0.2)
        await enqueue(other, "ping", {})
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)
        await other.dispose()
        await db.dispose()


async def test_the_claim_reads_the_partial_claim_index(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    if db.is_sqlite:
        explain = "EXPLAIN QUERY PLAN "
    else:
        explain = "EXPLAIN "
        # A realistic table: mostly finished jobs, a few queued ones, statistics up to date.
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO jobs (queue, kind, payload, status, priority, run_at, attempts, max_attempts, "
                    "created_at, finished_at) SELECT CASE WHEN g % 4 = 0 THEN 'other' ELSE 'default' END, 'k', "
                    "'{}'::jsonb, CASE WHEN g % 100 = 0 THEN 'queued' ELSE 'done' END, 0, now(), 1, 5, now(), now() "
                    "FROM generate_series(1, 20000) AS g"
                )
            )
            await conn.execute(text("ANALYZE jobs"))
    claim = claims.claim_statement(db.dialect, queues=["default"], owner="w/1", now=now, lease_until=now, limit=100)
    reclaim = claims.reclaim_statement(db.dialect, now=now, limit=100)
    async with db.engine.connect() as conn:
        plans = []
        for stmt in (claim, reclaim):
            sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            plans.append("\n".join(str(row[-1]) for row in (await conn.execute(text(explain + sql))).all()))
    claim_plan, reclaim_plan = plans
    assert "ix_jobs_claim" in claim_plan, claim_plan
    assert "TEMP B-TREE" not in claim_plan and "Sort" not in claim_plan, claim_plan  # rows come in claim order
    if not db.is_sqlite:
        assert "Seq Scan" not in claim_plan, claim_plan
        assert "Seq Scan" not in reclaim_plan, reclaim_plan  # an index on status (which one is up to the planner)
