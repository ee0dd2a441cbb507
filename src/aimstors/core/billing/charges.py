"""Charging sends against a reservation in batches, one ledger transaction per send, inside the caller's
transaction.

A campaign debits its reservation once per message Meta accepted, with an idempotency key per send attempt, at
up to 1,000 messages a second. :func:`aimstors.core.ledger.settle` does one message per database transaction;
:func:`settle_charges` writes a whole batch of the same settle transactions — same accounts, same
``request_sha256``, same ``reservation_remaining`` chain that ``ledger.verify()`` checks — set-wise, in the
transaction that records the sends, so a recorded send and its charge commit or roll back together. Keys already
applied are skipped (never charged twice); a batch larger than what remains of the reservation raises
:class:`InsufficientFunds` and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.errors import InsufficientFunds, NotFound
from aimstors.core.ledger import CHECKPOINT_EVERY, micro_to_credits
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import AccountRef, ensure_accounts, lock_accounts
from aimstors.core.ledger.checkpoints import checkpoint_account
from aimstors.core.ledger.postings import Movement, reservation_remaining

__all__ = ["Charge", "ChargeBatch", "checkpoint_due", "settle_charges"]

log = logging.getLogger("aimstors.billing")

RESERVED: Final = "credits:reserved"
REVENUE: Final = "credits:revenue"


@dataclass(frozen=True, slots=True)
class Charge:
    """Debit ``amount`` micro-credits (> 0) once per ``key``."""

    key: str
    amount: int
    memo: str = ""


@dataclass(frozen=True, slots=True)
class ChargeBatch:
    """What :func:`settle_charges` wrote: the keys charged now, the total, and checkpoints due after commit."""

    charged: tuple[str, ...]
    total: int
    due: tuple[tuple[int, int], ...]  # (tenant_id, account_id) to checkpoint once committed


async def settle_charges(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    root_id: int,
    reservation_id: int,
    charges: Sequence[Charge],
) -> ChargeBatch:
    """Settle ``charges`` out of reservation ``reservation_id`` into the platform's revenue, in ``conn``'s write
    transaction (whose scope must include ``tenant_id`` and ``root_id``). Returns what was charged."""
    if not charges:
        return ChargeBatch((), 0, ())
    reserved_ref, revenue_ref = AccountRef(tenant_id, RESERVED), AccountRef(root_id, REVENUE)
    accounts = await ensure_accounts(conn, (reserved_ref, revenue_ref))
    reserved, revenue = accounts[reserved_ref], accounts[revenue_ref]
    await lock_accounts(conn, debited=[reserved], touched=[revenue])
    tx = t.transactions
    is_reservation = (
        await conn.execute(
            select(tx.c.id).where(tx.c.id == reservation_id, tx.c.tenant_id == tenant_id, tx.c.kind == "reserve")
        )
    ).scalar_one_or_none()
    if is_reservation is None:
        raise NotFound(f"tenant {tenant_id} has no reservation {reservation_id}")
    keys = [c.key for c in charges]
    done = set(
        (
            await conn.execute(
                select(tx.c.idempotency_key).where(tx.c.tenant_id == tenant_id, tx.c.idempotency_key.in_(keys))
            )
        ).scalars()
    )
    fresh: dict[str, Charge] = {}
    for charge in charges:
        if charge.key not in done and charge.amount > 0:
            fresh.setdefault(charge.key, charge)
    if not fresh:
        return ChargeBatch((), 0, ())
    remaining = await reservation_remaining(conn, tenant_id, reservation_id)
    total = sum(c.amount for c in fresh.values())
    if total > remaining:
        raise InsufficientFunds(
            f"reservation {reservation_id} has {micro_to_credits(remaining)} credits left; "
            f"the batch needs {micro_to_credits(total)}"
        )
    now = utcnow()
    rows = []
    for charge in fresh.values():
        remaining -= charge.amount
        movement = Movement(
            kind="settle", tenant_id=tenant_id, key=charge.key, debit=reserved_ref, credit=revenue_ref,
            amount=charge.amount, reservation_id=reservation_id, memo=charge.memo,
        )  # fmt: skip
        rows.append(
            {
                "tenant_id": tenant_id, "idempotency_key": charge.key, "request_sha256": movement.digest(),
                "kind": "settle", "memo": charge.memo, "actor_user_id": None, "reservation_id": reservation_id,
                "reservation_remaining": remaining, "created_at": now,
            }
        )  # fmt: skip
    # Plain multi-row inserts (no RETURNING: on SQLite, RETURNING in parameter order means a statement per row).
    await conn.execute(insert(tx), rows)
    written = (
        await conn.execute(
            select(tx.c.id, tx.c.idempotency_key)
            .where(tx.c.tenant_id == tenant_id, tx.c.idempotency_key.in_(list(fresh)))
            .order_by(tx.c.id)
        )
    ).all()
    # The reservation's "remaining" is read from its newest draw by id, so ids must follow the order written.
    if [row.idempotency_key for row in written] != list(fresh):
        raise RuntimeError("ledger transaction ids were not assigned in insertion order")
    entries = []
    for row, charge in zip(written, fresh.values(), strict=True):
        entries.append({"tenant_id": tenant_id, "account_id": reserved.id, "transaction_id": row.id,
                        "amount": -charge.amount, "created_at": now})  # fmt: skip
        entries.append({"tenant_id": root_id, "account_id": revenue.id, "transaction_id": row.id,
                        "amount": charge.amount, "created_at": now})  # fmt: skip
    await conn.execute(insert(t.entries), entries)
    due: list[tuple[int, int]] = []
    # Two entries per transaction: a checkpoint is due about every CHECKPOINT_EVERY entries, i.e. each time the
    # transaction ids pass a multiple of half that (checkpoint_all catches any straggler).
    every = max(1, CHECKPOINT_EVERY // 2)
    if written[-1].id // every > (written[0].id - 1) // every:
        due = [(tenant_id, reserved.id), (root_id, revenue.id)]
    return ChargeBatch(tuple(fresh), total, tuple(due))


async def checkpoint_due(db: Database, batch: ChargeBatch) -> None:
    """Write the checkpoints a committed batch made due (a failure costs speed, never correctness)."""
    for tenant_id, account_id in batch.due:
        try:
            await checkpoint_account(db, tenant_id, account_id)
        except Exception as exc:  # the database went away: checkpoint_all catches up later
            log.debug("checkpoint of account %d failed: %s", account_id, type(exc).__name__)
