"""The typed client against the real app: login, me, tenants, users and memberships, API keys, logout."""

from __future__ import annotations

import pytest

from aimstors.client import AimstorsClient, AuthenticationError, ConflictError, Forbidden, NotFoundError

from .conftest import Daemon


async def test_a_reseller_admin_manages_its_subtree(daemon: Daemon) -> None:
    async with AimstorsClient(daemon.url) as client:
        session = await client.login("reseller@resell.test", "long enough pw")
        assert (session.tenant, session.role, client.token) == ("resell", "reseller_admin", session.token)
        me = await client.me()
        assert (me.kind, me.email, me.tenant) == ("user", "reseller@resell.test", "resell")
        assert "tenant.create" in me.permissions

        created = await client.tenants.create("shop-c", name="Shop C", parent="resell")
        assert (created.slug, created.kind, created.parent_slug) == ("shop-c", "workspace", "resell")
        assert [t.slug for t in await client.tenants.list()] == ["resell", "shop-a", "shop-b", "shop-c"]
        assert (await client.tenants.get("shop-c")).name == "Shop C"
        with pytest.raises(NotFoundError):
            await client.tenants.get("shop-x")
        with pytest.raises(ConflictError):
            await client.tenants.create("shop-a", parent="resell")

        user = await client.users.create(
            "new@shop-c.test", password="long enough pw", tenant="shop-c", role="workspace_agent"
        )
        assert [(m.tenant_slug, m.role) for m in user.memberships] == [("shop-c", "workspace_agent")]
        granted = await client.users.grant("new@shop-c.test", tenant="shop-c", role="workspace_admin")
        assert granted.role == "workspace_admin"
        assert {u.email for u in await client.users.list(tenant="shop-c")} == {"new@shop-c.test"}

        new_key = await client.api_keys.create("shop-c", "ci", role="workspace_admin")
        assert new_key.secret.startswith("ak_") and new_key.key.tenant_slug == "shop-c"
        assert [k.prefix for k in await client.api_keys.list("shop-c")] == [new_key.key.prefix]

        async with AimstorsClient(daemon.url, token=new_key.secret) as keyed:
            assert (await keyed.me()).kind == "api_key"
            assert (await keyed.balance()).tenant == "shop-c"  # the key's own tenant, found through me()
            assert keyed.tenant == "shop-c"
            revoked = await client.api_keys.revoke(new_key.key.prefix)
            assert revoked.revoked_at is not None
            with pytest.raises(AuthenticationError):
                await keyed.me()

        await client.users.revoke("new@shop-c.test", tenant="shop-c")
        assert await client.users.list(tenant="shop-c") == []


async def test_roles_and_sessions_are_enforced(daemon: Daemon) -> None:
    async with AimstorsClient(daemon.url) as agent:
        with pytest.raises(AuthenticationError) as wrong:
            await agent.login("agent@shop-a.test", "not the password")
        assert wrong.value.message == "wrong email or password"
        await agent.login("agent@shop-a.test", "long enough pw")
        with pytest.raises(Forbidden) as denied:
            await agent.tenants.create("mine")
        assert denied.value.code == "permission_denied" and "tenant.create" in denied.value.message
        await agent.logout_everywhere()
        with pytest.raises(AuthenticationError) as revoked:
            await agent.me()
        assert revoked.value.message == "token revoked"
