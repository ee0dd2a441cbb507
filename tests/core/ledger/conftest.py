"""A tenant tree for ledger tests, made by inserting tenant rows directly.

platform (/1/)
├── reseller        /1/r/
│   ├── ws_a        /1/r/a/
│   └── ws_b        /1/r/b/
└── other_reseller  /1/o/
    └── other_ws    /1/o/x/
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.ledger import tables as t


@dataclass(frozen=True)
class Tree:
    root: int
    reseller: int
    ws_a: int
    ws_b: int
    other_reseller: int
    other_ws: int

    @property
    def all(self) -> tuple[int, ...]:
        return (self.root, self.reseller, self.ws_a, self.ws_b, self.other_reseller, self.other_ws)


async def _add(conn: AsyncConnection, parent: tuple[int, str] | None, kind: str, slug: str) -> tuple[int, str]:
    tenant_id = (
        await conn.execute(
            insert(t.tenants)
            .values(parent_id=parent[0] if parent else None, kind=kind, slug=slug, name=slug, path="/")
            .returning(t.tenants.c.id)
        )
    ).scalar_one()
    path = f"{parent[1] if parent else '/'}{tenant_id}/"
    await conn.execute(update(t.tenants).where(t.tenants.c.id == tenant_id).values(path=path))
    return tenant_id, path


async def make_tree(db: Database) -> Tree:
    """A fresh reseller/workspace tree under the platform root (created on first use)."""
    tag = uuid.uuid4().hex[:8]
    async with db.connect(Scope.system(), write=True) as conn:
        found = (
            await conn.execute(select(t.tenants.c.id, t.tenants.c.path).where(t.tenants.c.kind == "platform"))
        ).first()
        root = (found.id, found.path) if found else await _add(conn, None, "platform", f"platform-{tag}")
        reseller = await _add(conn, root, "reseller", f"resell-{tag}")
        ws_a = await _add(conn, reseller, "workspace", f"shop-a-{tag}")
        ws_b = await _add(conn, reseller, "workspace", f"shop-b-{tag}")
        other = await _add(conn, root, "reseller", f"other-{tag}")
        other_ws = await _add(conn, other, "workspace", f"shop-x-{tag}")
    return Tree(root[0], reseller[0], ws_a[0], ws_b[0], other[0], other_ws[0])


async def ledger_row_counts(db: Database) -> tuple[int, int, int]:
    """(transactions, entries, checkpoints): to show a refused operation wrote nothing."""
    async with db.connect(Scope.system()) as conn:
        counts = []
        for table in (t.transactions, t.entries, t.checkpoints):
            counts.append((await conn.execute(select(func.count()).select_from(table))).scalar_one())
    return counts[0], counts[1], counts[2]


@pytest.fixture
async def tree(db: Database) -> Tree:
    return await make_tree(db)
