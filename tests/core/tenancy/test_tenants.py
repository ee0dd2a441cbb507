"""The tenant tree, and that no actor reaches outside its subtree through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aimstors.core.db import Scope
from aimstors.core.db.models import AuditEntry, Tenant
from aimstors.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants

from .conftest import Tree


async def test_tree_paths_follow_parents(tree: Tree) -> None:
    listing = {t.slug: t for t in await tenants.list_tenants(tree.db, tree.system)}
    assert set(listing) == {"platform", "default", "resell", "other", "shop-a", "shop-b", "shop-x"}
    assert listing["shop-a"].parent_slug == "resell"
    assert listing["shop-a"].path == f"{listing['resell'].path}{listing['shop-a'].id}/"
    assert listing["resell"].kind == "reseller"


async def test_second_initialise_changes_nothing(tree: Tree) -> None:
    async with tree.db.session(Scope.system()) as s:
        before = (
            await s.scalar(select(func.count()).select_from(Tenant)),
            await s.scalar(select(func.count()).select_from(AuditEntry)),
        )
    report = await initialise(tree.db, admin_email="root@example.com", admin_password="other password!")
    assert report.created == []
    async with tree.db.session(Scope.system()) as s:
        after = (
            await s.scalar(select(func.count()).select_from(Tenant)),
            await s.scalar(select(func.count()).select_from(AuditEntry)),
        )
    assert after == before


@pytest.mark.parametrize(
    ("slug", "kind", "parent", "error"),
    [
        ("Bad Slug", "workspace", None, InvalidInput),
        ("shop-a", "workspace", None, Conflict),
        ("nested", "reseller", "resell", InvalidInput),  # resellers hang off the platform root only
        ("under-shop", "workspace", "shop-a", InvalidInput),  # workspaces have no children
        ("orphan", "workspace", "nope", NotFound),
        ("weird", "planet", None, InvalidInput),
    ],
)
async def test_invalid_creations_are_refused_and_write_nothing(
    tree: Tree, slug: str, kind: str, parent: str | None, error: type[Exception]
) -> None:
    async with tree.db.session(Scope.system()) as s:
        before = await s.scalar(select(func.count()).select_from(Tenant))
    with pytest.raises(error):
        await tenants.create_tenant(tree.db, tree.system, slug=slug, kind=kind, parent_slug=parent)  # type: ignore[arg-type]
    async with tree.db.session(Scope.system()) as s:
        assert await s.scalar(select(func.count()).select_from(Tenant)) == before


async def test_workspace_admin_sees_only_its_workspace(tree: Tree) -> None:
    admin_a = await tree.actor("admin@shop-a.test")
    assert [t.slug for t in await tenants.list_tenants(tree.db, admin_a)] == ["shop-a"]
    assert (await tenants.get_tenant(tree.db, admin_a, "shop-a")).slug == "shop-a"
    for foreign in ["shop-b", "shop-x", "resell", "platform"]:
        with pytest.raises(NotFound):
            await tenants.get_tenant(tree.db, admin_a, foreign)


async def test_reseller_admin_reaches_its_subtree_not_its_sibling(tree: Tree) -> None:
    reseller = await tree.actor("reseller@resell.test")
    assert [t.slug for t in await tenants.list_tenants(tree.db, reseller)] == ["resell", "shop-a", "shop-b"]
    created = await tenants.create_tenant(tree.db, reseller, slug="shop-c", parent_slug="resell")
    assert created.parent_slug == "resell"
    with pytest.raises(NotFound):
        await tenants.get_tenant(tree.db, reseller, "shop-x")
    with pytest.raises(NotFound):  # the sibling reseller is invisible, not merely forbidden
        await tenants.create_tenant(tree.db, reseller, slug="sneaky", parent_slug="other")


async def test_workspace_roles_cannot_create_tenants(tree: Tree) -> None:
    for email in ["admin@shop-a.test", "agent@shop-a.test"]:
        actor = await tree.actor(email)
        with pytest.raises(PermissionDenied):
            await tenants.create_tenant(tree.db, actor, slug="nope", parent_slug="shop-a")
