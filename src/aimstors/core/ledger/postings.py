"""Posting a movement: one database transaction that checks, locks and writes a balanced pair of entries.

Every ledger operation (:mod:`~aimstors.core.ledger.transfers`, :mod:`~aimstors.core.ledger.reservations`)
describes itself as a :class:`Movement` — debit one account, credit another, by one amount — and hands it to
:func:`post`, which in a single write transaction:

1. gets or creates both accounts;
2. locks them (see :func:`~aimstors.core.ledger.accounts.lock_accounts`);
3. looks the idempotency key up: a retry of the same request returns the original :class:`Receipt`
   (``replayed=True``) and writes nothing; the same key with a different request raises
   :class:`~aimstors.core.errors.DuplicateRequest`;
4. refuses to overdraw (:class:`~aimstors.core.errors.InsufficientFunds`), or to draw more from a reservation
   than remains of it;
5. writes the transaction row and its two entries (``-amount`` and ``+amount``: they sum to zero).

Any refusal raises before anything is written, and the transaction rolls back whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.errors import AimstorsError, Conflict, DuplicateRequest, InsufficientFunds, InvalidInput
from aimstors.core.ledger import checkpoints
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import Account, AccountRef, account_currency, ensure_accounts, lock_accounts
from aimstors.core.ledger.amounts import micro_to_credits
from aimstors.core.ledger.balances import balance_and_tail

__all__ = ["Movement", "MovementBuilder", "Receipt", "post", "require_key", "require_memo", "reservation_remaining"]

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 200
MAX_MEMO_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of a ledger operation.

    ``transaction_id`` is the ledger transaction (for ``reserve``, it is the reservation id); ``amount`` is what
    moved, in micro-credits (a ``release`` of an exhausted reservation moves 0). ``replayed`` is True when the
    idempotency key had already been applied and this is the original outcome, returned again.
    """

    transaction_id: int
    kind: str
    tenant_id: int
    amount: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Movement:
    """Move ``amount`` from ``debit`` to ``credit``; ``tenant_id`` owns the transaction and its idempotency key.

    ``amount=None`` is allowed only with a ``reservation_id``: it means "all that remains of the reservation".
    """

    kind: str
    tenant_id: int
    key: str
    debit: AccountRef
    credit: AccountRef
    amount: int | None
    reservation_id: int | None = None
    memo: str = ""
    actor_user_id: int | None = None

    def digest(self) -> str:
        """SHA-256 of what was asked for (not the memo or actor), to tell a retry from a reused key."""
        request = {
            "kind": self.kind,
            "tenant": self.tenant_id,
            "debit": [self.debit.tenant_id, self.debit.name],
            "credit": [self.credit.tenant_id, self.credit.name],
            "amount": self.amount,
            "reservation": self.reservation_id,
        }
        return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


MovementBuilder = Callable[[AsyncConnection], Awaitable[Movement]]
OnPosted = Callable[[AsyncConnection, Receipt], Awaitable[None]]


