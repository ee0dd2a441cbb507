"""Concurrent movements never overdraw, never apply a key twice and never deadlock — on both dialects.

Postgres serialises movements out of an account with a row lock on ``ledger_accounts``; SQLite with its
``BEGIN IMMEDIATE`` write transaction. Each race fires its calls at once on separate connections.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from aimstors.core import ledger
from aimstors.core.db import Database
from aimstors.core.errors import InsufficientFunds
from aimstors.core.ledger import checkpoints
from aimstors.core.ledger import credits_to_micro as c

from .conftest import Tree, make_tree
from .test_ledger_checkpoints import raw_balance

WORKER = Path(__file__).with_name("spend_worker.py")
PRICE = c("0.0125")  # one marketing message, say


def tally(results: Sequence[object]) -> tuple[int, int, list[object]]:
    applied = sum(isinstance(r, ledger.Receipt) for r in results)
    insufficient = sum(isinstance(r, InsufficientFunds) for r in results)
    other = [r for r in results if not isinstance(r, ledger.Receipt | InsufficientFunds)]
    return applied, insufficient, other


async def test_fifty_concurrent_spends_against_ten_spends_of_credit(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, 10 * PRICE, key="t")
    results = await asyncio.gather(
        *(ledger.spend(db, tree.ws_a, PRICE, key=f"msg-{i}") for i in range(50)), return_exceptions=True
    )
    applied, insufficient, other = tally(results)
    assert (applied, insufficient, other) == (10, 40, [])
    assert await ledger.balance(db, tree.ws_a) == 0
    assert await ledger.balance(db, tree.root, "credits:revenue") == 10 * PRICE
    assert (await ledger.verify(db)).ok


async def test_concurrent_spends_from_two_processes(db_url: str) -> None:
    db = Database(db_url)
    try:
        tree = await make_tree(db)
        await ledger.topup(db, tree.ws_a, 10 * PRICE, key="t")
        start_at = time.time() + 3  # both processes imported and connected by then
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER),
                db_url,
                str(tree.ws_a),
                "25",
                str(PRICE),
                f"proc{n}",
                str(start_at),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for n in range(2)
        ]
        outputs = [await asyncio.wait_for(p.communicate(), timeout=120) for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()
        tallies = [json.loads(out) for out, _err in outputs]
        assert [t["other"] for t in tallies] == [[], []]
        assert sum(t["applied"] for t in tallies) == 10
        assert sum(t["insufficient"] for t in tallies) == 40
        assert await ledger.balance(db, tree.ws_a) == 0
        assert (await ledger.verify(db)).ok
    finally:
        await db.dispose()


async def test_concurrent_retries_of_one_request_apply_once(db: Database, tree: Tree) -> None:
    topups = await asyncio.gather(
        *(ledger.topup(db, tree.ws_a, c("3"), key="invoice-9") for _ in range(10)), return_exceptions=True
    )
    spends = await asyncio.gather(
        *(ledger.spend(db, tree.ws_a, c("1"), key="order-5") for _ in range(10)), return_exceptions=True
    )
    for results in (topups, spends):
        assert all(isinstance(r, ledger.Receipt) for r in results), results
        receipts = [r for r in results if isinstance(r, ledger.Receipt)]
        assert sum(not r.replayed for r in receipts) == 1
        assert len({r.transaction_id for r in receipts}) == 1
    assert await ledger.balance(db, tree.ws_a) == c("2")


async def test_crossing_movements_and_checkpoints_neither_deadlock_nor_drift(
    db: Database, tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 3)
    await ledger.topup(db, tree.reseller, c("100"), key="t")
    await ledger.topup(db, tree.ws_a, c("10"), key="t")
    await ledger.topup(db, tree.ws_b, c("10"), key="t")
    hold = await ledger.reserve(db, tree.ws_a, c("5"), key="r")

    calls = []
    for i in range(12):
        calls += [
            ledger.allocate(db, tree.reseller, tree.ws_a, c("1"), key=f"a-{i}"),
            ledger.allocate(db, tree.reseller, tree.ws_b, c("1"), key=f"b-{i}"),
            ledger.spend(db, tree.ws_a, c("0.5"), key=f"sa-{i}"),
            ledger.spend(db, tree.ws_b, c("0.5"), key=f"sb-{i}"),
            ledger.settle(db, tree.ws_a, hold.transaction_id, c("0.25"), key=f"st-{i}"),
            ledger.checkpoint(db, tree.ws_a),
            ledger.checkpoint(db, tree.root, "credits:revenue"),
        ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []

    assert await ledger.balance(db, tree.reseller) == c("76")
    assert await ledger.balance(db, tree.ws_a) == await raw_balance(db, tree.ws_a) == c("11")
    assert await ledger.balance(db, tree.ws_b) == c("16")
    assert await ledger.remaining(db, tree.ws_a, hold.transaction_id) == c("2")
    assert await ledger.balance(db, tree.root, "credits:revenue") == c("15")
    assert (await ledger.verify(db)).ok
