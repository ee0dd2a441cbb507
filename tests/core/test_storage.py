"""The storage layer: migrations match the models, and scopes isolate tenants."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aimstors.core.db import Database, Scope
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


async def test_database_errors_never_carry_the_values(db: Database) -> None:
    """A failed statement's error names the SQL, never its parameters (phone numbers, bodies, tokens)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from aimstors.core.db import Scope

    with pytest.raises(IntegrityError) as caught:
        async with db.session(Scope.system(), write=True) as session:
            await session.execute(
                text(
                    "INSERT INTO contacts (tenant_id, wa_id, attributes, created_at, updated_at) "
                    "VALUES (:t, :w, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"t": 987654, "w": "16505550199"},  # no such tenant: a foreign-key violation
            )
    assert "16505550199" not in str(caught.value)


@pytest.mark.sqlite_only
async def test_write_transactions_of_one_process_take_turns_instead_of_meeting_sqlites_lock(db: Database) -> None:
    order: list[str] = []
    first_in = asyncio.Event()

    async def writer(name: str, hold: float) -> None:
        async with db.connect(Scope.system(), write=True):
            order.append(f"{name} in")
            first_in.set()
            await asyncio.sleep(hold)
            async with db.write_turn():  # the same task already has the turn: no waiting for itself
                order.append(f"{name} nested")
            order.append(f"{name} out")

    first = asyncio.create_task(writer("a", 0.2))
    await first_in.wait()
    await asyncio.gather(first, writer("b", 0))
    assert order == ["a in", "a nested", "a out", "b in", "b nested", "b out"]


@pytest.mark.sqlite_only
async def test_an_urgent_write_turn_goes_before_waiting_ordinary_ones_and_a_cancelled_waiter_loses_nothing(
    db: Database,
) -> None:
    """The webhook ingest (urgent) commits before inbound processing that queued earlier (ordinary)."""
    order: list[str] = []
    held, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.write_turn():
            held.set()
            await release.wait()

    async def writer(name: str, *, urgent: bool = False) -> None:
        async with db.write_turn(urgent=urgent):
            order.append(name)

    first = asyncio.create_task(holder())
    await held.wait()
    waiting = [asyncio.create_task(writer("processing 1")), asyncio.create_task(writer("gone"))]
    waiting += [asyncio.create_task(writer("processing 2")), asyncio.create_task(writer("ingest", urgent=True))]
    await asyncio.sleep(0.01)  # all four are queued
    waiting[1].cancel()  # a caller that went away
    release.set()
    await asyncio.gather(first, *waiting, return_exceptions=True)
    assert order == ["ingest", "processing 1", "processing 2"]
    async with asyncio.timeout(5):
        await writer("after")  # the turn is free again
    assert order[-1] == "after"
