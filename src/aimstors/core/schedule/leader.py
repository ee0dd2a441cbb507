"""Electing one scheduler among several processes: a Postgres session advisory lock on its own connection.

The process holding the lock is the leader and fires the ticks; when its connection drops, the lock goes with
it and another process takes over at its next attempt. On SQLite (one host) every scheduler is a leader: tick
dedupe keys already keep each period's job unique.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from aimstors.core.db import Database

__all__ = ["LeaderLock"]

log = logging.getLogger("aimstors.scheduler")


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class LeaderLock:
    """``await lock.run(on_change)`` keeps trying to lead; ``on_change(True/False)`` reports each change."""

    def __init__(self, db: Database, name: str = "aimstors.scheduler", *, retry_seconds: float = 10.0) -> None:
        self.db = db
        self.key = _lock_key(name)
        self.retry_seconds = retry_seconds
        self.is_leader = False
        self._conn: Any = None

    async def try_acquire(self) -> bool:
        """One attempt; True if this process leads now."""
        if self.db.is_sqlite:
            self.is_leader = True
            return True
        if self._conn is None or self._conn.is_closed():
            dsn = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = await asyncpg.connect(dsn, timeout=10, server_settings={"application_name": "aimstors-leader"})
        self.is_leader = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key))
        return self.is_leader

    async def still_leader(self) -> bool:
        """True while the lock's connection is alive (then the lock is still ours)."""
        if self.db.is_sqlite:
            return True
        try:
            await self._conn.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, AttributeError):
            return False
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        self.is_leader = False
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                conn.terminate()

    async def run(self, on_change: Callable[[bool], None]) -> None:
        """Try to lead forever (cancel to stop; the caller then calls :meth:`release`)."""
        leading = False
        while True:
            try:
                now_leading = await self.still_leader() if leading else await self.try_acquire()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("scheduler election failed (%s); retrying", type(exc).__name__)
                now_leading = False
            if not now_leading and leading:
                await self.release()
            if now_leading != leading:
                leading = now_leading
                log.info("this process %s the scheduler", "now runs" if leading else "no longer runs")
                on_change(leading)
            await asyncio.sleep(self.retry_seconds)
