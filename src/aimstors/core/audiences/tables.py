"""Audiences read from a table at send time: a CSV file or a Google Sheet range.

Rows are mapped exactly as a contact import maps them (:class:`~aimstors.core.contacts.row_mapping.RowMapper`):
a row without a usable number is counted as invalid and skipped; a number seen earlier in the table is skipped as
a repeat. Each batch of numbers is matched with the workspace's contacts in one query, so suppression (opt-out,
marketing limit) applies, and a row's columns overlay the contact's attributes. A number that is not a contact
is still a recipient (``contact_id`` None). Nothing is written.

A CSV file that cannot be read (bad bytes, an unterminated quote, no phone column) raises MalformedCsv: a broken
file stops the send rather than sending to part of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from aimstors.core.audiences.definitions import CsvFileRules, SheetRules
from aimstors.core.audiences.recipients import Recipient, suppression_reason
from aimstors.core.audiences.stored import Connect
from aimstors.core.contacts.csv_source import CsvReader
from aimstors.core.contacts.row_mapping import MappedRow, RowMapper, RowRejected
from aimstors.core.db.models import Contact
from aimstors.core.errors import ConfigError
from aimstors.core.google.sheets import GoogleSheets

__all__ = ["TableStats", "csv_rows", "sheet_rows", "table_recipients"]


@dataclass(slots=True)
class TableStats:
    """Running counts while a table is resolved (see AudienceCount)."""

    matched: int = 0
    opted_out: int = 0
    marketing_limited: int = 0
    invalid: int = 0


async def csv_rows(rules: CsvFileRules, batch_size: int, stats: TableStats) -> AsyncIterator[list[MappedRow]]:
    """The valid rows of the file, a batch at a time (parsed in a worker thread)."""
    reader = CsvReader(Path(rules.path), rules.csv_format)
    await asyncio.to_thread(reader.__enter__)
    try:
        mapper = RowMapper(reader.header, rules.mapping.column_mapping(), header_line=reader.header_line)

        def read() -> list[MappedRow] | None:
            records = reader.read_batch(batch_size)
            if not records:
                return None
            rows = []
            for line, fields in records:
                try:
                    rows.append(mapper.map(line, fields))
                except RowRejected:
                    stats.invalid += 1
            return rows

        while (batch := await asyncio.to_thread(read)) is not None:
            yield batch
    finally:
        reader.close()


async def sheet_rows(
    sheets: GoogleSheets | None, tenant_id: int, rules: SheetRules, batch_size: int, stats: TableStats
) -> AsyncIterator[list[MappedRow]]:
    """The valid rows of the sheet range (its first row names the columns), a batch at a time."""
    if sheets is None:
        raise ConfigError("resolving a Google Sheet audience needs a Sheets client (GoogleSheets.from_services)")
    values = await sheets.values(tenant_id, rules.spreadsheet_id, rules.range, integration=rules.integration)
    if not values:
        return
    mapper = RowMapper(values[0], rules.mapping.column_mapping(), header_line=1, pad_short_rows=True)
    for start in range(1, len(values), batch_size):
        rows = []
        for offset, fields in enumerate(values[start : start + batch_size]):
            if not any(cell.strip() for cell in fields):
                continue
            try:
                rows.append(mapper.map(start + offset + 1, fields))
            except RowRejected:
                stats.invalid += 1
        yield rows


async def table_recipients(
    connect: Connect,
    tenant_id: int,
    rows: AsyncIterator[list[MappedRow]],
    stats: TableStats,
    *,
    now: dt.datetime,
    marketing_limited: bool,
) -> AsyncIterator[list[Recipient]]:
    """Recipients for ``rows``: repeats dropped, contacts matched, suppressed ones counted and left out."""
    seen: set[int] = set()  # numbers as ints: a million of them is ~60 MB, not ~110 MB as strings
    async for batch in rows:
        fresh: dict[str, MappedRow] = {}
        for row in batch:
            key = int(row.wa_id)
            if key not in seen:
                seen.add(key)
                fresh[row.wa_id] = row
        if not fresh:
            continue
        stats.matched += len(fresh)
        stmt = select(
            Contact.id, Contact.wa_id, Contact.attributes, Contact.profile_name, Contact.opted_out_at,
            Contact.marketing_limited_until,
        ).where(Contact.tenant_id == tenant_id, Contact.wa_id.in_(list(fresh)))  # fmt: skip
        async with connect() as conn:
            contacts = {c.wa_id: c for c in await conn.execute(stmt)}
        recipients = []
        for wa_id, row in fresh.items():
            contact = contacts.get(wa_id)
            if contact is None:
                recipients.append(Recipient(None, wa_id, dict(row.attributes), row.name))
                continue
            reason = suppression_reason(
                contact.opted_out_at, contact.marketing_limited_until, now, marketing_limited=marketing_limited
            )
            if reason == "opted_out":
                stats.opted_out += 1
            elif reason == "marketing_limited":
                stats.marketing_limited += 1
            else:
                attributes = {**(contact.attributes or {}), **row.attributes}
                recipients.append(Recipient(contact.id, wa_id, attributes, row.name or contact.profile_name))
        if recipients:
            yield recipients
