"""The storage layer: migrations match the models, and scopes isolate tenants."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aimstors.core.db import Database
from aimstors.core.db.base import Base
from aimstors.core.db.migrate import current_revision, head_revision, include_name, upgrade


async def test_migrations_produce_the_models_schema(db: Database) -> None:
    def diff(conn: object) -> list[object]:
        return compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), Base.metadata)  # type: ignore[arg-type]

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
    assert await current_revision(db) == head_revision()


async def test_upgrade_twice_changes_nothing(db: Database) -> None:
    await upgrade(db)
    assert await current_revision(db) == head_revision()
