"""Checkpoints: an account's balance as of one of its entries, so a balance sums only the entries after it.

A checkpoint is a cache, rebuildable from the entries (:func:`rebuild_checkpoints`); :func:`verify
<aimstors.core.ledger.verification.verify>` checks each one. They are written

- automatically, after a movement commits: for the account it debited with a balance check, once
  :data:`CHECKPOINT_EVERY` entries follow the newest checkpoint (the check counts them for free); for the
  account it credited, when the new entry's id is a multiple of ``CHECKPOINT_EVERY`` (every ``CHECKPOINT_EVERY``
  of its entries on average, without counting);
- by :func:`checkpoint_all`, the maintenance job, for every account with more than ``min_entries`` entries past
  its latest checkpoint (the safety net for quiet accounts);
- on demand, by :func:`checkpoint`.

Correctness rests on a lock: a checkpoint takes its account's row ``FOR UPDATE`` (Postgres), which waits for every
movement that has locked the account and not yet committed. Movements lock their accounts before their entries
take an id, so once the checkpoint holds the lock, no entry of the account can still commit with an id below
the one it records. On SQLite the write transaction serialises everything anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import find_account, require_account_name

__all__ = [
    "CHECKPOINT_EVERY",
    "Checkpoint",
    "checkpoint",
    "checkpoint_account",
    "checkpoint_all",
    "rebuild_checkpoints",
]

log = logging.getLogger(__name__)

# Entries past the newest checkpoint before a new one is due: bounds the rows a balance sums. Sized by
# bench/ledger.py: under Postgres row-level security each summed row costs 0.5-1 µs of policy check, so a
# 10,000-entry tail alone takes 5-10 ms; at 1,000 the worst-case balance read stays near 2 ms, for one small
# checkpoint row per 1,000 entries.
CHECKPOINT_EVERY = 1_000


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The balance of account ``account_id`` counting its entries up to and including ``entry_id``."""

    tenant_id: int
    account_id: int
    entry_id: int
    balance: int


async def checkpoint(db: Database, tenant_id: int, account: str = "credits") -> Checkpoint | None:
    """Write a checkpoint at the account's latest entry; returns it, or None when there is nothing new to cover."""
    require_account_name(account)
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        found = await find_account(conn, tenant_id, account)
    if found is None:
        return None
    return await checkpoint_account(db, tenant_id, found.id)


async def checkpoint_account(db: Database, tenant_id: int, account_id: int) -> Checkpoint | None:
    """:func:`checkpoint` by account id, in its own write transaction."""
    async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
        await _lock_for_checkpoint(conn, account_id)
        return await _write_checkpoint(conn, tenant_id, account_id)


async def _lock_for_checkpoint(conn: AsyncConnection, account_id: int) -> None:
    if conn.dialect.name != "sqlite":
        await conn.execute(select(t.accounts.c.id).where(t.accounts.c.id == account_id).with_for_update())


async def _write_checkpoint(conn: AsyncConnection, tenant_id: int, account_id: int) -> Checkpoint | None:
    ck, e = t.checkpoints, t.entries
    latest = (
        await conn.execute(
            select(ck.c.entry_id, ck.c.balance)
            .where(ck.c.tenant_id == tenant_id, ck.c.account_id == account_id)
            .order_by(ck.c.entry_id.desc())
            .limit(1)
        )
    ).one_or_none()
    after, base = (latest.entry_id, int(latest.balance)) if latest is not None else (0, 0)
    last_id, delta = (
        await conn.execute(
            select(func.max(e.c.id), func.coalesce(func.sum(e.c.amount), 0)).where(
                e.c.tenant_id == tenant_id, e.c.account_id == account_id, e.c.id > after
            )
        )
    ).one()
    if last_id is None:
        return None
    made = Checkpoint(tenant_id, account_id, int(last_id), base + int(delta))
    await conn.execute(
        insert(ck).values(
            tenant_id=tenant_id,
            account_id=account_id,
            entry_id=made.entry_id,
            balance=made.balance,
            created_at=utcnow(),
        )
    )
    log.debug("ledger: checkpoint of account %d at entry %d", account_id, made.entry_id)
    return made


async def checkpoint_all(db: Database, *, min_entries: int = CHECKPOINT_EVERY) -> int:
    """Maintenance job: checkpoint every account with more than ``min_entries`` entries past its latest
    checkpoint. Returns how many checkpoints were written. Reads in the system scope."""
    a, ck, e = t.accounts, t.checkpoints, t.entries
    latest = (
        select(func.max(ck.c.entry_id))
        .where(ck.c.tenant_id == a.c.tenant_id, ck.c.account_id == a.c.id)
        .correlate_except(ck)  # used two levels down: auto-correlation would not reach ledger_accounts
        .scalar_subquery()
    )
    pending = (
        select(func.count())
        .select_from(e)
        .where(e.c.tenant_id == a.c.tenant_id, e.c.account_id == a.c.id, e.c.id > func.coalesce(latest, 0))
        .scalar_subquery()
    )
    async with db.connect(Scope.system()) as conn:
        due = (await conn.execute(select(a.c.tenant_id, a.c.id).where(pending > min_entries).order_by(a.c.id))).all()
    written = 0
    for tenant_id, account_id in due:
        if await checkpoint_account(db, tenant_id, account_id) is not None:
            written += 1
    return written


async def rebuild_checkpoints(db: Database) -> int:
    """Drop every checkpoint and write one fresh checkpoint per account, summed from the raw entries.

    Each account is rebuilt in its own transaction under its checkpoint lock, so movements may continue.
    Returns the number of checkpoints written.
    """
    async with db.connect(Scope.system()) as conn:
        all_accounts = (
            await conn.execute(select(t.accounts.c.tenant_id, t.accounts.c.id).order_by(t.accounts.c.id))
        ).all()
    written = 0
    for tenant_id, account_id in all_accounts:
        async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
            await _lock_for_checkpoint(conn, account_id)
            await conn.execute(
                delete(t.checkpoints).where(
                    t.checkpoints.c.tenant_id == tenant_id, t.checkpoints.c.account_id == account_id
                )
            )
            if await _write_checkpoint(conn, tenant_id, account_id) is not None:
                written += 1
    return written
