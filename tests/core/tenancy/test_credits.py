"""Credits through the permission-checked facade: who may top up, allocate and read which tenant."""

from __future__ import annotations

import pytest

from aimstors.core import credits
from aimstors.core.errors import InsufficientFunds, InvalidInput, NotFound, PermissionDenied

from .conftest import Tree


async def test_topup_allocate_and_balances(tree: Tree) -> None:
    await credits.topup(tree.db, tree.system, "resell", "100", key="t1")
    reseller = await tree.actor("reseller@resell.test")
    await credits.allocate(tree.db, reseller, "resell", "shop-a", "30.5", key="a1")
    assert (await credits.balance(tree.db, reseller, "resell")).available == "69.5"
    shop = await credits.balance(tree.db, await tree.actor("admin@shop-a.test"), "shop-a")
    assert (shop.available, shop.available_micro) == ("30.5", 30_500_000)
    again = await credits.allocate(tree.db, reseller, "resell", "shop-a", "30.5", key="a1")
    assert again.replayed
    assert (await credits.balance(tree.db, reseller, "shop-a")).available == "30.5"


async def test_cross_tenant_credit_moves_are_refused(tree: Tree) -> None:
    await credits.topup(tree.db, tree.system, "resell", "100", key="t1")
    reseller = await tree.actor("reseller@resell.test")
    with pytest.raises(NotFound):
        await credits.allocate(tree.db, reseller, "resell", "shop-x", "10")
    with pytest.raises(NotFound):
        await credits.balance(tree.db, reseller, "other")
    admin_a = await tree.actor("admin@shop-a.test")
    with pytest.raises(NotFound):
        await credits.balance(tree.db, admin_a, "shop-b")
    with pytest.raises(PermissionDenied):
        await credits.topup(tree.db, reseller, "shop-a", "10")  # credits enter at the platform only
    with pytest.raises(PermissionDenied):
        await credits.allocate(tree.db, admin_a, "shop-a", "shop-a", "1")
    assert (await credits.balance(tree.db, reseller, "resell")).available == "100"


async def test_bad_amounts_and_overdraw_change_nothing(tree: Tree) -> None:
    await credits.topup(tree.db, tree.system, "resell", "5", key="t1")
    reseller = await tree.actor("reseller@resell.test")
    for amount in ["0", "-1", "abc", "1.0000001"]:
        with pytest.raises(InvalidInput):
            await credits.allocate(tree.db, reseller, "resell", "shop-a", amount)
    with pytest.raises(InsufficientFunds):
        await credits.allocate(tree.db, reseller, "resell", "shop-a", "5.000001")
    assert (await credits.balance(tree.db, reseller, "resell")).available == "5"
    assert (await credits.balance(tree.db, reseller, "shop-a")).available == "0"


async def test_a_credit_move_and_its_audit_entry_commit_together(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    from aimstors.core.tenancy import audit

    await credits.topup(tree.db, tree.system, "resell", "100", key="t1")
    reseller = await tree.actor("reseller@resell.test")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(audit, "record", broken)
        with pytest.raises(RuntimeError):
            await credits.allocate(tree.db, reseller, "resell", "shop-a", "30", key="a1")
    # No audit entry, so no move: the credits are where they were, and the same request can be made again.
    assert (await credits.balance(tree.db, reseller, "resell")).available == "100"
    moved = await credits.allocate(tree.db, reseller, "resell", "shop-a", "30", key="a1")
    assert not moved.replayed
    entries = await audit.list_audit(tree.db, tree.system, "resell")
    assert [e.target_id for e in entries if e.action == "credits.allocate"] == [str(moved.transaction_id)]
