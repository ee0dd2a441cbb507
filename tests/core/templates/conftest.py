"""Template fixtures: the sandbox standing in for Meta (over real HTTP, on its own thread), and two workspaces each
connected to their own WABA through it.

platform
├── shop-a   workspace   WABA_A (token-a), admin@shop-a.test, agent@shop-a.test
└── shop-b   workspace   WABA_B (token-b), admin@shop-b.test
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from aimstors.core import whatsapp_accounts
from aimstors.core.db import Scope
from aimstors.core.db.models import Template, Tenant
from aimstors.core.security import Actor, Role
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants, users
from aimstors.core.tenancy.actors import actor_for_user
from aimstors.sandbox import (
    AccountConfig,
    PhoneNumberConfig,
    RunningSandbox,
    SandboxConfig,
    SandboxRemote,
    SandboxThread,
)

WABA_A, WABA_B = "100000000000001", "100000000000002"
PNID_A, PNID_B = "200000000000001", "200000000000002"
TOKEN_A, TOKEN_B = "token-a", "token-b"

SANDBOX_CONFIG = SandboxConfig(
    accounts=(
        AccountConfig(
            waba_id=WABA_A,
            tokens=(TOKEN_A,),
            phone_numbers=(PhoneNumberConfig(phone_number_id=PNID_A, display_phone_number="+1 555-010-0001"),),
        ),
        AccountConfig(
            waba_id=WABA_B,
            tokens=(TOKEN_B,),
            phone_numbers=(PhoneNumberConfig(phone_number_id=PNID_B, display_phone_number="+1 555-010-0002"),),
        ),
    ),
    templates=(),
    seed=7,
)


@pytest.fixture(scope="session")
def meta_sandbox() -> Iterator[RunningSandbox]:
    """One sandbox for the session (its own thread and loop); each test starts from a reset."""
    with SandboxThread(SANDBOX_CONFIG) as running:
        yield running


@pytest.fixture
async def remote(meta_sandbox: RunningSandbox) -> AsyncIterator[SandboxRemote]:
    async with SandboxRemote(meta_sandbox.base_url) as client:
        await client.reset()
        yield client


@dataclass
class World:
    services: Services
    remote: SandboxRemote
    system: Actor

    async def actor(self, email: str) -> Actor:
        return await actor_for_user(self.services.db, email)

    async def rows(self, slug: str = "shop-a") -> list[Template]:
        """The workspace's template rows, straight from the database (what the services wrote)."""
        async with self.services.db.session(Scope.system()) as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
            return list(
                await session.scalars(
                    select(Template).where(Template.tenant_id == tenant_id).order_by(Template.name, Template.language)
                )
            )

    async def at_meta(self, waba_id: str = WABA_A) -> list[dict[str, Any]]:
        return [t for t in await self.remote.templates() if t["waba_id"] == waba_id]


@pytest.fixture
async def world(settings: Settings, remote: SandboxRemote, meta_sandbox: RunningSandbox) -> AsyncIterator[World]:
    services = build(dataclasses.replace(settings, meta_graph_url=meta_sandbox.base_url))
    system = Actor.system()
    db = services.db
    await initialise(db, admin_email="root@example.com", admin_password="long enough pw")
    for slug in ("shop-a", "shop-b"):
        await tenants.create_tenant(db, system, slug=slug)
    people = [
        ("admin@shop-a.test", "shop-a", Role.WORKSPACE_ADMIN),
        ("agent@shop-a.test", "shop-a", Role.WORKSPACE_AGENT),
        ("admin@shop-b.test", "shop-b", Role.WORKSPACE_ADMIN),
    ]
    for email, slug, role in people:
        await users.create_user(db, system, email=email, password="long enough pw", tenant_slug=slug, role=role)
    for slug, waba, token, pnid in (("shop-a", WABA_A, TOKEN_A, PNID_A), ("shop-b", WABA_B, TOKEN_B, PNID_B)):
        await whatsapp_accounts.connect_account(
            services, system, tenant_slug=slug, waba_id=waba, access_token=token, phone_number_ids=[pnid]
        )
    try:
        yield World(services, remote, system)
    finally:
        await services.close()


def order_update(**changes: Any) -> dict[str, Any]:
    """A good UTILITY definition (Meta's docs' order confirmation, with a URL button)."""
    definition: dict[str, Any] = {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1234"]}},
            {
                "type": "BODY",
                "text": "Thank you for your order, {{1}}! Your order number is {{2}}. We will write when it ships.",
                "example": {"body_text": [["Pablo", "860198-230332"]]},
            },
            {"type": "FOOTER", "text": "Lucky Shrub"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Track", "url": "https://shop.example/track/{{1}}", "example": ["A1B2"]},
                    {"type": "QUICK_REPLY", "text": "Stop updates"},
                ],
            },
        ],
    }
    definition.update(changes)
    return definition
