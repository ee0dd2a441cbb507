"""Monthly range partitions of the unbounded logs on Postgres (DESIGN §2).

``ensure_partitions`` creates this month's partition and ``months_ahead`` more; rows that already landed in the
DEFAULT partition for such a month are moved into it in the same transaction. ``detach_before`` detaches whole
months older than a cut-off, for retention (the detached tables are left for the operator to archive or drop).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db.models import PARTITIONED_TABLES

__all__ = ["Partition", "detach_before", "ensure_partitions", "list_partitions"]


@dataclass(frozen=True, slots=True)
class Partition:
    table: str
    name: str
    start: dt.date | None  # None for the DEFAULT partition
    end: dt.date | None


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y_%m}"


async def list_partitions(conn: AsyncConnection) -> list[Partition]:
    rows = await conn.execute(
        text("""
        SELECT parent.relname, child.relname, pg_get_expr(child.relpartbound, child.oid)
        FROM pg_inherits
        JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
        JOIN pg_class child ON child.oid = pg_inherits.inhrelid
        JOIN pg_namespace ns ON ns.oid = parent.relnamespace AND ns.nspname = current_schema()
        WHERE parent.relname = ANY(:tables)
        ORDER BY parent.relname, child.relname
    """),
        {"tables": list(PARTITIONED_TABLES)},
    )
    out: list[Partition] = []
    for table, name, bound in rows:
        if bound == "DEFAULT":
            out.append(Partition(table, name, None, None))
            continue
        # FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')
        parts = bound.split("'")
        start = dt.date.fromisoformat(parts[1][:10])
        end = dt.date.fromisoformat(parts[3][:10])
        out.append(Partition(table, name, start, end))
    return out


async def ensure_partitions(conn: AsyncConnection, *, today: dt.date | None = None, months_ahead: int = 3) -> list[str]:
    """Create missing monthly partitions from this month to ``months_ahead`` months on; returns those created."""
    today = today or dt.datetime.now(dt.UTC).date()
    existing = {p.name for p in await list_partitions(conn)}
    created: list[str] = []
    await conn.execute(text("SELECT set_config('aimstors.tenant_ids', '*', true)"))
    for table, column in PARTITIONED_TABLES.items():
        month = _month_start(today)
        for _ in range(months_ahead + 1):
            end = _next_month(month)
            name = partition_name(table, month)
            if name not in existing:
                await _create_partition(conn, table, column, name, month, end)
                created.append(name)
            month = end
    return created


async def _create_partition(
    conn: AsyncConnection, table: str, column: str, name: str, start: dt.date, end: dt.date
) -> None:
    lo = dt.datetime.combine(start, dt.time(), dt.UTC)
    hi = dt.datetime.combine(end, dt.time(), dt.UTC)
    bounds = {"start": lo, "end": hi}
    spec = f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
    default = f"{table}_default"
    stray = await conn.scalar(
        text(f"SELECT count(*) FROM {default} WHERE {column} >= :start AND {column} < :end"),
        bounds,
    )
    if stray:
        # Rows for this month landed in DEFAULT: move them into the new partition atomically.
        await conn.execute(text(f"ALTER TABLE {table} DETACH PARTITION {default}"))
        await conn.execute(text(f"CREATE TABLE {name} PARTITION OF {table} {spec}"))
        await conn.execute(
            text(f"INSERT INTO {table} SELECT * FROM {default} WHERE {column} >= :start AND {column} < :end"),
            bounds,
        )
        await conn.execute(text(f"DELETE FROM {default} WHERE {column} >= :start AND {column} < :end"), bounds)
        await conn.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {default} DEFAULT"))
    else:
        await conn.execute(text(f"CREATE TABLE {name} PARTITION OF {table} {spec}"))


async def detach_before(conn: AsyncConnection, cutoff: dt.date) -> list[str]:
    """Detach monthly partitions that end on or before ``cutoff``; returns their names (tables are kept)."""
    detached: list[str] = []
    for part in await list_partitions(conn):
        if part.end is not None and part.end <= cutoff:
            await conn.execute(text(f"ALTER TABLE {part.table} DETACH PARTITION {part.name}"))
            detached.append(part.name)
    return detached
