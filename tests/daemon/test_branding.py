"""White-label branding: a verified custom domain resolves its tenant's brand (or the nearest one above it);
unknown or unverified hosts get the platform's brand; only a tenant's own admins change its brand and domains."""

from __future__ import annotations

import pytest

from aimstors.core import branding
from aimstors.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aimstors.core.security import Actor

from .conftest import Daemon


async def _brand(daemon: Daemon, host: str) -> dict[str, object]:
    async with daemon.client() as client:
        response = await client.get("/api/v1/branding", headers={"Host": host})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_hosts_resolve_to_brands(daemon: Daemon) -> None:
    db, system = daemon.services.db, Actor.system()
    await branding.set_branding(db, system, "resell", display_name="Resell Agency", primary_color="#112233",
                                logo_url="https://cdn.resell.test/logo.png")  # fmt: skip
    await branding.add_domain(db, system, "resell", "chat.resell.test")
    await branding.add_domain(db, system, "shop-a", "Inbox.Shop-A.test")
    await branding.add_domain(db, system, "shop-b", "pending.shop-b.test")  # never verified
    await branding.verify_domain(db, system, "chat.resell.test")
    await branding.verify_domain(db, system, "inbox.shop-a.test:443")

    agency = await _brand(daemon, "chat.resell.test")
    assert (agency["name"], agency["tenant"], agency["primary_color"]) == ("Resell Agency", "resell", "#112233")
    inherited = await _brand(daemon, "inbox.shop-a.test")  # shop-a has no brand: it wears its reseller's
    assert (inherited["name"], inherited["tenant"]) == ("Resell Agency", "resell")
    await branding.set_branding(db, system, "shop-a", display_name="Shop A")
    own = await _brand(daemon, "INBOX.shop-a.test:8443")
    assert (own["name"], own["tenant"]) == ("Shop A", "shop-a")
    for host in ["pending.shop-b.test", "unknown.example", "127.0.0.1:8080"]:
        fallback = await _brand(daemon, host)
        assert (fallback["name"], fallback["tenant"]) == ("aimstors", None)
    for odd in ["not a host", "", None, "[::1]:80"]:  # what a server in front might still pass through
        assert (await branding.resolve_branding(db, odd)).tenant is None


async def test_only_a_tenants_admins_change_its_brand_and_domains(daemon: Daemon) -> None:
    db, system = daemon.services.db, Actor.system()
    from aimstors.core.tenancy.actors import actor_for_user

    admin_a = await actor_for_user(db, "admin@shop-a.test")
    agent_a = await actor_for_user(db, "agent@shop-a.test")
    reseller = await actor_for_user(db, "reseller@resell.test")
    with pytest.raises(NotFound):
        await branding.set_branding(db, admin_a, "shop-b", display_name="Hijack")
    with pytest.raises(NotFound):
        await branding.add_domain(db, admin_a, "shop-x", "evil.test")
    with pytest.raises(PermissionDenied):
        await branding.set_branding(db, agent_a, "shop-a", display_name="Agent brand")
    with pytest.raises(InvalidInput):
        await branding.set_branding(db, admin_a, "shop-a", display_name="A", primary_color="red")
    with pytest.raises(InvalidInput):
        await branding.set_branding(db, admin_a, "shop-a", display_name="A", logo_url="http://insecure.test/l.png")
    await branding.add_domain(db, admin_a, "shop-a", "shop-a.test")
    with pytest.raises(Conflict):
        await branding.add_domain(db, reseller, "shop-b", "shop-a.test")  # a host belongs to one tenant
    with pytest.raises(PermissionDenied):  # verifying is the platform's job
        await branding.verify_domain(db, reseller, "shop-a.test")
    with pytest.raises(NotFound):
        await branding.list_domains(db, admin_a, "shop-b")
    assert [d.hostname for d in await branding.list_domains(db, admin_a, "shop-a")] == ["shop-a.test"]
    assert (await branding.verify_domain(db, system, "shop-a.test")).verified
