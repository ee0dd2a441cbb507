"""Serialising writers: concurrent processing of the same messages and contacts (Postgres). (On SQLite, the
write transactions of one process take turns in :meth:`~aimstors.core.db.Database.write_turn`.)

Two workers may process events about one wamid at once (a redelivery batched differently, a replay). Messages
cannot have a unique wamid index (the table is partitioned by time), so each transaction first takes
transaction-scoped advisory locks on the wamids and contacts it touches, in a fixed order (no deadlocks). On
SQLite the write transaction (``BEGIN IMMEDIATE``) already serialises everything, so this is a no-op there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["lock_names"]

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
