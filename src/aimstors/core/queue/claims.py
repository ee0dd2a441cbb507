"""Every statement of the queue's hot path, and the only place where the two dialects differ (DESIGN §5).

Each function runs on a connection inside the caller's transaction;
:class:`aimstors.core.queue.store.JobStore` opens those transactions (``BEGIN IMMEDIATE`` on SQLite).

- Enqueue: one multi-row ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``; on Postgres a
  ``pg_notify`` per queue in the same transaction, so listeners wake only once the jobs are visible.
- Claim: ``UPDATE jobs … WHERE id IN (SELECT id … ORDER BY priority DESC, run_at LIMIT n) RETURNING …``; on
  Postgres the inner select takes ``FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on each
  other, on SQLite the ``BEGIN IMMEDIATE`` write lock serialises claims. Both read the partial index
  ``ix_jobs_claim``.
- Reclaim: running jobs whose lease expired go back to queued (or to dead, with their attempts spent), in the
  claim's transaction, before the claim itself.
- Settle (complete, fail, release, renew): by job id *and* lease token, so a worker whose lease expired and
  was reclaimed can no longer touch the job. Lease tokens are unique per claim, not just per worker.

Times are the application's clock (aware UTC), passed in, so SQLite and Postgres behave the same and tests can
move time; hosts running workers are expected to keep their clocks in sync (NTP).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import Update

from aimstors.core.db.models.jobs import Job
from aimstors.core.queue.records import ClaimedJob, Failure

__all__ = [
    "CHANNEL",
    "JOBS",
    "claim",
    "claim_statement",
    "complete",
    "fail",
    "insert_jobs",
    "notify",
    "reclaim_expired",
    "reclaim_statement",
    "release",
    "renew",
]

JOBS: Final[Table] = cast(Table, Job.__table__)
CHANNEL: Final = "aimstors_jobs"
"""Postgres NOTIFY channel; the payload is the queue name."""

_c = JOBS.c
_CLAIM_COLUMNS = (
    _c.id, _c.queue, _c.kind, _c.payload, _c.priority, _c.run_at, _c.attempts, _c.max_attempts, _c.tenant_id,
)  # fmt: skip


def _is_sqlite(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "sqlite"


def _ids_match(conn: AsyncConnection, ids: Sequence[int]) -> ColumnElement[bool]:
    """``id = ANY(:ids)`` on Postgres (one prepared statement whatever the count), ``id IN (…)`` on SQLite."""
    if _is_sqlite(conn):
        return _c.id.in_(list(ids))
    return _c.id == any_(bindparam("ids", list(ids), type_=ARRAY(BigInteger)))


def _picked(dialect: str, ids: Select[tuple[int]]) -> ColumnElement[bool]:
    """``id`` among the rows ``ids`` selects. On Postgres ``id = ANY(ARRAY(subquery))``: the subquery runs once
    as an init plan and the update fetches its rows by primary key, where ``IN (subquery)`` may be planned as a
    hash join over a sequential scan of the whole table."""
    if dialect == "sqlite":
        return _c.id.in_(ids.scalar_subquery())
    return _c.id == any_(func.array(ids.scalar_subquery(), type_=ARRAY(BigInteger)))


def _queues_match(on_sqlite: bool, queues: Sequence[str]) -> ColumnElement[bool]:
    # One queue is the common case and lets the index deliver rows already in claim order.
    if len(queues) == 1:
        return _c.queue == queues[0]
    if on_sqlite:
        return _c.queue.in_(list(queues))
    return _c.queue == any_(bindparam("queues", list(queues), type_=ARRAY(String)))


async def insert_jobs(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert job rows (every column key present in every row); returns the ids created, skipping duplicates
    of an existing ``dedupe_key``. On Postgres also notifies listeners of each queue that got a job."""
    if not rows:
        return []
    if _is_sqlite(conn):
        stmt: Any = sqlite.insert(JOBS).on_conflict_do_nothing(index_elements=[_c.dedupe_key])
    else:
        stmt = postgresql.insert(JOBS).on_conflict_do_nothing(index_elements=[_c.dedupe_key])
    result = await conn.execute(stmt.returning(_c.id), list(rows))
    ids = list(result.scalars().all())
    if ids:
        await notify(conn, {row["queue"] for row in rows})
    return ids


async def notify(conn: AsyncConnection, queues: Iterable[str]) -> None:
    """Wake Postgres listeners of ``queues`` when the transaction commits; no-op on SQLite (workers poll)."""
    if _is_sqlite(conn):
        return
    for queue in sorted(set(queues)):
        await conn.execute(text("SELECT pg_notify(:channel, :queue)"), {"channel": CHANNEL, "queue": queue})


async def reclaim_expired(conn: AsyncConnection, *, now: dt.datetime, limit: int = 1000) -> int:
    """Return running jobs whose lease expired before ``now`` to ``queued`` (keeping their place by
    ``run_at``), or to ``dead`` when that lost attempt was their last. Returns how many were reclaimed."""
    result = await conn.execute(reclaim_statement(conn.dialect.name, now=now, limit=limit))
    return int(result.rowcount)  # type: ignore[attr-defined]


