"""Balances, derived from entries: the latest checkpoint plus the entries after it.

A balance is never stored as a mutable counter. ``balance`` reads the newest checkpoint of the account (its
primary key is ``(tenant_id, account_id, entry_id)``) and adds ``SUM(amount)`` over the entries with a larger id,
an index-only range scan of ``ix_ledger_entries_tenant_id_account_id_id_amount``. Checkpoints are written every
so many entries (see :mod:`aimstors.core.ledger.checkpoints`), so that range stays short.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import CURRENCIES, available_account, require_account_name, reserved_account

__all__ = ["balance", "balance_expression", "balance_of", "balances"]

IdLike = int | ColumnElement[Any] | ScalarSelect[Any]


def balance_expression(tenant_id: IdLike, account_id: IdLike, *, upto: int | None = None) -> ColumnElement[Any]:
    """SQL for the balance of an account (optionally as of entry ``upto``, inclusive), from checkpoints + entries.

    The ids may be literals, columns (to correlate with ``ledger_accounts``) or scalar subqueries.
    The result is numeric on Postgres (``SUM`` of bigint): convert it with ``int()``.
    """
    ck = t.checkpoints
    latest = select(ck.c.entry_id).where(ck.c.tenant_id == tenant_id, ck.c.account_id == account_id)
    if upto is not None:
        latest = latest.where(ck.c.entry_id <= upto)
    # Correlate explicitly: auto-correlation reaches only the immediately enclosing SELECT, and the checkpoint's
    # entry id is used two levels down, inside the sum over entries.
    latest = latest.order_by(ck.c.entry_id.desc()).limit(1).correlate_except(ck)
    checkpoint_entry = latest.scalar_subquery()
    checkpoint_balance = latest.with_only_columns(ck.c.balance).scalar_subquery()
    e = t.entries
    tail = select(func.coalesce(func.sum(e.c.amount), 0)).where(
        e.c.tenant_id == tenant_id,
        e.c.account_id == account_id,
        e.c.id > func.coalesce(checkpoint_entry, 0),
    )
    if upto is not None:
        tail = tail.where(e.c.id <= upto)
    tail = tail.correlate_except(e)
    return func.coalesce(checkpoint_balance, 0) + tail.scalar_subquery()


async def balance_of(conn: AsyncConnection, tenant_id: int, account_id: int, *, upto: int | None = None) -> int:
    """Balance of an account by id, inside an open transaction."""
    value = (await conn.execute(select(balance_expression(tenant_id, account_id, upto=upto)))).scalar_one()
    return int(value)


async def balance(db: Database, tenant_id: int, account: str = "credits") -> int:
    """Balance in micro-credits of one of the tenant's accounts (0 for an account never used).

    ``account`` is an account name: ``credits`` (available), ``credits:reserved``, ``ai_credits``,
    ``ai_credits:reserved``, or on the platform root ``credits:issuance`` / ``credits:revenue`` (and the
    ``ai_credits`` ones). One statement in the tenant's scope.
    """
    require_account_name(account)
    account_id = (
        select(t.accounts.c.id)
        .where(t.accounts.c.tenant_id == tenant_id, t.accounts.c.name == account)
        .scalar_subquery()
    )
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        value = (await conn.execute(select(balance_expression(tenant_id, account_id)))).scalar_one()
    return int(value)


async def balances(db: Database, tenant_id: int) -> dict[str, int]:
    """Balances of all the tenant's accounts by name, always including ``credits``, ``credits:reserved``,
    ``ai_credits`` and ``ai_credits:reserved`` (0 when never used). One statement in the tenant's scope.
    """
    result = {name: 0 for currency in CURRENCIES for name in (available_account(currency), reserved_account(currency))}
    stmt = (
        select(t.accounts.c.name, balance_expression(tenant_id, t.accounts.c.id).label("balance"))
        .where(t.accounts.c.tenant_id == tenant_id)
        .order_by(t.accounts.c.name)
    )
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        for row in await conn.execute(stmt):
            result[row.name] = int(row.balance)
    return result
