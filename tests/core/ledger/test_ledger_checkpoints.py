"""Checkpoints make balances cheap without changing them; verify() recomputes everything from the raw entries."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, update

from aimstors.core import ledger
from aimstors.core.db import Database, Scope
from aimstors.core.ledger import checkpoints
from aimstors.core.ledger import tables as t
from aimstors.core.ledger.accounts import find_account
from aimstors.core.ledger.balances import balance_and_tail

from .conftest import Tree


async def raw_balance(db: Database, tenant_id: int, account: str = "credits") -> int:
    """The balance recomputed from every entry of the account, ignoring checkpoints."""
    async with db.connect(Scope.system()) as conn:
        total = (
            await conn.execute(
                select(func.coalesce(func.sum(t.entries.c.amount), 0))
                .select_from(t.entries.join(t.accounts, t.accounts.c.id == t.entries.c.account_id))
                .where(t.accounts.c.tenant_id == tenant_id, t.accounts.c.name == account)
            )
        ).scalar_one()
    return int(total)


async def checkpoint_count(db: Database) -> int:
    async with db.connect(Scope.system()) as conn:
        return int((await conn.execute(select(func.count()).select_from(t.checkpoints))).scalar_one())


async def test_a_balance_with_checkpoints_equals_the_recomputation(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, 1_000, key="t")
    for i in range(5):
        await ledger.spend(db, tree.ws_a, 10 + i, key=f"s{i}")
    made = await ledger.checkpoint(db, tree.ws_a)
    assert made is not None and made.balance == 1_000 - 60
    assert await ledger.checkpoint(db, tree.ws_a) is None  # nothing new since
    for i in range(3):
        await ledger.spend(db, tree.ws_a, 100, key=f"later{i}")
    assert await ledger.balance(db, tree.ws_a) == await raw_balance(db, tree.ws_a) == 640
    await ledger.checkpoint(db, tree.ws_a)
    assert await ledger.balance(db, tree.ws_a) == 640
    history = await ledger.history(db, tree.ws_a, limit=100)
    assert history[0].balance_after == 640 and history[-1].balance_after == 1_000
    assert [h.balance_after for h in history] == sorted(h.balance_after for h in history)
    assert (await ledger.verify(db)).ok


async def test_checkpoints_are_written_automatically_every_n_entries(
    db: Database, tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 4)
    await ledger.topup(db, tree.ws_a, 10_000, key="t")
    for i in range(20):
        await ledger.spend(db, tree.ws_a, 7, key=f"s{i}")
    assert await checkpoint_count(db) >= 5
    async with db.connect(Scope.tenant(tree.ws_a)) as conn:  # the debited account's checkpoints are exact
        account = await find_account(conn, tree.ws_a, "credits")
        assert account is not None
        _, past_newest_checkpoint = await balance_and_tail(conn, tree.ws_a, account.id)
    assert past_newest_checkpoint < 4
    assert await ledger.balance(db, tree.ws_a) == await raw_balance(db, tree.ws_a) == 10_000 - 140
    assert await ledger.balance(db, tree.root, "credits:revenue") == 140
    report = await ledger.verify(db)
    assert report.ok and report.checkpoints == await checkpoint_count(db)


async def test_checkpoint_all_catches_up_quiet_accounts(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, 100, key="t")
    for i in range(4):
        await ledger.spend(db, tree.ws_a, 1, key=f"s{i}")
    await ledger.topup(db, tree.ws_b, 100, key="t")
    assert await ledger.checkpoint_all(db, min_entries=4) == 1  # ws_a's credits: 5 entries
    assert await ledger.checkpoint_all(db, min_entries=4) == 0
    assert await ledger.checkpoint_all(db, min_entries=3) == 1  # the platform's revenue: 4 entries
    assert await ledger.checkpoint_all(db, min_entries=0) == 2  # ws_b's credits and the issuance account
    assert await ledger.balance(db, tree.ws_a) == 96
    assert (await ledger.verify(db)).ok


async def test_verify_finds_what_does_not_add_up_and_rebuild_repairs_checkpoints(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, 500, key="t")
    await ledger.spend(db, tree.ws_a, 100, key="s")
    await ledger.checkpoint(db, tree.ws_a)
    await ledger.spend(db, tree.ws_a, 50, key="s2")
    assert (await ledger.verify(db)).ok

    async with db.connect(Scope.system(), write=True) as conn:  # corrupt a checkpoint
        await conn.execute(update(t.checkpoints).values(balance=t.checkpoints.c.balance + 1))
    report = await ledger.verify(db)
    assert {p.kind for p in report.problems} == {"checkpoint_mismatch", "balance_mismatch"}
    assert await ledger.balance(db, tree.ws_a) == 351  # what a checkpoint-based read now (wrongly) says

    assert await ledger.rebuild_checkpoints(db) >= 1
    assert (await ledger.verify(db)).ok
    assert await ledger.balance(db, tree.ws_a) == 350

    async with db.connect(Scope.system(), write=True) as conn:  # an entry with no counter-entry
        account_id = (
            await conn.execute(select(t.entries.c.account_id).where(t.entries.c.tenant_id == tree.ws_a).limit(1))
        ).scalar_one()
        txn = (await conn.execute(select(func.max(t.transactions.c.id)))).scalar_one()
        await conn.execute(
            insert(t.entries).values(tenant_id=tree.ws_a, account_id=account_id, transaction_id=txn, amount=-1_000)
        )
    problems = {p.kind: p for p in (await ledger.verify(db)).problems}
    assert problems["unbalanced_transaction"].transaction_id == txn
    assert problems["negative_balance"].account_id == account_id
    assert "unbalanced_currency" in problems


async def test_verify_checks_what_each_draw_recorded_as_left_of_its_reservation(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, 100, key="t")
    hold = await ledger.reserve(db, tree.ws_a, 60, key="r")
    await ledger.settle(db, tree.ws_a, hold.transaction_id, 10, key="s1")
    settled = await ledger.settle(db, tree.ws_a, hold.transaction_id, 15, key="s2")
    await ledger.release(db, tree.ws_a, hold.transaction_id, amount=5, key="r1")
    assert await ledger.remaining(db, tree.ws_a, hold.transaction_id) == 30
    assert (await ledger.verify(db)).ok

    async with db.connect(Scope.system(), write=True) as conn:
        await conn.execute(
            update(t.transactions).where(t.transactions.c.id == settled.transaction_id).values(reservation_remaining=99)
        )
    problems = (await ledger.verify(db)).problems
    assert [(p.kind, p.transaction_id, p.expected, p.actual) for p in problems] == [
        ("reservation_mismatch", settled.transaction_id, 35, 99)
    ]
