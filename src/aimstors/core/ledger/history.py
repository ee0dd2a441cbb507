"""An account's statement: its entries, newest first, with what each movement was and the balance after it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.errors import InvalidInput
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import find_account, require_account_name
from aimstors.core.ledger.balances import balance_of

__all__ = ["HistoryEntry", "history"]

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One entry of an account. ``amount`` is signed as the account sees it (+ in, − out), in micro-credits;
    ``balance_after`` is the account's balance right after it. The counterparty is the other leg's tenant and
    account (e.g. the platform's ``credits:revenue`` for a spend, the parent's ``credits`` for an allocation)."""

    entry_id: int
    transaction_id: int
    kind: str
    memo: str
    amount: int
    balance_after: int
    counterparty_tenant_id: int | None
    counterparty_account: str | None
    reservation_id: int | None
    actor_user_id: int | None
    created_at: dt.datetime


async def history(
    db: Database, tenant_id: int, account: str = "credits", *, limit: int = 50, before_id: int | None = None
) -> list[HistoryEntry]:
    """Up to ``limit`` entries of the tenant's account with an id below ``before_id`` (for paging: pass the last
    ``entry_id`` of the previous page), newest first.

    Runs in the system scope with an explicit filter on ``tenant_id``: a movement's transaction row and other leg
    may belong to another tenant (the parent that allocated, the platform's revenue account), which a
    tenant-scoped transaction could not read. The caller decides who may see ``tenant_id``'s statement.
    """
    require_account_name(account)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}")
    async with db.connect(Scope.system()) as conn:
        found = await find_account(conn, tenant_id, account)
        if found is None:
            return []
        return await _page(conn, tenant_id, found.id, limit, before_id)


async def _page(
    conn: AsyncConnection, tenant_id: int, account_id: int, limit: int, before_id: int | None
) -> list[HistoryEntry]:
    e, other, tx = t.entries.alias("e"), t.entries.alias("other"), t.transactions
    other_account = t.accounts.alias("other_account")
    stmt = (
        select(
            e.c.id,
            e.c.transaction_id,
            e.c.amount,
            e.c.created_at,
            tx.c.kind,
            tx.c.memo,
            tx.c.reservation_id,
            tx.c.actor_user_id,
            other.c.tenant_id.label("other_tenant_id"),
            other_account.c.name.label("other_account"),
        )
        .select_from(
            e.join(tx, tx.c.id == e.c.transaction_id)
            .outerjoin(other, and_(other.c.transaction_id == e.c.transaction_id, other.c.id != e.c.id))
            .outerjoin(other_account, other_account.c.id == other.c.account_id)
        )
        .where(e.c.tenant_id == tenant_id, e.c.account_id == account_id)
        .order_by(e.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(e.c.id < before_id)
    rows = (await conn.execute(stmt)).all()
    if not rows:
        return []
    running = await balance_of(conn, tenant_id, account_id, upto=rows[0].id)
    page = []
    for row in rows:
        page.append(
            HistoryEntry(
                entry_id=row.id,
                transaction_id=row.transaction_id,
                kind=row.kind,
                memo=row.memo,
                amount=int(row.amount),
                balance_after=running,
                counterparty_tenant_id=row.other_tenant_id,
                counterparty_account=row.other_account,
                reservation_id=row.reservation_id,
                actor_user_id=row.actor_user_id,
                created_at=row.created_at,
            )
        )
        running -= int(row.amount)
    return page
