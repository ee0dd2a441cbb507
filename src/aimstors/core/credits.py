"""Credits as operators and admins see them: the ledger behind permission checks, by tenant slug.

Amounts cross this boundary as decimal strings of credits ("12.5") and leave it both formatted and in
micro-credits. Every call takes an idempotency key; interfaces that have none to offer generate one per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core import ledger
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Tenant
from aimstors.core.errors import InvalidInput
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import target_tenant

__all__ = ["BalanceView", "MovementView", "allocate", "balance", "history", "topup"]


@dataclass(frozen=True, slots=True)
class BalanceView:
    tenant: str
    available: str
    reserved: str
    ai_available: str
    ai_reserved: str
    available_micro: int
    reserved_micro: int


@dataclass(frozen=True, slots=True)
class MovementView:
    tenant: str
    kind: str
    amount: str
    amount_micro: int
    transaction_id: int
    replayed: bool


@dataclass(frozen=True, slots=True)
class HistoryView:
    entry_id: int
    kind: str
    amount: str
    balance_after: str
    memo: str
    counterparty: str | None
    transaction_id: int


def _amount(text: str) -> int:
    try:
        micro = ledger.credits_to_micro(text)
    except InvalidInput:
        raise
    except (ValueError, ArithmeticError):
        raise InvalidInput(f"amount {text!r} is not a number of credits") from None
    if micro <= 0:
        raise InvalidInput(f"amount must be positive, got {text}")
    return micro


def _audit(actor: Actor, tenant_id: int, action: str, **extra: str) -> ledger.OnPosted:
    """The audit entry of a credit move, written in the ledger's transaction: both commit, or neither does (a
    replay writes nothing: it is not a new move)."""
    from aimstors.core.tenancy.audit import record

    async def write(conn: AsyncConnection, receipt: ledger.Receipt) -> None:
        await record(
            conn,
            actor,
            tenant_id,
            action,
            target_type="ledger_transaction",
            target_id=receipt.transaction_id,
            details={"amount_micro": receipt.amount, **extra},
        )

    return write


def _key(key: str | None) -> str:
    return key or f"cli:{uuid.uuid4()}"


async def topup(
    db: Database, actor: Actor, slug: str, amount: str, *, key: str | None = None, memo: str = ""
) -> MovementView:
    """Issue new credits to a tenant (platform admins only)."""
    micro = _amount(amount)
    tenant = await target_tenant(db, actor, slug, Action.CREDITS_TOPUP)
    receipt = await ledger.topup(db, tenant.id, micro, key=_key(key), memo=memo, actor_user_id=actor.user_id,
                                 on_posted=_audit(actor, tenant.id, "credits.topup"))  # fmt: skip
    return MovementView(
        slug,
        receipt.kind,
        ledger.micro_to_credits(receipt.amount),
        receipt.amount,
        receipt.transaction_id,
        receipt.replayed,
    )


async def allocate(
    db: Database, actor: Actor, from_slug: str, to_slug: str, amount: str, *, key: str | None = None, memo: str = ""
) -> MovementView:
    """Move credits from a tenant to one below it (a reseller to its workspaces)."""
    micro = _amount(amount)
    source = await target_tenant(db, actor, from_slug, Action.CREDITS_ALLOCATE)
    target = await target_tenant(db, actor, to_slug, Action.CREDITS_ALLOCATE)
    receipt = await ledger.allocate(
        db, source.id, target.id, micro, key=_key(key), memo=memo, actor_user_id=actor.user_id,
        on_posted=_audit(actor, source.id, "credits.allocate", to=to_slug),
    )  # fmt: skip
    return MovementView(
        to_slug,
        receipt.kind,
        ledger.micro_to_credits(receipt.amount),
        receipt.amount,
        receipt.transaction_id,
        receipt.replayed,
    )


async def balance(db: Database, actor: Actor, slug: str) -> BalanceView:
    tenant = await target_tenant(db, actor, slug, Action.CREDITS_READ)
    values = await ledger.balances(db, tenant.id)
    fmt = ledger.micro_to_credits
    return BalanceView(
        tenant=slug,
        available=fmt(values["credits"]),
        reserved=fmt(values["credits:reserved"]),
        ai_available=fmt(values["ai_credits"]),
        ai_reserved=fmt(values["ai_credits:reserved"]),
        available_micro=values["credits"],
        reserved_micro=values["credits:reserved"],
    )


async def history(
    db: Database, actor: Actor, slug: str, *, limit: int = 50, before_id: int | None = None
) -> list[HistoryView]:
    tenant = await target_tenant(db, actor, slug, Action.CREDITS_READ)
    entries = await ledger.history(db, tenant.id, limit=limit, before_id=before_id)
    slugs: dict[int, str] = {}
    ids = {e.counterparty_tenant_id for e in entries if e.counterparty_tenant_id is not None}
    if ids:
        async with db.session(Scope.system()) as session:
            slugs = dict((await session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(ids)))).all())
    fmt = ledger.micro_to_credits
    return [
        HistoryView(
            entry_id=e.entry_id,
            kind=e.kind,
            amount=fmt(e.amount),
            balance_after=fmt(e.balance_after),
            memo=e.memo,
            counterparty=(
                f"{slugs.get(e.counterparty_tenant_id, '?')}:{e.counterparty_account}"
                if e.counterparty_tenant_id is not None
                else None
            ),
            transaction_id=e.transaction_id,
        )
        for e in entries
    ]
