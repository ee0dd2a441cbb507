"""Postgres row-level security: a query that forgets its tenant filter still sees only its own tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aimstors.core.db import Database, Scope
from aimstors.core.security import Actor
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two_tenants(pg_url: str) -> tuple[Database, int, int]:
    db = Database(pg_url)
    await initialise(db, admin_email="root@example.com", admin_password="long enough pw")
    a = await tenants.create_tenant(db, Actor.system(), slug="tenant-a")
    b = await tenants.create_tenant(db, Actor.system(), slug="tenant-b")
    async with db.session(Scope.system(), write=True) as s:
        for tenant_id, wa_id in [(a.id, "15550000001"), (a.id, "15550000002"), (b.id, "15550000003")]:
            await s.execute(
                text(
                    "INSERT INTO contacts (tenant_id, wa_id, attributes, created_at, updated_at) "
                    "VALUES (:t, :w, '{}', now(), now())"
                ),
                {"t": tenant_id, "w": wa_id},
            )
    yield db, a.id, b.id
    await db.dispose()


async def test_unfiltered_select_sees_only_the_scope(two_tenants: tuple[Database, int, int]) -> None:
    db, a, _b = two_tenants
    async with db.session(Scope.tenant(a)) as s:
        rows = (await s.execute(text("SELECT tenant_id FROM contacts"))).scalars().all()
        tenant_rows = (await s.execute(text("SELECT id FROM tenants"))).scalars().all()
    assert sorted(set(rows)) == [a] and len(rows) == 2
    assert tenant_rows == [a]
    async with db.session(Scope.system()) as s:
        assert (await s.execute(text("SELECT count(*) FROM contacts"))).scalar() == 3


async def test_unfiltered_update_and_delete_touch_only_the_scope(
    two_tenants: tuple[Database, int, int],
) -> None:
    db, a, b = two_tenants
    async with db.session(Scope.tenant(a), write=True) as s:
        updated = await s.execute(text("UPDATE contacts SET profile_name = 'pwned'"))
        deleted = await s.execute(text("DELETE FROM contacts WHERE wa_id = '15550000003'"))
    assert updated.rowcount == 2 and deleted.rowcount == 0
    async with db.session(Scope.tenant(b)) as s:
        names = (await s.execute(text("SELECT profile_name FROM contacts"))).scalars().all()
    assert names == [None]


async def test_cannot_write_a_row_into_another_tenant(two_tenants: tuple[Database, int, int]) -> None:
    db, a, b = two_tenants
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.session(Scope.tenant(a), write=True) as s:
            await s.execute(
                text(
                    "INSERT INTO contacts (tenant_id, wa_id, attributes, created_at, updated_at) "
                    "VALUES (:t, '15550000009', '{}', now(), now())"
                ),
                {"t": b},
            )
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.session(Scope.tenant(a), write=True) as s:
            await s.execute(text("UPDATE contacts SET tenant_id = :b"), {"b": b})


async def test_no_scope_set_sees_nothing(two_tenants: tuple[Database, int, int]) -> None:
    """A connection that switches to the application role but never sets a scope sees no tenant rows."""
    db, _a, _b = two_tenants
    async with db.engine.begin() as conn:
        await conn.execute(text("SET LOCAL ROLE aimstors_app"))
        assert (await conn.execute(text("SELECT count(*) FROM contacts"))).scalar() == 0
