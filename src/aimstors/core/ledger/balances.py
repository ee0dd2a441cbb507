"""Balances, derived from entries: the latest checkpoint plus the entries after it.

A balance is never stored as a mutable counter. Reading one takes two statements:

1. the account's id and its newest checkpoint ``(entry_id, balance)`` (the checkpoint primary key is
   ``(tenant_id, account_id, entry_id)``, so that is one backward index probe);
2. ``SUM(amount)`` of the account's entries with ``id > entry_id`` — an index-only range scan of
   ``ix_ledger_entries_tenant_id_account_id_id_amount``, bounded by how often checkpoints are written.

Two statements rather than one on purpose: on Postgres, with row-level security on the table, a bound computed
inside the same statement (``id > COALESCE((SELECT …), 0)``) is not used as an index condition, so the scan would
read every entry of the account and filter. A plain parameter is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import CURRENCIES, available_account, require_account_name, reserved_account

__all__ = ["balance", "balance_and_tail", "balance_expression", "balance_of", "balances"]


MAX_ENTRY_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class _Start:
    """Where a balance starts: the account's newest checkpoint (or zero before its first entry)."""

    account_id: int
    name: str
    after: int
    base: int


def _newest_checkpoint(tenant_id: int, upto: int | None) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(entry_id, balance) of the newest checkpoint of each ``ledger_accounts`` row, as correlated subqueries."""
    ck = t.checkpoints
    newest = select(ck.c.entry_id).where(ck.c.tenant_id == tenant_id, ck.c.account_id == t.accounts.c.id)
    if upto is not None:
        newest = newest.where(ck.c.entry_id <= upto)
    newest = newest.order_by(ck.c.entry_id.desc()).limit(1)
    return newest.scalar_subquery(), newest.with_only_columns(ck.c.balance).scalar_subquery()


async def _starts(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    name: str | None = None,
    account_id: int | None = None,
    upto: int | None = None,
) -> list[_Start]:
    entry_id, balance_ = _newest_checkpoint(tenant_id, upto)
    stmt = select(t.accounts.c.id, t.accounts.c.name, entry_id.label("after"), balance_.label("base")).where(
        t.accounts.c.tenant_id == tenant_id
    )
    if name is not None:
        stmt = stmt.where(t.accounts.c.name == name)
    if account_id is not None:
        stmt = stmt.where(t.accounts.c.id == account_id)
    return [
        _Start(row.id, row.name, int(row.after or 0), int(row.base or 0))
        for row in await conn.execute(stmt.order_by(t.accounts.c.name))
    ]


async def _tail_sums(
    conn: AsyncConnection, tenant_id: int, starts: list[_Start], upto: int | None = None
) -> Mapping[int, tuple[int, int]]:
    """(SUM(amount), COUNT) past each start: one index range per account, all in one statement (UNION ALL)."""
    e = t.entries
    parts = []
    for start in starts:
        part = select(
            literal(start.account_id).label("account_id"), func.coalesce(func.sum(e.c.amount), 0), func.count()
        ).where(
            e.c.tenant_id == tenant_id,
            e.c.account_id == start.account_id,
            # Always a closed range: a prepared statement may be planned generically (Postgres does so once
            # earlier runs were costly, e.g. before the first checkpoint), and for `id > $3` alone it assumes a
            # third of the account matches and plans a parallel scan costing ~15 ms; for `id > $3 AND id <= $4`
            # it assumes a narrow range and keeps the plain index-only range scan.
            e.c.id > start.after,
            e.c.id <= (MAX_ENTRY_ID if upto is None else upto),
        )
        parts.append(part)
    if not parts:
        return {}
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    return {int(account_id): (int(total), int(count)) for account_id, total, count in await conn.execute(stmt)}


async def balance_and_tail(
    conn: AsyncConnection, tenant_id: int, account_id: int, *, upto: int | None = None
) -> tuple[int, int]:
    """(balance, entries past the newest checkpoint) of an account by id, inside an open transaction; with
    ``upto``, as of that entry (inclusive). The count tells a movement when a checkpoint is due."""
    starts = await _starts(conn, tenant_id, account_id=account_id, upto=upto)
    if not starts:
        return 0, 0
    total, count = (await _tail_sums(conn, tenant_id, starts, upto))[account_id]
    return starts[0].base + total, count


async def balance_of(conn: AsyncConnection, tenant_id: int, account_id: int, *, upto: int | None = None) -> int:
    """Balance of an account by id inside an open transaction; with ``upto``, as of that entry (inclusive)."""
    return (await balance_and_tail(conn, tenant_id, account_id, upto=upto))[0]


async def balance(db: Database, tenant_id: int, account: str = "credits") -> int:
    """Balance in micro-credits of one of the tenant's accounts (0 for an account never used).

    ``account`` is an account name: ``credits`` (available), ``credits:reserved``, ``ai_credits``,
    ``ai_credits:reserved``, or on the platform root ``credits:issuance`` / ``credits:revenue`` (and the
    ``ai_credits`` ones). A read-only transaction in the tenant's scope.
    """
    require_account_name(account)
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        starts = await _starts(conn, tenant_id, name=account)
        if not starts:
            return 0
        return starts[0].base + (await _tail_sums(conn, tenant_id, starts))[starts[0].account_id][0]


async def balances(db: Database, tenant_id: int) -> dict[str, int]:
    """Balances of all the tenant's accounts by name, always including ``credits``, ``credits:reserved``,
    ``ai_credits`` and ``ai_credits:reserved`` (0 when never used). Two statements in the tenant's scope.
    """
    result = {name: 0 for currency in CURRENCIES for name in (available_account(currency), reserved_account(currency))}
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        starts = await _starts(conn, tenant_id)
        tails = await _tail_sums(conn, tenant_id, starts)
    for start in starts:
        result[start.name] = start.base + tails[start.account_id][0]
    return result


def balance_expression(tenant_id: ColumnElement[Any], account_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The same balance as :func:`balance`, as one SQL expression correlated with ``ledger_accounts`` columns,
    for reports over many accounts (:func:`~aimstors.core.ledger.verification.verify`). Not for hot reads: on
    Postgres under row-level security its entry range is filtered rather than used as an index bound.
    The result is numeric on Postgres (``SUM`` of bigint): convert it with ``int()``.
    """
    ck, e = t.checkpoints, t.entries
    # Correlate explicitly: auto-correlation reaches only the immediately enclosing SELECT, and the checkpoint's
    # entry id is used two levels down, inside the sum over entries.
    newest = (
        select(ck.c.entry_id)
        .where(ck.c.tenant_id == tenant_id, ck.c.account_id == account_id)
        .order_by(ck.c.entry_id.desc())
        .limit(1)
        .correlate_except(ck)
    )
    tail = (
        select(func.coalesce(func.sum(e.c.amount), 0))
        .where(
            e.c.tenant_id == tenant_id,
            e.c.account_id == account_id,
            e.c.id > func.coalesce(newest.scalar_subquery(), 0),
        )
        .correlate_except(e)
    )
    return func.coalesce(newest.with_only_columns(ck.c.balance).scalar_subquery(), 0) + tail.scalar_subquery()
