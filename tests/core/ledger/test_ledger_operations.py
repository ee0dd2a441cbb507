"""Ledger operations on both dialects: what each one moves, what it refuses, and that a refusal writes nothing."""

from __future__ import annotations

import pytest

from aimstors.core import ledger
from aimstors.core.db import Database
from aimstors.core.errors import DuplicateRequest, InsufficientFunds, InvalidInput, NotFound, PermissionDenied
from aimstors.core.ledger import credits_to_micro as c

from .conftest import Tree, ledger_row_counts


async def test_money_flows_down_the_tree_and_out_as_spend(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.reseller, c("100"), key="invoice-1", memo="March")
    await ledger.allocate(db, tree.reseller, tree.ws_a, c("30"), key="alloc-1")
    hold = await ledger.reserve(db, tree.ws_a, c("10"), key="campaign-1:reserve")
    await ledger.settle(db, tree.ws_a, hold.transaction_id, c("4"), key="campaign-1:msg-1")
    released = await ledger.release(db, tree.ws_a, hold.transaction_id, key="campaign-1:release")
    await ledger.spend(db, tree.ws_a, c("1.5"), key="ai-1")

    assert released.amount == c("6")
    assert await ledger.balance(db, tree.reseller) == c("70")
    assert await ledger.balances(db, tree.ws_a) == {
        "credits": c("24.5"),
        "credits:reserved": 0,
        "ai_credits": 0,
        "ai_credits:reserved": 0,
    }
    root = await ledger.balances(db, tree.root)
    assert root["credits:issuance"] == -c("100")
    assert root["credits:revenue"] == c("5.5")
    assert (await ledger.verify(db)).ok


async def test_a_reservation_holds_credits_until_settled_or_released(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, c("10"), key="t")
    hold = await ledger.reserve(db, tree.ws_a, c("8"), key="r")
    assert await ledger.balance(db, tree.ws_a) == c("2")
    assert await ledger.balance(db, tree.ws_a, "credits:reserved") == c("8")
    with pytest.raises(InsufficientFunds):  # the held credits are not available
        await ledger.spend(db, tree.ws_a, c("3"), key="s")

    await ledger.settle(db, tree.ws_a, hold.transaction_id, c("5"), key="settle-1")
    assert await ledger.remaining(db, tree.ws_a, hold.transaction_id) == c("3")
    await ledger.release(db, tree.ws_a, hold.transaction_id, amount=c("1"), key="release-1")
    assert await ledger.remaining(db, tree.ws_a, hold.transaction_id) == c("2")

    before = await ledger_row_counts(db)
    with pytest.raises(InsufficientFunds, match=r"reservation \d+ has 2 credits left; requested 2.5"):
        await ledger.settle(db, tree.ws_a, hold.transaction_id, c("2.5"), key="settle-2")
    with pytest.raises(InsufficientFunds, match="has 2 credits left"):
        await ledger.release(db, tree.ws_a, hold.transaction_id, amount=c("3"), key="release-2")
    assert await ledger_row_counts(db) == before

    rest = await ledger.spend_from_reservation(db, tree.ws_a, hold.transaction_id, c("2"), key="settle-3")
    assert rest.amount == c("2")
    empty = await ledger.release(db, tree.ws_a, hold.transaction_id, key="release-3")
    assert empty.amount == 0
    assert await ledger.balances(db, tree.ws_a) == {
        "credits": c("3"),
        "credits:reserved": 0,
        "ai_credits": 0,
        "ai_credits:reserved": 0,
    }


async def test_reservations_of_two_campaigns_do_not_mix(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, c("10"), key="t")
    first = await ledger.reserve(db, tree.ws_a, c("4"), key="r1")
    second = await ledger.reserve(db, tree.ws_a, c("5"), key="r2")
    with pytest.raises(InsufficientFunds):
        await ledger.settle(db, tree.ws_a, first.transaction_id, c("4.5"), key="s1")
    await ledger.release(db, tree.ws_a, first.transaction_id, key="rel1")
    assert await ledger.remaining(db, tree.ws_a, second.transaction_id) == c("5")
    assert await ledger.balance(db, tree.ws_a, "credits:reserved") == c("5")


async def test_unknown_reservations_are_not_found(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, c("10"), key="t")
    topup = await ledger.topup(db, tree.ws_b, c("10"), key="t")
    hold = await ledger.reserve(db, tree.ws_a, c("1"), key="r")
    with pytest.raises(NotFound, match="has no reservation"):
        await ledger.settle(db, tree.ws_b, hold.transaction_id, 1, key="s")  # another tenant's reservation
    with pytest.raises(NotFound):
        await ledger.release(db, tree.ws_b, topup.transaction_id, key="x")  # not a reservation
    with pytest.raises(NotFound):
        await ledger.remaining(db, tree.ws_a, 10_000)


