"""A small tenant tree for tenancy tests.

platform (/1/)
├── default        workspace
├── resell         reseller
│   ├── shop-a     workspace
│   └── shop-b     workspace
└── other          reseller
    └── shop-x     workspace
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from aimstors.core.db import Database
from aimstors.core.security import Actor, Role
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants, users
from aimstors.core.tenancy.actors import actor_for_user


@dataclass
class Tree:
    db: Database
    system: Actor

    async def actor(self, email: str) -> Actor:
        return await actor_for_user(self.db, email)


@pytest.fixture
async def tree(db: Database) -> Tree:
    system = Actor.system()
    await initialise(db, admin_email="root@example.com", admin_password="correct horse battery")
    await tenants.create_tenant(db, system, slug="resell", kind="reseller")
    await tenants.create_tenant(db, system, slug="other", kind="reseller")
    for slug, parent in [("shop-a", "resell"), ("shop-b", "resell"), ("shop-x", "other")]:
        await tenants.create_tenant(db, system, slug=slug, parent_slug=parent)
    people = [
        ("reseller@resell.test", "resell", Role.RESELLER_ADMIN),
        ("admin@shop-a.test", "shop-a", Role.WORKSPACE_ADMIN),
        ("agent@shop-a.test", "shop-a", Role.WORKSPACE_AGENT),
        ("admin@shop-b.test", "shop-b", Role.WORKSPACE_ADMIN),
        ("admin@shop-x.test", "shop-x", Role.WORKSPACE_ADMIN),
    ]
    for email, slug, role in people:
        await users.create_user(db, system, email=email, password="long enough pw", tenant_slug=slug, role=role)
    return Tree(db, system)
