"""Writing imported rows, a batch at a time, with Core upserts inside the import's one transaction.

Per batch: rows repeating a number are merged (later names and attributes win, tags add up); the batch's
existing contacts are read (locked on Postgres) so attributes merge through the same checks as every other
writer; then one ``INSERT … ON CONFLICT (tenant_id, wa_id) DO UPDATE`` writes them all, and tags and audience
memberships follow with ``ON CONFLICT DO NOTHING``. Opt-out columns are never written, so an opted-out contact
stays opted out however often it is imported.

A contact this import already wrote carries the import's exact ``updated_at``; meeting it again counts as a
duplicate row of the file, not as an update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from sqlalchemy import Select, String, Table, bindparam, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.contacts.attributes import merge_attributes
from aimstors.core.contacts.row_mapping import MappedRow
from aimstors.core.db.models import AudienceMember, Contact, ContactTag
from aimstors.core.errors import InvalidInput

__all__ = ["BatchOutcome", "ContactWriter", "dialect_insert"]

CONTACTS: Final = cast(Table, Contact.__table__)
TAGS: Final = cast(Table, ContactTag.__table__)
MEMBERS: Final = cast(Table, AudienceMember.__table__)
_c = CONTACTS.c


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    """``INSERT`` with the dialect's ``ON CONFLICT`` clauses (Postgres or SQLite)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


@dataclass(slots=True)
class BatchOutcome:
    """Counts for one batch; ``rejected`` holds (line, reason) of rows left out (with ``skip_invalid``)."""

    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    opted_out: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    line: int
    name: str | None
    attributes: dict[str, str]
    tags: list[str]


def _merge_batch(rows: Sequence[MappedRow]) -> tuple[dict[str, _Pending], int]:
    pending: dict[str, _Pending] = {}
    duplicates = 0
    for row in rows:
        seen = pending.get(row.wa_id)
        if seen is None:
            pending[row.wa_id] = _Pending(row.line, row.name, dict(row.attributes), list(row.tags))
            continue
        duplicates += 1
        seen.name = row.name or seen.name
        seen.attributes.update(row.attributes)
        seen.tags.extend(t for t in row.tags if t not in seen.tags)
    return pending, duplicates


class ContactWriter:
    """Writes batches of mapped rows for one tenant in the caller's transaction.

    ``now`` must be unique to this import (it marks the rows it wrote); ``audience_id`` adds every imported
    contact to that static audience.
    """

    def __init__(self, conn: AsyncConnection, tenant_id: int, now: dt.datetime, audience_id: int | None = None):
        self.conn = conn
        self.tenant_id = tenant_id
        self.now = now
        self.audience_id = audience_id

    async def write(self, rows: Sequence[MappedRow], *, skip_invalid: bool) -> BatchOutcome:
        """Upsert ``rows``. A row whose merged attributes break a limit raises InvalidInput naming its line, or is
        rejected when ``skip_invalid``."""
        pending, duplicates = _merge_batch(rows)
        outcome = BatchOutcome(duplicates=duplicates)
        if not pending:
            return outcome
        existing = {r.wa_id: r for r in await self.conn.execute(self._existing(list(pending)))}
        values: list[dict[str, Any]] = []
        tags: dict[str, list[str]] = {}
        for wa_id, row in pending.items():
            found = existing.get(wa_id)
            current = (found.attributes or {}) if found is not None else {}
            try:
                attributes, _ = merge_attributes(current, row.attributes)
            except InvalidInput as exc:
                if not skip_invalid:
                    raise InvalidInput(f"line {row.line}: {exc.message}; nothing was imported") from None
                outcome.rejected.append((row.line, exc.message))
                continue
            if found is None:
                outcome.inserted += 1
            elif found.updated_at == self.now:
                outcome.duplicates += 1
            else:
                outcome.updated += 1
                outcome.opted_out += found.opted_out_at is not None
            values.append(
                {"tenant_id": self.tenant_id, "wa_id": wa_id, "profile_name": row.name, "attributes": attributes,
                 "created_at": self.now, "updated_at": self.now}
            )  # fmt: skip
            if row.tags:
                tags[wa_id] = row.tags
        if values:
            await self._upsert(values, tags)
        return outcome

    def _existing(self, wa_ids: list[str]) -> Select[Any]:
        """The batch's existing contacts, locked (Postgres) against concurrent changes until the import commits."""
        columns = (_c.wa_id, _c.attributes, _c.opted_out_at, _c.updated_at)
        if self.conn.dialect.name != "postgresql":
            return select(*columns).where(_c.tenant_id == self.tenant_id, _c.wa_id.in_(wa_ids))
        # One unique-index probe per number. The planner cannot misjudge it, unlike `wa_id IN (…)`, which on rows
        # this transaction inserted (no statistics yet) scans the tenant's whole index: quadratic over an import.
        wanted = func.unnest(bindparam("wa_ids", wa_ids, type_=postgresql.ARRAY(String)))
        keys = wanted.table_valued("wa_id").render_derived(name="wanted")
        probe = (
            select(*columns)
            .where(_c.tenant_id == self.tenant_id, _c.wa_id == keys.c.wa_id)
            .with_for_update()
            .lateral("found")
        )
        return select(*probe.c).select_from(keys.join(probe, true()))

    async def _upsert(self, values: list[dict[str, Any]], tags: dict[str, list[str]]) -> None:
        stmt = dialect_insert(self.conn, CONTACTS)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_c.tenant_id, _c.wa_id],
            set_={
                "profile_name": func.coalesce(stmt.excluded.profile_name, _c.profile_name),
                "attributes": stmt.excluded.attributes,
                "updated_at": stmt.excluded.updated_at,
            },
        ).returning(_c.id, _c.wa_id)
        ids = {wa_id: contact_id for contact_id, wa_id in (await self.conn.execute(stmt, values)).all()}
        tag_rows = [
            {"tenant_id": self.tenant_id, "contact_id": ids[wa_id], "tag": tag}
            for wa_id, names in tags.items()
            for tag in names
        ]
        if tag_rows:
            insert_tags = dialect_insert(self.conn, TAGS).on_conflict_do_nothing()
            await self.conn.execute(insert_tags, tag_rows)
        if self.audience_id is not None:
            members = [
                {"tenant_id": self.tenant_id, "audience_id": self.audience_id, "contact_id": i, "added_at": self.now}
                for i in ids.values()
            ]
            await self.conn.execute(dialect_insert(self.conn, MEMBERS).on_conflict_do_nothing(), members)
