"""The queue's API for the rest of aimstors and its interfaces: enqueue, inspect, retry, purge, stats.

The jobs table is install-wide (a system table): these functions run in the system scope. ``tenant_id`` on a
job is informational; interfaces decide who may see or retry what before calling here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.queue import claims
from aimstors.core.queue.claims import JOBS
from aimstors.core.queue.records import STATUSES, JobInfo, JobSpec, QueueStats
from aimstors.core.queue.wakeups import wake_local

__all__ = ["enqueue", "enqueue_many", "get_job", "job_rows", "list_jobs", "purge", "retry", "retry_dead", "stats"]

_c = JOBS.c
_INFO_COLUMNS = (
    _c.id, _c.queue, _c.kind, _c.status, _c.priority, _c.run_at, _c.attempts, _c.max_attempts,
    _c.lease_owner, _c.lease_expires_at, _c.dedupe_key, _c.last_error, _c.tenant_id, _c.created_at,
    _c.finished_at, _c.payload,
)  # fmt: skip
PURGEABLE = ("done", "dead")
MAX_LIST = 10_000


async def enqueue(
    db: Database,
    kind: str,
    payload: dict[str, Any],
    *,
    queue: str = "default",
    run_at: dt.datetime | None = None,
    priority: int = 0,
    dedupe_key: str | None = None,
    max_attempts: int = 5,
    tenant_id: int | None = None,
    conn: AsyncConnection | None = None,
) -> int | None:
    """Enqueue one job; returns its id, or None when ``dedupe_key`` already exists (nothing is enqueued).

    With ``conn`` the job is inserted in the caller's transaction (committed or rolled back with it), e.g.
    together with the webhook event it processes; from an ORM session pass ``await session.connection()``.
    InvalidInput names the first bad field; nothing is written then.
    """
    spec = JobSpec(kind, payload, queue, run_at, priority, dedupe_key, max_attempts, tenant_id)
    ids = await enqueue_many(db, [spec], conn=conn)
    return ids[0] if ids else None


async def enqueue_many(db: Database, specs: Iterable[JobSpec], *, conn: AsyncConnection | None = None) -> list[int]:
    """Enqueue many jobs in one statement (batched); returns the ids created. Specs whose ``dedupe_key``
    already exists are skipped. All or nothing: one invalid spec raises InvalidInput and enqueues none."""
    rows = job_rows(specs, utcnow())
    if not rows:
        return []
    try:
        if conn is not None:
            ids = await claims.insert_jobs(conn, rows)
        else:
            async with db.connect(Scope.system(), write=True) as own:
                ids = await claims.insert_jobs(own, rows)
    except StatementError as exc:
        if isinstance(exc.orig, TypeError | ValueError):
            raise InvalidInput(f"job payload is not JSON-serialisable: {exc.orig}") from None
        raise
    if ids:
        wake_local(db.url, {row["queue"] for row in rows})
    return ids


def job_rows(specs: Iterable[JobSpec], now: dt.datetime) -> list[dict[str, Any]]:
    """The ``jobs`` rows for ``specs`` (every column but ``id``), validated: InvalidInput names the first bad one.

    For writers that insert jobs with their own statements in their own transaction (the SQLite webhook ingest);
    everyone else calls :func:`enqueue_many`."""
    rows: list[dict[str, Any]] = []
    for index, spec in enumerate(specs):
        try:
            spec.validate()
        except InvalidInput as exc:
            raise InvalidInput(f"job #{index + 1}: {exc.message}") from None
        rows.append(_row(spec, now))
    return rows


def _row(spec: JobSpec, now: dt.datetime) -> dict[str, Any]:
    return {
        "queue": spec.queue,
        "kind": spec.kind,
        "payload": spec.payload,
        "status": "queued",
        "priority": spec.priority,
        "run_at": spec.run_at or now,
        "attempts": 0,
        "max_attempts": spec.max_attempts,
        "lease_owner": None,
        "lease_expires_at": None,
        "dedupe_key": spec.dedupe_key,
        "last_error": None,
        "tenant_id": spec.tenant_id,
        "created_at": now,
        "finished_at": None,
    }


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown job status {status!r}; use one of {', '.join(STATUSES)}")


async def list_jobs(
    db: Database,
    *,
    status: str | None = None,
    queue: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[JobInfo]:
    """The newest jobs first, optionally filtered by status, queue and kind (exact matches)."""
    _check_status(status)
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be from 1 to {MAX_LIST}, not {limit}")
    stmt = select(*_INFO_COLUMNS).order_by(_c.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(_c.status == status)
    if queue is not None:
        stmt = stmt.where(_c.queue == queue)
    if kind is not None:
        stmt = stmt.where(_c.kind == kind)
    async with db.connect(Scope.system()) as conn:
        rows = (await conn.execute(stmt)).all()
    return [JobInfo(**row._mapping) for row in rows]


async def get_job(db: Database, job_id: int) -> JobInfo:
    """One job; NotFound if there is no job ``job_id`` (never enqueued, or purged)."""
    async with db.connect(Scope.system()) as conn:
        return await _get(conn, job_id)


async def _get(conn: AsyncConnection, job_id: int) -> JobInfo:
    row = (await conn.execute(select(*_INFO_COLUMNS).where(_c.id == job_id))).first()
    if row is None:
        raise NotFound(f"job {job_id} does not exist", hint="it may have been purged; see `aimstors jobs list`")
    return JobInfo(**row._mapping)


async def retry(db: Database, job_id: int) -> JobInfo:
    """Run job ``job_id`` again now with a fresh set of attempts: a ``dead`` job, or a queued one waiting out
    its backoff. Conflict for a running job (its worker holds it) or a done one (enqueue anew instead)."""
    now = utcnow()
    async with db.connect(Scope.system(), write=True) as conn:
        job = await _get(conn, job_id)
        if job.status == "running":
            raise Conflict(
                f"job {job_id} is running (leased to {job.lease_owner}); it cannot be retried until it "
                "finishes or its lease expires"
            )
        if job.status == "done":
            raise Conflict(f"job {job_id} is already done; enqueue a new job to run it again")
        await conn.execute(
            update(JOBS)
            .where(_c.id == job_id, _c.status.in_(["queued", "dead"]))
            .values(status="queued", attempts=0, run_at=now, finished_at=None)
        )
        await claims.notify(conn, [job.queue])
        job = await _get(conn, job_id)
    wake_local(db.url, [job.queue])
    return job


async def retry_dead(db: Database, *, queue: str | None = None) -> int:
    """Requeue every dead job (of ``queue``, if given) to run now with fresh attempts; returns how many."""
    now = utcnow()
    condition = _c.status == "dead" if queue is None else and_(_c.status == "dead", _c.queue == queue)
    async with db.connect(Scope.system(), write=True) as conn:
        queues = list((await conn.execute(select(_c.queue).where(condition).distinct())).scalars())
        result = await conn.execute(
            update(JOBS).where(condition).values(status="queued", attempts=0, run_at=now, finished_at=None)
        )
        await claims.notify(conn, queues)
    wake_local(db.url, queues)
    return int(result.rowcount)


async def purge(db: Database, *, status: str = "done", older_than: dt.timedelta) -> int:
    """Delete ``done`` (or ``dead``) jobs that finished more than ``older_than`` ago; returns how many.

    Their dedupe keys become free again."""
    if status not in PURGEABLE:
        raise InvalidInput(f"only done or dead jobs can be purged, not {status!r}")
    if older_than < dt.timedelta(0):
        raise InvalidInput("older_than must not be negative")
    cutoff = utcnow() - older_than
    async with db.connect(Scope.system(), write=True) as conn:
        result = await conn.execute(delete(JOBS).where(_c.status == status, _c.finished_at < cutoff))
    return int(result.rowcount)


async def stats(db: Database) -> list[QueueStats]:
    """Counts per queue and status, with how many queued jobs are due and how long the oldest has waited."""
    now = utcnow()
    is_due = and_(_c.status == "queued", _c.run_at <= now)
    by_status = select(_c.queue, _c.status, func.count()).group_by(_c.queue, _c.status)
    due = select(_c.queue, func.count(), func.min(_c.run_at)).where(is_due).group_by(_c.queue)
    async with db.connect(Scope.system()) as conn:
        counts = (await conn.execute(by_status)).all()
        due_rows = (await conn.execute(due)).all()
    table: dict[str, dict[str, Any]] = {}
    for queue, status, count in counts:
        table.setdefault(queue, {"queue": queue})[status] = int(count)
    for queue, count, oldest in due_rows:
        entry = table.setdefault(queue, {"queue": queue})
        entry["due"] = int(count)
        if isinstance(oldest, dt.datetime):  # min() keeps the column's type, so this is aware UTC
            entry["oldest_due_seconds"] = max(0.0, round((now - oldest).total_seconds(), 3))
    known = {"queue", "due", "oldest_due_seconds", *STATUSES}
    return [QueueStats(**{k: v for k, v in entry.items() if k in known}) for _, entry in sorted(table.items())]
