"""Random sequences of ledger operations, on both dialects, against a model of what the balances must be.

After every step: each balance equals the model, no non-negative account is below zero, and the balances read
through checkpoints equal the sums of the raw entries. At the end of each run, verify() finds nothing wrong
(every transaction sums to zero, so all entries of each currency do too).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from aimstors.core import ledger
from aimstors.core.db import Database
from aimstors.core.errors import InsufficientFunds, InvalidInput, PermissionDenied
from aimstors.core.ledger import Receipt

from .conftest import Tree, make_tree
from .test_ledger_checkpoints import raw_balance

ACCOUNTS = ("credits", "credits:reserved", "ai_credits", "ai_credits:reserved")
amounts = st.integers(min_value=1, max_value=60)
currencies = st.sampled_from(["credits", "ai_credits"])
tenant_index = st.integers(min_value=0, max_value=5)


@dataclass
class Hold:
    tenant_id: int
    id: int
    currency: str
    remaining: int


@dataclass
class Applied:
    """A successful call, to be repeated with its key: it must replay, not apply again."""

    call: Callable[[], Awaitable[Receipt]]
    receipt: Receipt


def build_machine(runner: asyncio.Runner, db: Database) -> type[RuleBasedStateMachine]:
    def run(coro: Awaitable[Any]) -> Any:
        async def wrap() -> Any:
            return await coro

        return runner.run(wrap())

    class LedgerMachine(RuleBasedStateMachine):
        holds = Bundle("holds")
        applied = Bundle("applied")

        def __init__(self) -> None:
            super().__init__()
            self.expected: dict[tuple[int, str], int] = {}
            self.tree: Tree | None = None
            self.root_holds: list[Hold] = []
            self.counter = 0
            self.prefix = uuid.uuid4().hex[:8]  # the platform root (and its keys) outlive one run

        @initialize()
        def make_tenants(self) -> None:
            self.tree = run(make_tree(db))
            root = run(ledger.balances(db, self.tree.root))
            assert all(root[name] == 0 for name in ACCOUNTS), root  # drained by the previous run's teardown
            self.expected = {(tenant, name): 0 for tenant in self.tree.all for name in ACCOUNTS}

        def tenant(self, index: int) -> int:
            assert self.tree is not None
            return self.tree.all[index]

        def key(self) -> str:
            self.counter += 1
            return f"{self.prefix}-{self.counter}"

        def descendants(self, tenant_id: int) -> set[int]:
            tr = self.tree
            assert tr is not None
            return {
                tr.root: set(tr.all) - {tr.root},
                tr.reseller: {tr.ws_a, tr.ws_b},
                tr.other_reseller: {tr.other_ws},
            }.get(tenant_id, set())

        def move(self, debit: tuple[int, str], credit: tuple[int, str] | None, amount: int) -> None:
            self.expected[debit] -= amount
            if credit is not None:  # None: the platform's revenue, checked through verify()
                self.expected[credit] += amount

        @rule(target=applied, who=tenant_index, amount=amounts, currency=currencies)
        def topup(self, who: int, amount: int, currency: str) -> Any:
            tenant, key = self.tenant(who), self.key()

            def call() -> Awaitable[Receipt]:
                return ledger.topup(db, tenant, amount, key=key, currency=currency)

            receipt = run(call())
            self.expected[(tenant, currency)] += amount
            return Applied(call, receipt)

        @rule(target=applied, sender=tenant_index, receiver=tenant_index, amount=amounts)
        def allocate(self, sender: int, receiver: int, amount: int) -> Any:
            src, dst, key = self.tenant(sender), self.tenant(receiver), self.key()

            def call() -> Awaitable[Receipt]:
                return ledger.allocate(db, src, dst, amount, key=key)

            outcome: type[Exception] | None = None
            if src == dst:
                outcome = InvalidInput
            elif dst not in self.descendants(src):
                outcome = PermissionDenied
            elif self.expected[(src, "credits")] < amount:
                outcome = InsufficientFunds
            if outcome is not None:
                self.expect_refusal(call, outcome)
                return multiple()
            receipt = run(call())
            self.move((src, "credits"), (dst, "credits"), amount)
            return Applied(call, receipt)

        @rule(target=holds, who=tenant_index, amount=amounts, currency=currencies)
        def reserve(self, who: int, amount: int, currency: str) -> Any:
            tenant, key = self.tenant(who), self.key()

            def call() -> Awaitable[Receipt]:
                return ledger.reserve(db, tenant, amount, key=key, currency=currency)

            if self.expected[(tenant, currency)] < amount:
                self.expect_refusal(call, InsufficientFunds)
                return multiple()
            receipt = run(call())
            self.move((tenant, currency), (tenant, f"{currency}:reserved"), amount)
            hold = Hold(tenant, receipt.transaction_id, currency, amount)
            if tenant == self.tenant(0):
                self.root_holds.append(hold)
            return hold

        @rule(hold=holds, amount=amounts)
        def settle(self, hold: Hold, amount: int) -> None:
            key = self.key()

            def call() -> Awaitable[Receipt]:
                return ledger.settle(db, hold.tenant_id, hold.id, amount, key=key)

            if amount > hold.remaining:
                self.expect_refusal(call, InsufficientFunds)
                return
            assert run(call()).amount == amount
            hold.remaining -= amount
            self.move((hold.tenant_id, f"{hold.currency}:reserved"), None, amount)

        @rule(hold=consumes(holds))
        def release_all(self, hold: Hold) -> None:
            receipt = run(ledger.release(db, hold.tenant_id, hold.id, key=self.key()))
            assert receipt.amount == hold.remaining
            self.move((hold.tenant_id, f"{hold.currency}:reserved"), (hold.tenant_id, hold.currency), hold.remaining)
            hold.remaining = 0

        @rule(hold=holds, amount=amounts)
        def release_some(self, hold: Hold, amount: int) -> None:
            key = self.key()

            def call() -> Awaitable[Receipt]:
                return ledger.release(db, hold.tenant_id, hold.id, amount=amount, key=key)

            if amount > hold.remaining:
                self.expect_refusal(call, InsufficientFunds)
                return
            run(call())
            hold.remaining -= amount
            self.move((hold.tenant_id, f"{hold.currency}:reserved"), (hold.tenant_id, hold.currency), amount)

        @rule(target=applied, who=tenant_index, amount=amounts, currency=currencies)
        def spend(self, who: int, amount: int, currency: str) -> Any:
            tenant, key = self.tenant(who), self.key()

            def call() -> Awaitable[Receipt]:
                return ledger.spend(db, tenant, amount, key=key, currency=currency)

            if self.expected[(tenant, currency)] < amount:
                self.expect_refusal(call, InsufficientFunds)
                return multiple()
            receipt = run(call())
            self.move((tenant, currency), None, amount)
            return Applied(call, receipt)

        @rule(done=applied)
        def repeat(self, done: Applied) -> None:
            again = run(done.call())
            assert again.replayed
            assert (again.transaction_id, again.amount) == (done.receipt.transaction_id, done.receipt.amount)

        @rule(who=tenant_index, account=st.sampled_from(ACCOUNTS))
        def checkpoint(self, who: int, account: str) -> None:
            run(ledger.checkpoint(db, self.tenant(who), account))

        def expect_refusal(self, call: Callable[[], Awaitable[Receipt]], error: type[Exception]) -> None:
            try:
                run(call())
            except error:
                return
            raise AssertionError(f"expected {error.__name__}")

        @invariant()
        def balances_match_the_model_and_the_entries(self) -> None:
            if self.tree is None:
                return
            for tenant in self.tree.all:
                actual = run(ledger.balances(db, tenant))
                for name in ACCOUNTS:
                    assert actual[name] == self.expected[(tenant, name)], (tenant, name)
                    assert actual[name] >= 0
            for tenant in (self.tree.ws_a, self.tree.reseller):
                assert run(ledger.balance(db, tenant)) == run(raw_balance(db, tenant))

        def teardown(self) -> None:
            report = run(ledger.verify(db))
            assert report.ok, report.problems
            if self.tree is not None:
                self.drain_root(self.tree.root)

        def drain_root(self, root: int) -> None:
            """Leave the shared platform root empty, so the next run starts from the same state as this one."""
            for hold in self.root_holds:
                run(ledger.release(db, root, hold.id, key=self.key()))
            for currency in ("credits", "ai_credits"):
                left = run(ledger.balance(db, root, currency))
                if left:
                    run(ledger.spend(db, root, left, key=self.key(), currency=currency))

    return LedgerMachine


def test_random_operation_sequences_keep_the_ledger_consistent(db_url: str) -> None:
    with asyncio.Runner() as runner:
        db = Database(db_url)
        try:
            run_state_machine_as_test(
                build_machine(runner, db),
                settings=settings(
                    max_examples=12,
                    stateful_step_count=30,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                    database=None,
                ),
            )
        finally:
            runner.run(db.dispose())
