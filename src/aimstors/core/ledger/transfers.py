"""Credits in, down the tree, and out: top-ups from the platform's issuance, allocations, direct spends.

Each function is one ledger transaction, idempotent on ``(tenant, key)``: repeat a call with the same key and the
same request and it returns the original :class:`Receipt` (``replayed=True``) without moving anything again.
Amounts are positive integers of micro-credits (see :func:`aimstors.core.ledger.credits_to_micro`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.errors import InvalidInput, NotFound, PermissionDenied
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import (
    AccountRef,
    available_account,
    issuance_account,
    platform_root_id,
    require_currency,
    revenue_account,
)
from aimstors.core.ledger.amounts import require_amount
from aimstors.core.ledger.postings import Movement, OnPosted, Receipt, post, require_key, require_memo

__all__ = ["allocate", "spend", "topup"]


async def topup(
    db: Database,
    tenant_id: int,
    amount: int,
    *,
    key: str,
    memo: str = "",
    actor_user_id: int | None = None,
    currency: str = "credits",
    on_posted: OnPosted | None = None,
) -> Receipt:
    """Issue ``amount`` new credits to ``tenant_id``'s available account, drawn from the platform root's
    ``<currency>:issuance`` account (which may go negative: it is minus all credits ever issued).

    The idempotency key belongs to ``tenant_id``. Raises InvalidInput, NotFound (no such tenant, or no platform
    tenant), DuplicateRequest.
    """
    cur = require_currency(currency)
    mv = Movement(
        kind="topup",
        tenant_id=tenant_id,
        key=require_key(key),
        debit=AccountRef(await platform_root_id(db), issuance_account(cur)),
        credit=AccountRef(tenant_id, available_account(cur)),
        amount=require_amount(amount),
        memo=require_memo(memo),
        actor_user_id=actor_user_id,
    )
    return await post(db, Scope.tenants({tenant_id, mv.debit.tenant_id}), mv, on_posted=on_posted)


async def allocate(
    db: Database,
    from_tenant_id: int,
    to_tenant_id: int,
    amount: int,
    *,
    key: str,
    memo: str = "",
    actor_user_id: int | None = None,
    currency: str = "credits",
    on_posted: OnPosted | None = None,
) -> Receipt:
    """Move ``amount`` from one tenant's available credits to a tenant below it in the tree (a descendant by
    path: a reseller to its workspaces, the platform to anyone).

    The idempotency key belongs to the sender. Raises PermissionDenied when ``to_tenant_id`` is not in the
    sender's subtree, InvalidInput when both are the same tenant, NotFound for an unknown tenant,
    InsufficientFunds when the sender's available balance is short. Nothing is written when it raises.
    """
    cur = require_currency(currency)
    amount = require_amount(amount)
    key, memo = require_key(key), require_memo(memo)
    if from_tenant_id == to_tenant_id:
        raise InvalidInput(f"cannot allocate credits from tenant {from_tenant_id} to itself")

    async def build(conn: AsyncConnection) -> Movement:
        await _require_descendant(conn, from_tenant_id, to_tenant_id)
        return Movement(
            kind="allocate",
            tenant_id=from_tenant_id,
            key=key,
            debit=AccountRef(from_tenant_id, available_account(cur)),
            credit=AccountRef(to_tenant_id, available_account(cur)),
            amount=amount,
            memo=memo,
            actor_user_id=actor_user_id,
        )

    return await post(db, Scope.tenants({from_tenant_id, to_tenant_id}), build, on_posted=on_posted)


async def spend(
    db: Database,
    tenant_id: int,
    amount: int,
    *,
    key: str,
    memo: str = "",
    actor_user_id: int | None = None,
    currency: str = "credits",
) -> Receipt:
    """Spend ``amount`` of the tenant's available credits (into the platform's ``<currency>:revenue``), for usage
    that was not reserved beforehand. Raises InsufficientFunds when the available balance is short."""
    cur = require_currency(currency)
    mv = Movement(
        kind="spend",
        tenant_id=tenant_id,
        key=require_key(key),
        debit=AccountRef(tenant_id, available_account(cur)),
        credit=AccountRef(await platform_root_id(db), revenue_account(cur)),
        amount=require_amount(amount),
        memo=require_memo(memo),
        actor_user_id=actor_user_id,
    )
    return await post(db, Scope.tenants({tenant_id, mv.credit.tenant_id}), mv)


async def _require_descendant(conn: AsyncConnection, ancestor_id: int, tenant_id: int) -> None:
    rows = {
        row.id: row.path
        for row in await conn.execute(
            select(t.tenants.c.id, t.tenants.c.path).where(t.tenants.c.id.in_((ancestor_id, tenant_id)))
        )
    }
    for wanted in (ancestor_id, tenant_id):
        if wanted not in rows:
            raise NotFound(f"tenant {wanted} does not exist")
    if not rows[tenant_id].startswith(rows[ancestor_id]):
        raise PermissionDenied(
            f"tenant {tenant_id} is not below tenant {ancestor_id} in the tenant tree; "
            "credits can only be allocated to a tenant in the sender's subtree"
        )
