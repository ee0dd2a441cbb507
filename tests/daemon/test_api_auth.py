"""Authentication and tenant guards of the REST API, over real HTTP."""

from __future__ import annotations

import pytest

from .conftest import Daemon


async def test_health_and_readiness(daemon: Daemon) -> None:
    async with daemon.client() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
        assert "aimstors_http_requests_total" in (await client.get("/metrics")).text
        assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_login_then_me(daemon: Daemon) -> None:
    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as client:
        me = (await client.get("/api/v1/me")).json()
    assert (me["email"], me["role"], me["tenant"]) == ("admin@shop-a.test", "workspace_admin", "shop-a")
    assert "campaign.send" in me["permissions"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nonsense"}, 401),
        ({"Authorization": "Bearer ak_abcdefgh_x"}, 401),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, 401),
    ],
)
async def test_bad_credentials_get_one_error_envelope(daemon: Daemon, headers: dict[str, str], status: int) -> None:
    async with daemon.client() as client:
        response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == "authentication_failed"


async def test_wrong_password_is_refused(daemon: Daemon) -> None:
    async with daemon.client() as client:
        response = await client.post("/api/v1/auth/login", json={"email": "admin@shop-a.test", "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "authentication_failed", "message": "wrong email or password"}}


async def test_logout_everywhere_revokes_old_tokens(daemon: Daemon) -> None:
    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as client:
        assert (await client.post("/api/v1/auth/logout-everywhere")).status_code == 200
        again = await client.get("/api/v1/me")
    assert again.status_code == 401 and again.json()["error"]["message"] == "token revoked"


async def test_api_key_as_bearer(daemon: Daemon) -> None:
    token = await daemon.login("admin@shop-a.test")
    async with daemon.client(token) as client:
        created = (await client.post("/api/v1/tenants/shop-a/api-keys", json={"name": "script"})).json()
    async with daemon.client(created["secret"]) as client:
        me = (await client.get("/api/v1/me")).json()
        assert (me["kind"], me["role"], me["tenant"]) == ("api_key", "workspace_agent", "shop-a")
        assert (await client.post("/api/v1/tenants", json={"slug": "x"})).status_code == 403


async def test_unknown_fields_and_bad_bodies_are_rejected(daemon: Daemon) -> None:
    token = await daemon.login("reseller@resell.test")
    async with daemon.client(token) as client:
        response = await client.post("/api/v1/tenants", json={"slug": "new", "owner": "me"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
        assert (await client.post("/api/v1/tenants", content=b"{not json")).status_code == 400
        names = [t["slug"] for t in (await client.get("/api/v1/tenants")).json()]
    assert "new" not in names
