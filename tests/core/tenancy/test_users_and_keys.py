"""Users, memberships, login and API keys — with their cross-tenant refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aimstors.core.db import Scope
from aimstors.core.db.models import ApiKey
from aimstors.core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from aimstors.core.security import Role
from aimstors.core.tenancy import apikeys, users

from .conftest import Tree


async def test_login_checks_the_password(tree: Tree) -> None:
    user = await users.authenticate(tree.db, email="Admin@Shop-A.test", password="long enough pw")
    assert user.email == "admin@shop-a.test"
    for email, password in [
        ("admin@shop-a.test", "wrong password"),
        ("ghost@nowhere.test", "long enough pw"),
    ]:
        with pytest.raises(AuthenticationFailed, match="wrong email or password"):
            await users.authenticate(tree.db, email=email, password=password)


async def test_duplicate_email_and_short_password_are_refused(tree: Tree) -> None:
    with pytest.raises(Conflict):
        await users.create_user(tree.db, tree.system, email="ADMIN@shop-a.test", password="long enough pw")
    with pytest.raises(InvalidInput, match="too short"):
        await users.create_user(tree.db, tree.system, email="new@shop-a.test", password="short")


async def test_nobody_grants_above_their_own_role(tree: Tree) -> None:
    admin_a = await tree.actor("admin@shop-a.test")
    await users.create_user(
        tree.db,
        admin_a,
        email="new@shop-a.test",
        password="long enough pw",
        tenant_slug="shop-a",
        role=Role.WORKSPACE_AGENT,
    )
    with pytest.raises(PermissionDenied):
        await users.grant(tree.db, admin_a, email="new@shop-a.test", tenant_slug="shop-a", role=Role.RESELLER_ADMIN)
    agent = await tree.actor("agent@shop-a.test")
    with pytest.raises(PermissionDenied):
        await users.grant(tree.db, agent, email="new@shop-a.test", tenant_slug="shop-a", role=Role.WORKSPACE_ADMIN)


async def test_roles_must_fit_the_tenant_kind(tree: Tree) -> None:
    with pytest.raises(InvalidInput, match="cannot be held on a workspace"):
        await users.grant(
            tree.db, tree.system, email="admin@shop-a.test", tenant_slug="shop-a", role=Role.RESELLER_ADMIN
        )


async def test_admin_cannot_touch_another_workspaces_members(tree: Tree) -> None:
    admin_a = await tree.actor("admin@shop-a.test")
    with pytest.raises(NotFound):
        await users.grant(tree.db, admin_a, email="admin@shop-a.test", tenant_slug="shop-b", role=Role.WORKSPACE_ADMIN)
    with pytest.raises(NotFound):
        await users.revoke(tree.db, admin_a, email="admin@shop-b.test", tenant_slug="shop-b")
    listed = {u.email for u in await users.list_users(tree.db, admin_a)}
    assert listed == {"admin@shop-a.test", "agent@shop-a.test"}


async def test_revoke_bumps_the_token_version(tree: Tree) -> None:
    before = await users.authenticate(tree.db, email="agent@shop-a.test", password="long enough pw")
    await users.revoke(tree.db, tree.system, email="agent@shop-a.test", tenant_slug="shop-a")
    after = await users.authenticate(tree.db, email="agent@shop-a.test", password="long enough pw")
    assert after.token_version == before.token_version + 1
    with pytest.raises(NotFound):
        await tree.actor("agent@shop-a.test")


async def test_api_key_lifecycle(tree: Tree) -> None:
    admin_a = await tree.actor("admin@shop-a.test")
    info, secret = await apikeys.create_api_key(
        tree.db, admin_a, tenant_slug="shop-a", name="ci", role=Role.WORKSPACE_AGENT
    )
    assert secret.startswith(info.prefix)
    async with tree.db.session(Scope.system()) as s:
        stored = await s.scalar(select(ApiKey).where(ApiKey.prefix == info.prefix))
    assert stored is not None and secret not in stored.key_hash  # only a hash is kept
    actor = await apikeys.actor_for_api_key(tree.db, secret)
    assert (actor.role, actor.kind, actor.api_key_id) == (Role.WORKSPACE_AGENT, "api_key", info.id)
    with pytest.raises(AuthenticationFailed):
        await apikeys.actor_for_api_key(tree.db, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    await apikeys.revoke_api_key(tree.db, admin_a, prefix=info.prefix)
    with pytest.raises(AuthenticationFailed):
        await apikeys.actor_for_api_key(tree.db, secret)


async def test_api_keys_of_another_tenant_are_invisible(tree: Tree) -> None:
    info, _secret = await apikeys.create_api_key(
        tree.db, tree.system, tenant_slug="shop-b", name="b-key", role=Role.WORKSPACE_ADMIN
    )
    admin_a = await tree.actor("admin@shop-a.test")
    with pytest.raises(NotFound):
        await apikeys.list_api_keys(tree.db, admin_a, tenant_slug="shop-b")
    with pytest.raises(NotFound):
        await apikeys.revoke_api_key(tree.db, admin_a, prefix=info.prefix)
    with pytest.raises(PermissionDenied):  # an agent may not mint keys even in its own workspace
        await apikeys.create_api_key(
            tree.db,
            await tree.actor("agent@shop-a.test"),
            tenant_slug="shop-a",
            name="x",
            role=Role.WORKSPACE_AGENT,
        )