def require_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput("idempotency key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"idempotency key is {len(key)} characters long; at most {MAX_KEY_LENGTH} are allowed")
    return key


def require_memo(memo: str) -> str:
    if len(memo) > MAX_MEMO_LENGTH:
        raise InvalidInput(f"memo is {len(memo)} characters long; at most {MAX_MEMO_LENGTH} are allowed")
    return memo


async def post(
    db: Database, scope: Scope, movement: Movement | MovementBuilder, *, on_posted: OnPosted | None = None
) -> Receipt:
    """Apply a movement in one write transaction in ``scope`` (which must include every tenant it touches).

    ``on_posted`` runs in that transaction once the movement is written (not for a replay): what must commit with
    it or not at all, such as its audit entry.

    ``movement`` may be a builder, called inside the transaction before anything is locked, for operations that
    need to read first (a reservation's currency, the tenants' places in the tree); whatever it raises rolls the
    transaction back. A concurrent call with the same idempotency key that loses the race on the unique index is
    retried once, and then finds the winner's transaction.
    """
    for attempt in (1, 2):
        try:
            async with db.connect(scope, write=True) as conn:
                built = movement if isinstance(movement, Movement) else await movement(conn)
                receipt, due = await _apply(conn, built)
                if on_posted is not None and not receipt.replayed:
                    await on_posted(conn, receipt)
            break
        except IntegrityError as exc:
            if attempt == 2:
                raise Conflict(f"the ledger refused the movement: {str(exc.orig).splitlines()[0]}") from exc
            log.debug("ledger: integrity error on first attempt, retrying once (idempotency race)")
    for tenant_id, account_id in due:
        await _checkpoint_quietly(db, tenant_id, account_id)
    return receipt


async def _apply(conn: AsyncConnection, mv: Movement) -> tuple[Receipt, list[tuple[int, int]]]:
    accounts = await ensure_accounts(conn, (mv.debit, mv.credit))
    debit, credit = accounts[mv.debit], accounts[mv.credit]
    await lock_accounts(conn, debited=[debit], touched=[credit])

    digest = mv.digest()
    tx = t.transactions
    existing = (
        await conn.execute(
            select(tx.c.id, tx.c.kind, tx.c.request_sha256).where(
                tx.c.tenant_id == mv.tenant_id, tx.c.idempotency_key == mv.key
            )
        )
    ).one_or_none()
    if existing is not None:
        if existing.request_sha256 != digest:
            raise DuplicateRequest(
                f"idempotency key {mv.key!r} was already used for a different request "
                f"(ledger transaction {existing.id}, a {existing.kind})",
                hint="use a new key for a new request, or repeat the original request exactly",
            )
        moved = (
            await conn.execute(
                select(func.coalesce(func.sum(t.entries.c.amount), 0)).where(
                    t.entries.c.transaction_id == existing.id, t.entries.c.amount > 0
                )
            )
        ).scalar_one()
        log.debug("ledger: %s replayed (transaction %d)", existing.kind, existing.id)
        return Receipt(existing.id, existing.kind, mv.tenant_id, int(moved), replayed=True), []

    amount, remaining_after = await _resolve_amount(conn, mv, debit)
    every = checkpoints.CHECKPOINT_EVERY
    checked_tail: int | None = None
    if amount and not debit.allow_negative:
        available, checked_tail = await balance_and_tail(conn, debit.tenant_id, debit.id)
        if available < amount:
            currency = account_currency(debit.name)
            raise InsufficientFunds(
                f"insufficient {currency} in account {debit.name!r} of tenant {debit.tenant_id}: "
                f"available {micro_to_credits(available)}, requested {micro_to_credits(amount)}"
            )

    now = utcnow()
    transaction_id = (
        await conn.execute(
            insert(tx)
            .values(
                tenant_id=mv.tenant_id,
                idempotency_key=mv.key,
                request_sha256=digest,
                kind=mv.kind,
                memo=mv.memo,
                actor_user_id=mv.actor_user_id,
                reservation_id=mv.reservation_id,
                reservation_remaining=remaining_after,
                created_at=now,
            )
            .returning(tx.c.id)
        )
    ).scalar_one()
    due: list[tuple[int, int]] = []
    if amount:
        legs = ((debit, -amount), (credit, amount))
        rows = await conn.execute(
            insert(t.entries)
            .values(
                [
                    {
                        "tenant_id": account.tenant_id,
                        "account_id": account.id,
                        "transaction_id": transaction_id,
                        "amount": leg,
                        "created_at": now,
                    }
                    for account, leg in legs
                ]
            )
            .returning(t.entries.c.id, t.entries.c.tenant_id, t.entries.c.account_id)
        )
        for row in rows:
            # The debited account's tail was just counted, so its checkpoint comes exactly every N entries;
            # for the other account, counting would cost a scan, so a checkpoint is due when the entry id is a
            # multiple of N — every N of its entries on average. checkpoint_all() catches any stragglers.
            if row.account_id == debit.id and checked_tail is not None:
                is_due = checked_tail + 1 >= every
            else:
                is_due = row.id % every == 0
            if is_due:
                due.append((row.tenant_id, row.account_id))
    log.debug("ledger: %s applied (transaction %d, tenant %d)", mv.kind, transaction_id, mv.tenant_id)
    return Receipt(transaction_id, mv.kind, mv.tenant_id, amount), due


async def _resolve_amount(conn: AsyncConnection, mv: Movement, debit: Account) -> tuple[int, int | None]:
    """(amount to move, what remains of the reservation after it — None for movements outside a reservation).

    The amount is as asked or, drawing on a reservation, checked against (or defaulting to) what remains of it.
    """
    if mv.amount is None and mv.reservation_id is None:
        raise InvalidInput("an amount is required")
    if mv.kind == "reserve":
        assert mv.amount is not None
        return mv.amount, mv.amount
    if mv.reservation_id is None:
        assert mv.amount is not None
        return mv.amount, None
    remaining = await reservation_remaining(conn, mv.tenant_id, mv.reservation_id)
    if mv.amount is None:
        return remaining, 0
    if mv.amount > remaining:
        currency = account_currency(debit.name)
        raise InsufficientFunds(
            f"reservation {mv.reservation_id} has {micro_to_credits(remaining)} {currency} left; "
            f"requested {micro_to_credits(mv.amount)}"
        )
    return mv.amount, remaining - mv.amount


async def reservation_remaining(conn: AsyncConnection, tenant_id: int, reservation_id: int) -> int:
    """What is still held by a reservation: the ``reservation_remaining`` of its latest draw (release or
    settle), or of the reserve itself before any draw. Two index probes, however long the campaign."""
    tx = t.transactions
    latest_draw = (
        select(tx.c.reservation_remaining)
        .where(tx.c.tenant_id == tenant_id, tx.c.reservation_id == reservation_id)
        .order_by(tx.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    reserved = (
        select(tx.c.reservation_remaining)
        .where(tx.c.tenant_id == tenant_id, tx.c.id == reservation_id, tx.c.kind == "reserve")
        .scalar_subquery()
    )
    return int((await conn.execute(select(func.coalesce(latest_draw, reserved, 0)))).scalar_one())


async def _checkpoint_quietly(db: Database, tenant_id: int, account_id: int) -> None:
    """Write a due checkpoint after the movement committed; a failure costs speed, never correctness."""
    try:
        await checkpoints.checkpoint_account(db, tenant_id, account_id)
    except (AimstorsError, SQLAlchemyError) as exc:  # e.g. the database went away; checkpoint_all catches up
        log.debug("ledger: automatic checkpoint of account %d failed: %s", account_id, exc)
