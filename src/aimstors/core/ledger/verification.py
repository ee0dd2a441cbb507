"""Audit the ledger against its raw entries: balanced transactions, true checkpoints, no forbidden overdraft."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from aimstors.core.db import Database, Scope
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import account_currency
from aimstors.core.ledger.amounts import micro_to_credits
from aimstors.core.ledger.balances import balance_expression

__all__ = ["Problem", "VerifyReport", "verify"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One inconsistency. ``kind`` is one of ``unbalanced_transaction`` (its entries do not sum to zero),
    ``checkpoint_mismatch`` (a checkpoint's balance differs from the sum of the entries it covers),
    ``balance_mismatch`` (the checkpoint-based balance differs from the sum of all entries),
    ``negative_balance`` (an account that may not go negative did), ``unbalanced_currency``,
    ``reservation_mismatch`` (what a draw recorded as left of its reservation is not what its entries leave)."""

    kind: str
    message: str
    tenant_id: int | None = None
    account_id: int | None = None
    transaction_id: int | None = None
    entry_id: int | None = None
    expected: int | None = None
    actual: int | None = None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    accounts: int
    transactions: int
    entries: int
    checkpoints: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(db: Database) -> VerifyReport:
    """Recompute every balance and checkpoint from the raw entries and report what disagrees.

    Reads the whole ledger in the system scope, in one snapshot (``REPEATABLE READ`` on Postgres), so it may run
    while movements continue. It writes nothing; :func:`~aimstors.core.ledger.checkpoints.rebuild_checkpoints`
    repairs checkpoints.
    """
    e, a, ck, tx = t.entries, t.accounts, t.checkpoints, t.transactions
    problems: list[Problem] = []
    async with db.engine.connect() as conn:
        if not db.is_sqlite:
            await conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for every query
        async with conn.begin():
            await db.apply_scope(conn, Scope.system())
            transactions = int((await conn.execute(select(func.count()).select_from(tx))).scalar_one())
            unbalanced = (
                await conn.execute(
                    select(e.c.transaction_id, func.sum(e.c.amount).label("total"))
                    .group_by(e.c.transaction_id)
                    .having(func.sum(e.c.amount) != 0)
                    .order_by(e.c.transaction_id)
                )
            ).all()
            raw = {
                row.account_id: (int(row.total), int(row.n))
                for row in await conn.execute(
                    select(e.c.account_id, func.sum(e.c.amount).label("total"), func.count().label("n")).group_by(
                        e.c.account_id
                    )
                )
            }
            accounts = (
                await conn.execute(
                    select(
                        a.c.id,
                        a.c.tenant_id,
                        a.c.name,
                        a.c.allow_negative,
                        balance_expression(a.c.tenant_id, a.c.id).label("reported"),
                    ).order_by(a.c.id)
                )
            ).all()
            previous = func.lag(ck.c.entry_id, 1, 0).over(partition_by=ck.c.account_id, order_by=ck.c.entry_id)
            cps = select(
                ck.c.tenant_id, ck.c.account_id, ck.c.entry_id, ck.c.balance, previous.label("prev")
            ).subquery()
            covered = (
                select(func.coalesce(func.sum(e.c.amount), 0))
                .where(
                    e.c.tenant_id == cps.c.tenant_id,
                    e.c.account_id == cps.c.account_id,
                    e.c.id > cps.c.prev,
                    e.c.id <= cps.c.entry_id,
                )
                .scalar_subquery()
            )
            reservation_rows = (await conn.execute(_reservation_mismatches())).all()
            checkpoint_rows = (
                await conn.execute(
                    select(
                        cps.c.tenant_id, cps.c.account_id, cps.c.entry_id, cps.c.balance, covered.label("delta")
                    ).order_by(cps.c.account_id, cps.c.entry_id)
                )
            ).all()

    for txn in unbalanced:
        problems.append(
            Problem(
                "unbalanced_transaction",
                f"transaction {txn.transaction_id}: entries sum to {micro_to_credits(int(txn.total))}, not 0",
                transaction_id=txn.transaction_id,
                expected=0,
                actual=int(txn.total),
            )
        )

    for draw in reservation_rows:
        problems.append(
            Problem(
                "reservation_mismatch",
                f"transaction {draw.id} records {micro_to_credits(int(draw.reservation_remaining or 0))} left of "
                f"reservation {draw.rid}; its entries leave {micro_to_credits(int(draw.true_remaining))}",
                tenant_id=draw.tenant_id,
                transaction_id=draw.id,
                expected=int(draw.true_remaining),
                actual=None if draw.reservation_remaining is None else int(draw.reservation_remaining),
            )
        )

    true_running: dict[int, int] = defaultdict(int)
    for row in checkpoint_rows:
        true_running[row.account_id] += int(row.delta)
        if int(row.balance) != true_running[row.account_id]:
            problems.append(
                Problem(
                    "checkpoint_mismatch",
                    f"checkpoint of account {row.account_id} at entry {row.entry_id} says "
                    f"{micro_to_credits(int(row.balance))}; its entries sum to "
                    f"{micro_to_credits(true_running[row.account_id])}",
                    tenant_id=row.tenant_id,
                    account_id=row.account_id,
                    entry_id=row.entry_id,
                    expected=true_running[row.account_id],
                    actual=int(row.balance),
                )
            )

    per_currency: dict[str, int] = defaultdict(int)
    for acc in accounts:
        total = raw.get(acc.id, (0, 0))[0]
        per_currency[account_currency(acc.name)] += total
        where = f"account {acc.name!r} (id {acc.id}) of tenant {acc.tenant_id}"
        if int(acc.reported) != total:
            problems.append(
                Problem(
                    "balance_mismatch",
                    f"{where}: balance from checkpoints is {micro_to_credits(int(acc.reported))}; "
                    f"its entries sum to {micro_to_credits(total)}",
                    tenant_id=acc.tenant_id,
                    account_id=acc.id,
                    expected=total,
                    actual=int(acc.reported),
                )
            )
        if total < 0 and not acc.allow_negative:
            problems.append(
                Problem(
                    "negative_balance",
                    f"{where} is negative: {micro_to_credits(total)}",
                    tenant_id=acc.tenant_id,
                    account_id=acc.id,
                    actual=total,
                )
            )
    for currency, total in sorted(per_currency.items()):
        if total != 0:
            problems.append(
                Problem(
                    "unbalanced_currency",
                    f"all {currency} entries sum to {micro_to_credits(total)}, not 0",
                    expected=0,
                    actual=total,
                )
            )

    return VerifyReport(
        accounts=len(accounts),
        transactions=transactions,
        entries=sum(n for _, n in raw.values()),
        checkpoints=len(checkpoint_rows),
        problems=tuple(problems),
    )


def _reservation_mismatches() -> Select[Any]:
    """Reserve/release/settle transactions whose recorded ``reservation_remaining`` differs from the running sum
    of the reservation's entries in a ``…:reserved`` account."""
    e, a, tx = t.entries, t.accounts, t.transactions
    legs = (
        select(e.c.transaction_id, e.c.amount)
        .select_from(e.join(a, a.c.id == e.c.account_id))
        .where(a.c.name.like("%:reserved"))
        .subquery()
    )
    reservation = func.coalesce(tx.c.reservation_id, tx.c.id)
    running = func.sum(func.coalesce(legs.c.amount, 0)).over(partition_by=reservation, order_by=tx.c.id)
    draws = (
        select(
            tx.c.id,
            tx.c.tenant_id,
            reservation.label("rid"),
            tx.c.reservation_remaining,
            running.label("true_remaining"),
        )
        .select_from(tx.outerjoin(legs, legs.c.transaction_id == tx.c.id))
        .where(tx.c.kind.in_(("reserve", "release", "settle")))
        .subquery()
    )
    return (
        select(draws)
        .where(or_(draws.c.reservation_remaining.is_(None), draws.c.reservation_remaining != draws.c.true_remaining))
        .order_by(draws.c.id)
    )