def reclaim_statement(dialect: str, *, now: dt.datetime, limit: int) -> Update:
    """The reclaim of :func:`reclaim_expired`, for ``dialect`` (``sqlite`` or ``postgresql``)."""
    expired = select(_c.id).where(_c.status == "running", _c.lease_expires_at < now)
    expired = expired.order_by(_c.lease_expires_at).limit(limit)
    if dialect != "sqlite":
        expired = expired.with_for_update(skip_locked=True)
    exhausted = _c.attempts >= _c.max_attempts
    return (
        update(JOBS)
        .where(_picked(dialect, expired))
        .values(
            status=case((exhausted, literal("dead")), else_=literal("queued")),
            finished_at=case((exhausted, _c.lease_expires_at), else_=None),
            last_error=literal("lease expired before the job finished (worker ")
            + _c.lease_owner
            + literal(", attempt ")
            + sql_cast(_c.attempts, String)
            + literal(")"),
            lease_owner=None,
            lease_expires_at=None,
        )
    )


async def claim(
    conn: AsyncConnection,
    *,
    queues: Sequence[str],
    owner: str,
    now: dt.datetime,
    lease_until: dt.datetime,
    limit: int,
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs of ``queues``, highest priority then oldest ``run_at`` first, leased to
    ``owner`` until ``lease_until``; each claim counts as an attempt. Returned in claim order."""
    stmt = claim_statement(conn.dialect.name, queues=queues, owner=owner, now=now, lease_until=lease_until, limit=limit)
    rows = (await conn.execute(stmt)).all()
    jobs = [ClaimedJob(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], owner) for r in rows]
    # RETURNING order is unspecified on both dialects; hand jobs out in the order the claim chose them.
    jobs.sort(key=lambda j: (-j.priority, j.run_at, j.id))
    return jobs


def claim_statement(
    dialect: str, *, queues: Sequence[str], owner: str, now: dt.datetime, lease_until: dt.datetime, limit: int
) -> Update:
    """The claim of :func:`claim`, for ``dialect``; ``EXPLAIN`` it to see that it reads ``ix_jobs_claim``."""
    if not queues:
        raise ValueError("claim needs at least one queue")
    due = (
        select(_c.id)
        .where(_c.status == "queued", _queues_match(dialect == "sqlite", queues), _c.run_at <= now)
        .order_by(_c.priority.desc(), _c.run_at)
        .limit(limit)
    )
    if dialect != "sqlite":
        due = due.with_for_update(skip_locked=True)
    return (
        update(JOBS)
        .where(_picked(dialect, due))
        .values(status="running", lease_owner=owner, lease_expires_at=lease_until, attempts=_c.attempts + 1)
        .returning(*_CLAIM_COLUMNS)
    )


def _owned(conn: AsyncConnection, owner: str, ids: Sequence[int]) -> ColumnElement[bool]:
    return and_(_ids_match(conn, ids), _c.lease_owner == owner, _c.status == "running")


async def complete(conn: AsyncConnection, *, owner: str, ids: Sequence[int], now: dt.datetime) -> int:
    """Mark ``ids`` done, for the ones still leased to ``owner``; returns how many were."""
    if not ids:
        return 0
    stmt = (
        update(JOBS)
        .where(_owned(conn, owner, ids))
        .values(status="done", finished_at=now, lease_owner=None, lease_expires_at=None)
    )
    result = await conn.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def fail(conn: AsyncConnection, failures: Sequence[Failure], *, now: dt.datetime) -> None:
    """Record failed attempts: back to ``queued`` at each ``retry_at``, or ``dead`` once ``attempts`` reached
    ``max_attempts``. ``last_error`` is kept either way. Only the lease owner's failures count."""
    if not failures:
        return
    exhausted = _c.attempts >= _c.max_attempts
    stmt = (
        update(JOBS)
        .where(
            _c.id == bindparam("b_id", type_=BigInteger),
            _c.lease_owner == bindparam("b_owner"),
            _c.status == "running",
        )
        .values(
            status=case((exhausted, literal("dead")), else_=literal("queued")),
            finished_at=case((exhausted, literal(now, _c.finished_at.type)), else_=None),
            run_at=bindparam("b_retry_at", type_=_c.run_at.type),
            last_error=bindparam("b_error"),
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    params = [
        {"b_id": f.job_id, "b_owner": f.lease_owner, "b_error": f.error, "b_retry_at": f.retry_at} for f in failures
    ]
    await conn.execute(stmt, params)


async def release(conn: AsyncConnection, *, owner: str, ids: Sequence[int]) -> int:
    """Give back jobs claimed by ``owner`` but never started: queued again now, the attempt not counted."""
    if not ids:
        return 0
    stmt = (
        update(JOBS)
        .where(_owned(conn, owner, ids))
        .values(status="queued", attempts=_c.attempts - 1, lease_owner=None, lease_expires_at=None)
    )
    result = await conn.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def renew(conn: AsyncConnection, *, owner: str, ids: Sequence[int], lease_until: dt.datetime) -> set[int]:
    """Extend ``owner``'s lease on ``ids``; returns the ids it still holds (the rest were reclaimed)."""
    if not ids:
        return set()
    stmt = update(JOBS).where(_owned(conn, owner, ids)).values(lease_expires_at=lease_until).returning(_c.id)
    return set((await conn.execute(stmt)).scalars().all())
