"""Serialising writers: concurrent processing of the same messages and contacts (Postgres), and the ingest and
processing write transactions of one process (SQLite).

Two workers may process events about one wamid at once (a redelivery batched differently, a replay). Messages
cannot have a unique wamid index (the table is partitioned by time), so each transaction first takes
transaction-scoped advisory locks on the wamids and contacts it touches, in a fixed order (no deadlocks). On
SQLite the write transaction (``BEGIN IMMEDIATE``) already serialises everything, so this is a no-op there.

On SQLite, a writer that finds the database locked sleeps in SQLite's busy handler (1, 2, 5, 10 … ms), which is
latency the webhook ingest cannot afford; :func:`sqlite_writer` queues this process's ingest and processing
transactions on an asyncio lock instead, handing the database over the moment the previous one commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database

__all__ = ["lock_names", "sqlite_writer"]

_LOCK = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k")


def _key(tenant_id: int, name: str) -> int:
    digest = hashlib.blake2b(f"{tenant_id}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_names(conn: AsyncConnection, tenant_id: int, names: Iterable[str]) -> None:
    """Hold advisory locks on ``names`` (wamids, contact keys) of ``tenant_id`` until the transaction ends."""
    if conn.dialect.name == "sqlite":
        return
    keys = sorted({_key(tenant_id, name) for name in names})
    if keys:
        await conn.execute(_LOCK, {"keys": keys})


_writers: weakref.WeakKeyDictionary[Database, asyncio.Lock] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def sqlite_writer(db: Database) -> AsyncIterator[None]:
    """Hold this process's write turn on a SQLite database (no-op on Postgres) around a write transaction."""
    if not db.is_sqlite:
        yield
        return
    lock = _writers.get(db)
    if lock is None:
        lock = _writers[db] = asyncio.Lock()
    async with lock:
        yield
