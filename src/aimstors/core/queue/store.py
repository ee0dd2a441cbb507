"""The jobs table's hot path on a :class:`Database`: claims and settlements, each one short transaction.

Workers use this; tests use it directly with an explicit ``now`` to move through leases and backoff without
sleeping. The SQL itself is in :mod:`aimstors.core.queue.claims`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.queue import claims
from aimstors.core.queue.records import ClaimedJob, Failure

__all__ = ["JobStore"]


class JobStore:
    """Claim, complete, fail, release and renew jobs. Writes begin ``IMMEDIATE`` on SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self,
        queues: Sequence[str],
        *,
        owner: str,
        limit: int,
        lease_seconds: float,
        now: dt.datetime | None = None,
        reclaim: bool = True,
    ) -> list[ClaimedJob]:
        """Lease up to ``limit`` due jobs to ``owner`` (a token unique to this claim). With ``reclaim``,
        running jobs whose lease expired are first put back in line, in the same transaction."""
        now = now or utcnow()
        lease_until = now + dt.timedelta(seconds=lease_seconds)
        async with self.db.connect(Scope.system(), write=True) as conn:
            if reclaim:
                await claims.reclaim_expired(conn, now=now)
            return await claims.claim(conn, queues=queues, owner=owner, now=now, lease_until=lease_until, limit=limit)

    async def settle(
        self,
        done: Mapping[str, Sequence[int]],
        failures: Sequence[Failure] = (),
        *,
        now: dt.datetime | None = None,
    ) -> int:
        """Record finished attempts in one transaction: ``done`` maps a lease token to the ids it completed.
        Returns how many completions took (jobs whose lease was lost are left alone)."""
        if not any(done.values()) and not failures:
            return 0
        now = now or utcnow()
        completed = 0
        async with self.db.connect(Scope.system(), write=True) as conn:
            for owner, ids in done.items():
                completed += await claims.complete(conn, owner=owner, ids=ids, now=now)
            await claims.fail(conn, failures, now=now)
        return completed

    async def complete(self, owner: str, ids: Sequence[int], *, now: dt.datetime | None = None) -> int:
        """Mark ``ids`` done if still leased to ``owner``; returns how many were."""
        return await self.settle({owner: ids}, now=now)

    async def fail(self, failures: Sequence[Failure], *, now: dt.datetime | None = None) -> None:
        """Record failed attempts (retry at each ``retry_at``, or dead once attempts are exhausted)."""
        await self.settle({}, failures, now=now)

    async def release(self, held: Mapping[str, Sequence[int]]) -> int:
        """Put claimed but unstarted jobs back in line without counting the attempt; returns how many."""
        if not any(held.values()):
            return 0
        released = 0
        async with self.db.connect(Scope.system(), write=True) as conn:
            for owner, ids in held.items():
                released += await claims.release(conn, owner=owner, ids=ids)
        return released

    async def renew(
        self, held: Mapping[str, Sequence[int]], *, lease_seconds: float, now: dt.datetime | None = None
    ) -> set[int]:
        """Extend the leases in ``held`` (token → ids); returns the ids still held (the others were lost)."""
        if not any(held.values()):
            return set()
        lease_until = (now or utcnow()) + dt.timedelta(seconds=lease_seconds)
        kept: set[int] = set()
        async with self.db.connect(Scope.system(), write=True) as conn:
            for owner, ids in held.items():
                kept |= await claims.renew(conn, owner=owner, ids=ids, lease_until=lease_until)
        return kept
