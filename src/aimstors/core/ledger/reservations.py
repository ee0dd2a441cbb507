"""Reservations: hold credits for running work, then settle what was used and release the rest.

``reserve`` moves credits from the tenant's available account to its ``<currency>:reserved`` account and returns a
:class:`Receipt` whose ``transaction_id`` is the reservation id. ``settle`` (alias ``spend_from_reservation``) moves
part of the hold to the platform's revenue; ``release`` gives part or all of what remains back to the available
account. Neither can draw more than remains of that reservation. Reservations are entries like everything else;
each reserve, release and settle transaction also records what remains of its reservation after it (derived,
written once under the account lock, checked by ``verify()``), so the check stays one index probe however many
messages a campaign settles.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.errors import NotFound
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import (
    AccountRef,
    Currency,
    account_currency,
    available_account,
    platform_root_id,
    require_currency,
    reserved_account,
    revenue_account,
)
from aimstors.core.ledger.amounts import require_amount
from aimstors.core.ledger.postings import (
    Movement,
    Receipt,
    post,
    require_key,
    require_memo,
    reservation_remaining,
)

__all__ = ["release", "remaining", "reserve", "settle", "spend_from_reservation"]


async def reserve(
    db: Database,
    tenant_id: int,
    amount: int,
    *,
    key: str,
    memo: str = "",
    actor_user_id: int | None = None,
    currency: str = "credits",
) -> Receipt:
    """Hold ``amount`` of the tenant's available credits; ``receipt.transaction_id`` is the reservation id.

    Raises InsufficientFunds when the available balance is short (nothing is held then).
    """
    cur = require_currency(currency)
    mv = Movement(
        kind="reserve",
        tenant_id=tenant_id,
        key=require_key(key),
        debit=AccountRef(tenant_id, available_account(cur)),
        credit=AccountRef(tenant_id, reserved_account(cur)),
        amount=require_amount(amount),
        memo=require_memo(memo),
        actor_user_id=actor_user_id,
    )
    return await post(db, Scope.tenant(tenant_id), mv)


async def release(
    db: Database,
    tenant_id: int,
    reservation_id: int,
    *,
    amount: int | None = None,
    key: str,
    memo: str = "",
    actor_user_id: int | None = None,
) -> Receipt:
    """Give ``amount`` (default: all that remains) of a reservation back to the tenant's available credits.

    Releasing an exhausted reservation with ``amount=None`` records a transaction that moves 0. Raises NotFound
    for an unknown reservation, InsufficientFunds when ``amount`` exceeds what remains.
    """
    if amount is not None:
        amount = require_amount(amount)
    key, memo = require_key(key), require_memo(memo)

    async def build(conn: AsyncConnection) -> Movement:
        cur = await _reservation_currency(conn, tenant_id, reservation_id)
        return Movement(
            kind="release",
            tenant_id=tenant_id,
            key=key,
            debit=AccountRef(tenant_id, reserved_account(cur)),
            credit=AccountRef(tenant_id, available_account(cur)),
            amount=amount,
            reservation_id=reservation_id,
            memo=memo,
            actor_user_id=actor_user_id,
        )

    return await post(db, Scope.tenant(tenant_id), build)


async def settle(
    db: Database,
    tenant_id: int,
    reservation_id: int,
    amount: int,
    *,
    key: str,
    memo: str = "",
    actor_user_id: int | None = None,
) -> Receipt:
    """Spend ``amount`` out of a reservation (into the platform's revenue). Raises NotFound for an unknown
    reservation, InsufficientFunds when ``amount`` exceeds what remains of it."""
    amount = require_amount(amount)
    key, memo = require_key(key), require_memo(memo)
    root_id = await platform_root_id(db)

    async def build(conn: AsyncConnection) -> Movement:
        cur = await _reservation_currency(conn, tenant_id, reservation_id)
        return Movement(
            kind="settle",
            tenant_id=tenant_id,
            key=key,
            debit=AccountRef(tenant_id, reserved_account(cur)),
            credit=AccountRef(root_id, revenue_account(cur)),
            amount=amount,
            reservation_id=reservation_id,
            memo=memo,
            actor_user_id=actor_user_id,
        )

    return await post(db, Scope.tenants({tenant_id, root_id}), build)


spend_from_reservation = settle


async def remaining(db: Database, tenant_id: int, reservation_id: int) -> int:
    """What is still held by a reservation, in micro-credits. Raises NotFound for an unknown reservation."""
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        await _reservation_currency(conn, tenant_id, reservation_id)  # NotFound unless it is one
        return await reservation_remaining(conn, tenant_id, reservation_id)


async def _reservation_currency(conn: AsyncConnection, tenant_id: int, reservation_id: int) -> Currency:
    tx, e, a = t.transactions, t.entries, t.accounts
    name = (
        await conn.execute(
            select(a.c.name)
            .select_from(tx.join(e, e.c.transaction_id == tx.c.id).join(a, a.c.id == e.c.account_id))
            .where(tx.c.id == reservation_id, tx.c.tenant_id == tenant_id, tx.c.kind == "reserve", e.c.amount > 0)
        )
    ).scalar_one_or_none()
    if name is None:
        raise NotFound(f"tenant {tenant_id} has no reservation {reservation_id}")
    return account_currency(name)
