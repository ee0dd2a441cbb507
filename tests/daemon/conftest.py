"""Daemon fixtures: the real app from ``create_app`` served by uvicorn on a loopback port, and httpx clients."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from litestar import Litestar

from aimstors.core.security import Actor, Role
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants, users
from aimstors.daemon import server as daemon_server
from aimstors.daemon.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve(app: Litestar, *, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (on ``port``, or a free one) in this event loop; yields the base URL."""
    port = port or free_port()
    server = uvicorn.Server(daemon_server.config(app, host="127.0.0.1", port=port))  # as `aimstors serve` runs it
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Daemon:
    url: str
    services: Services
    settings: Settings

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)

    async def login(self, email: str, password: str = "long enough pw", tenant: str | None = None) -> str:
        async with self.client() as client:
            body = {"email": email, "password": password} | ({"tenant": tenant} if tenant else {})
            response = await client.post("/api/v1/auth/login", json=body)
            assert response.status_code == 200, response.text
            token: str = response.json()["token"]
            return token


PEOPLE = [
    ("reseller@resell.test", "resell", Role.RESELLER_ADMIN),
    ("admin@shop-a.test", "shop-a", Role.WORKSPACE_ADMIN),
    ("agent@shop-a.test", "shop-a", Role.WORKSPACE_AGENT),
    ("admin@shop-b.test", "shop-b", Role.WORKSPACE_ADMIN),
    ("admin@shop-x.test", "shop-x", Role.WORKSPACE_ADMIN),
]


@pytest.fixture
async def daemon(settings: Settings) -> AsyncIterator[Daemon]:
    """A running daemon over a tenant tree: platform → resell → shop-a, shop-b; platform → other → shop-x."""
    services = build(settings)
    system = Actor.system()
    await initialise(services.db, admin_email="root@example.com", admin_password="long enough pw")
    await tenants.create_tenant(services.db, system, slug="resell", kind="reseller")
    await tenants.create_tenant(services.db, system, slug="other", kind="reseller")
    for slug, parent in [("shop-a", "resell"), ("shop-b", "resell"), ("shop-x", "other")]:
        await tenants.create_tenant(services.db, system, slug=slug, parent_slug=parent)
    for email, slug, role in PEOPLE:
        await users.create_user(
            services.db, system, email=email, password="long enough pw", tenant_slug=slug, role=role
        )
    app = create_app(settings, services=services)
    try:
        async with serve(app) as url:
            yield Daemon(url, services, settings)
    finally:
        await services.close()
