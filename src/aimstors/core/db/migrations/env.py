"""Alembic environment: runs migrations on the connection handed over by ``aimstors.core.db.migrate``."""

from __future__ import annotations

from typing import Any

from alembic import context

from aimstors.core.db import models  # noqa: F401  (registers every table)
from aimstors.core.db.base import Base, UTCDateTime
from aimstors.core.db.migrate import include_name

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types as plain SQLAlchemy types, so migrations never import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Data migrations run in the system scope (row-level security would hide every row otherwise).
            connection.exec_driver_sql("SELECT set_config('aimstors.tenant_ids', '*', true)")
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `aimstors db upgrade`")
run_migrations_online()
