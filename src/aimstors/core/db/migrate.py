"""Programmatic Alembic: ``upgrade``, ``current`` and ``head`` for either dialect, from the async engine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from aimstors.core.db.engine import Database

__all__ = ["current_revision", "head_revision", "include_name", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")


_PARTITION_SUFFIX = re.compile(r"_(p\d{4}_\d{2}|default)$")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave monthly partitions (``messages_p2026_11``, ``messages_default``) out of schema comparison."""
    return not (type_ == "table" and name is not None and _PARTITION_SUFFIX.search(name))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def upgrade(db: Database, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent: an up-to-date database is left as it is)."""

    def run(conn: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)
    if not db.is_sqlite:
        from aimstors.core.db.partitions import ensure_partitions

        async with db.engine.begin() as conn:
            await ensure_partitions(conn)


async def current_revision(db: Database) -> str | None:
    def run(conn: Connection) -> Any:
        return MigrationContext.configure(conn).get_current_revision()

    async with db.engine.connect() as conn:
        result: str | None = await conn.run_sync(run)
        return result