async def test_the_same_key_applies_once(db: Database, tree: Tree) -> None:
    first = await ledger.topup(db, tree.reseller, c("5"), key="invoice-7")
    rows = await ledger_row_counts(db)
    again = await ledger.topup(db, tree.reseller, c("5"), key="invoice-7", memo="a memo is not the request")
    assert again.replayed and not first.replayed
    assert (again.transaction_id, again.amount) == (first.transaction_id, first.amount)
    assert await ledger_row_counts(db) == rows
    assert await ledger.balance(db, tree.reseller) == c("5")

    hold = await ledger.reserve(db, tree.reseller, c("2"), key="hold")
    assert (await ledger.reserve(db, tree.reseller, c("2"), key="hold")).transaction_id == hold.transaction_id
    released = await ledger.release(db, tree.reseller, hold.transaction_id, key="let-go")
    again_released = await ledger.release(db, tree.reseller, hold.transaction_id, key="let-go")
    assert again_released.replayed and again_released.amount == released.amount == c("2")
    assert await ledger.balance(db, tree.reseller) == c("5")


async def test_the_same_key_with_a_different_request_is_refused(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.reseller, c("5"), key="invoice-7")
    rows = await ledger_row_counts(db)
    with pytest.raises(DuplicateRequest, match="invoice-7"):
        await ledger.topup(db, tree.reseller, c("6"), key="invoice-7")
    with pytest.raises(DuplicateRequest):
        await ledger.spend(db, tree.reseller, c("1"), key="invoice-7")
    with pytest.raises(DuplicateRequest):
        await ledger.topup(db, tree.reseller, c("5"), key="invoice-7", currency="ai_credits")
    assert await ledger_row_counts(db) == rows
    assert await ledger.balance(db, tree.reseller) == c("5")


async def test_keys_belong_to_a_tenant(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, c("5"), key="invoice-1")
    other = await ledger.topup(db, tree.ws_b, c("7"), key="invoice-1")
    assert not other.replayed
    assert await ledger.balance(db, tree.ws_b) == c("7")


async def test_allocation_goes_only_down_the_senders_subtree(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.reseller, c("50"), key="t")
    await ledger.topup(db, tree.ws_a, c("5"), key="t")
    rows = await ledger_row_counts(db)
    with pytest.raises(PermissionDenied, match=f"tenant {tree.other_ws} is not below tenant {tree.reseller}"):
        await ledger.allocate(db, tree.reseller, tree.other_ws, c("1"), key="a")  # a sibling's workspace
    with pytest.raises(PermissionDenied):
        await ledger.allocate(db, tree.ws_a, tree.reseller, c("1"), key="a")  # upwards
    with pytest.raises(PermissionDenied):
        await ledger.allocate(db, tree.ws_a, tree.ws_b, c("1"), key="a")  # sideways
    with pytest.raises(InvalidInput, match="to itself"):
        await ledger.allocate(db, tree.reseller, tree.reseller, c("1"), key="a")
    with pytest.raises(NotFound):
        await ledger.allocate(db, tree.reseller, 999_999, c("1"), key="a")
    assert await ledger_row_counts(db) == rows
    assert await ledger.balance(db, tree.other_ws) == 0

    await ledger.topup(db, tree.root, c("10"), key="t")
    await ledger.allocate(db, tree.root, tree.other_ws, c("2"), key="a")  # the platform reaches every tenant
    await ledger.allocate(db, tree.reseller, tree.ws_b, c("3"), key="a")
    assert await ledger.balance(db, tree.other_ws) == c("2")
    assert await ledger.balance(db, tree.ws_b) == c("3")


async def test_overdrawing_is_refused_and_writes_nothing(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, c("5"), key="t")
    rows = await ledger_row_counts(db)
    with pytest.raises(InsufficientFunds, match=r"available 5, requested 7\.25") as refused:
        await ledger.spend(db, tree.ws_a, c("7.25"), key="s")
    assert refused.value.code == "insufficient_funds"
    with pytest.raises(InsufficientFunds):
        await ledger.reserve(db, tree.ws_a, c("5.000001"), key="r")
    with pytest.raises(InsufficientFunds, match="available 0"):
        await ledger.allocate(db, tree.reseller, tree.ws_b, 1, key="a")
    with pytest.raises(InsufficientFunds):
        await ledger.spend(db, tree.ws_a, c("1"), key="ai", currency="ai_credits")
    assert await ledger_row_counts(db) == rows
    # A refused request leaves its key unused.
    assert not (await ledger.spend(db, tree.ws_a, c("5"), key="s")).replayed
    assert await ledger.balance(db, tree.ws_a) == 0


async def test_ai_credits_are_a_separate_currency(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.ws_a, c("3"), key="t", currency="ai_credits")
    await ledger.topup(db, tree.ws_a, c("1"), key="t2")
    hold = await ledger.reserve(db, tree.ws_a, c("2"), key="r", currency="ai_credits")
    await ledger.settle(db, tree.ws_a, hold.transaction_id, c("0.5"), key="s")
    assert await ledger.balances(db, tree.ws_a) == {
        "credits": c("1"),
        "credits:reserved": 0,
        "ai_credits": c("1"),
        "ai_credits:reserved": c("1.5"),
    }
    root = await ledger.balances(db, tree.root)
    assert root["ai_credits:issuance"] == -c("3") and root["ai_credits:revenue"] == c("0.5")
    assert root["credits:issuance"] == -c("1")


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "5", None])
async def test_amounts_must_be_positive_integers(db: Database, tree: Tree, amount: object) -> None:
    with pytest.raises(InvalidInput, match="amount"):
        await ledger.topup(db, tree.ws_a, amount, key="t")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="amount"):
        await ledger.spend(db, tree.ws_a, amount, key="t")  # type: ignore[arg-type]
    assert await ledger_row_counts(db) == (0, 0, 0)


async def test_bad_requests_are_refused_by_name(db: Database, tree: Tree) -> None:
    with pytest.raises(InvalidInput, match="currency"):
        await ledger.topup(db, tree.ws_a, 1, key="t", currency="euros")
    with pytest.raises(InvalidInput, match="idempotency key"):
        await ledger.topup(db, tree.ws_a, 1, key=" ")
    with pytest.raises(InvalidInput, match="at most 200"):
        await ledger.topup(db, tree.ws_a, 1, key="k" * 201)
    with pytest.raises(InvalidInput, match="memo"):
        await ledger.topup(db, tree.ws_a, 1, key="t", memo="m" * 501)
    with pytest.raises(InvalidInput, match="unknown ledger account"):
        await ledger.balance(db, tree.ws_a, "savings")
    with pytest.raises(NotFound, match="tenant 999999 does not exist"):
        await ledger.topup(db, 999_999, 1, key="t")
    assert await ledger_row_counts(db) == (0, 0, 0)


async def test_a_tenant_that_never_moved_credits_has_zero_balances(db: Database, tree: Tree) -> None:
    assert await ledger.balance(db, tree.ws_b) == 0
    assert await ledger.balances(db, tree.ws_b) == {
        "credits": 0,
        "credits:reserved": 0,
        "ai_credits": 0,
        "ai_credits:reserved": 0,
    }
    assert await ledger.history(db, tree.ws_b) == []


async def test_history_shows_each_movement_with_its_counterparty_and_running_balance(db: Database, tree: Tree) -> None:
    await ledger.topup(db, tree.reseller, c("20"), key="t", memo="invoice 42", actor_user_id=7)
    await ledger.allocate(db, tree.reseller, tree.ws_a, c("8"), key="a", memo="for March")
    hold = await ledger.reserve(db, tree.ws_a, c("3"), key="r")
    await ledger.spend(db, tree.ws_a, c("1"), key="s", memo="AI tokens")

    page = await ledger.history(db, tree.ws_a)
    assert [(h.kind, h.amount, h.balance_after) for h in page] == [
        ("spend", -c("1"), c("4")),
        ("reserve", -c("3"), c("5")),
        ("allocate", c("8"), c("8")),
    ]
    assert (page[0].counterparty_tenant_id, page[0].counterparty_account) == (tree.root, "credits:revenue")
    assert (page[1].counterparty_tenant_id, page[1].counterparty_account) == (tree.ws_a, "credits:reserved")
    assert page[1].transaction_id == hold.transaction_id
    assert (page[2].memo, page[2].counterparty_tenant_id) == ("for March", tree.reseller)

    older = await ledger.history(db, tree.ws_a, limit=1, before_id=page[0].entry_id)
    assert [(h.kind, h.balance_after) for h in older] == [("reserve", c("5"))]
    topup = (await ledger.history(db, tree.reseller))[-1]
    assert (topup.kind, topup.memo, topup.actor_user_id) == ("topup", "invoice 42", 7)
    assert topup.counterparty_account == "credits:issuance"
    with pytest.raises(InvalidInput, match="limit"):
        await ledger.history(db, tree.ws_a, limit=0)
