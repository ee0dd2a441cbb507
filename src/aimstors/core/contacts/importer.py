"""Importing contacts from a CSV file: mapped, normalised, deduplicated, all or nothing, streamed.

By default an import is all or nothing, in two streaming passes. The first reads the whole file and checks every
row without touching the database; one bad row stops the import there (:class:`CsvRowsInvalid` names the first,
the rejects file lists them all) and nothing is written. The second pass writes in batches (Core upserts, see
:mod:`~aimstors.core.contacts.import_writer`) inside one transaction, so a failure half-way rolls everything back.
With ``skip_invalid`` there is one pass that writes the valid rows and reports the rest.

A file that cannot be read as CSV (bad bytes for its encoding, an unterminated quote, no phone column) is an error
naming the line in either mode, and changes nothing. Parsing and phone normalisation run in a worker thread a
batch at a time, so neither the event loop nor memory holds more than one batch.

On SQLite the import holds the write lock for its whole transaction: other writers wait (up to the busy timeout),
so import very large files while the daemon is quiet, or on Postgres.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.contacts.csv_source import CsvFormat, CsvReader
from aimstors.core.contacts.directory import contact_tenant
from aimstors.core.contacts.import_report import (
    CsvRowsInvalid,
    ImportProgress,
    ImportReport,
    ProgressCallback,
    RejectionLog,
)
from aimstors.core.contacts.import_writer import BatchOutcome, ContactWriter
from aimstors.core.contacts.row_mapping import ColumnMapping, MappedRow, RowMapper, RowRejected
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.errors import InvalidInput
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef
from aimstors.core.tenancy.audit import record

__all__ = ["AudienceJoin", "ImportOptions", "import_contacts", "import_for_tenant"]

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 5000

# Called in the import's transaction before any row is written; returns the id of the static audience that every
# imported contact joins (core.audiences creates it there, so a failed import leaves no audience behind).
AudienceJoin = Callable[[AsyncSession], Awaitable[int]]
_Batch = tuple[list[MappedRow], dict[int, list[str]]]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to read and map the file, and what to do with bad rows (see the module docstring)."""

    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    csv_format: CsvFormat = field(default_factory=CsvFormat)
    skip_invalid: bool = False
    rejects_path: Path | None = None
    batch_size: int = 1000

    def check(self) -> ImportOptions:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise InvalidInput(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
        self.csv_format.check()
        self.mapping.check()
        return self


class _Pass:
    """One streaming read of the file: records mapped to rows a batch at a time, rejections logged.

    While the caller writes one batch, the next is parsed in a worker thread (one batch ahead, no more).
    """

    def __init__(
        self,
        path: Path,
        options: ImportOptions,
        phase: Literal["validating", "importing"],
        progress: ProgressCallback | None,
        *,
        rejects_path: Path | None,
    ) -> None:
        self.options = options
        self.phase: Literal["validating", "importing"] = phase
        self.progress = progress
        self.reader = CsvReader(path, options.csv_format)
        self.rejects_path = rejects_path
        self.rows = 0
        self._fields: dict[int, list[str]] = {}
        self._ahead: asyncio.Future[_Batch | None] | None = None

    async def __aenter__(self) -> _Pass:
        await asyncio.to_thread(self.reader.__enter__)
        try:
            self.mapper = RowMapper(self.reader.header, self.options.mapping, header_line=self.reader.header_line)
            self.rejections = RejectionLog(self.rejects_path, self.reader.header).__enter__()
        except BaseException:
            self.reader.close()
            raise
        self._tick()
        return self

    async def __aexit__(
        self, *_: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        if self._ahead is not None:  # the thread cannot be cancelled: let it finish before the file closes
            await asyncio.wait([self._ahead])
            if not self._ahead.cancelled():
                self._ahead.exception()  # retrieved, so asyncio does not log it; the caller's error wins
        self.rejections.__exit__()
        self.reader.close()

    def _read(self) -> _Batch | None:
        """The next batch of valid rows (maybe empty), or None at the end of the file. Blocking: run in a thread."""
        records = self.reader.read_batch(self.options.batch_size)
        if not records:
            return None
        rows: list[MappedRow] = []
        for line, fields in records:
            self.rows += 1
            try:
                rows.append(self.mapper.map(line, fields))
            except RowRejected as exc:
                self.rejections.add(line, exc.reason, fields)
        return rows, dict(records)

    async def next_batch(self) -> list[MappedRow] | None:
        """The next batch of valid rows (maybe empty), or None at the end of the file."""
        ahead = self._ahead or asyncio.ensure_future(asyncio.to_thread(self._read))
        self._ahead = None
        batch = await ahead
        self._tick()
        if batch is None:
            return None
        rows, self._fields = batch
        self._ahead = asyncio.ensure_future(asyncio.to_thread(self._read))
        return rows

    def reject(self, line: int, reason: str) -> None:
        """Log a row of the current batch that failed after mapping (when written)."""
        self.rejections.add(line, reason, self._fields.get(line, []))

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(ImportProgress(self.phase, self.reader.bytes_read, self.reader.size, self.rows))

    def invalid(self) -> CsvRowsInvalid:
        path = str(self.rejects_path) if self.rejects_path else None
        return CsvRowsInvalid(self.rejections.first, self.rejections.count, self.rows, path)


async def import_contacts(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    tenant_slug: str | None = None,
    options: ImportOptions | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the contacts in the CSV file at ``path`` into a workspace (the actor's own unless ``tenant_slug``).

    Raises MalformedCsv for a file that cannot be read, CsvRowsInvalid when rows are invalid and
    ``options.skip_invalid`` is off, InvalidInput for bad options; in every case nothing is written. ``progress``
    is called after each batch with the bytes read so far. The import is audited as ``contact.import``.
    """
    tenant = await contact_tenant(db, actor, tenant_slug, Action.CONTACT_IMPORT)
    return await import_for_tenant(db, actor, tenant, path, options or ImportOptions(), progress=progress)


async def import_for_tenant(
    db: Database,
    actor: Actor,
    tenant: TenantRef,
    path: Path,
    options: ImportOptions,
    *,
    progress: ProgressCallback | None = None,
    audience: AudienceJoin | None = None,
    audience_name: str | None = None,
) -> ImportReport:
    """:func:`import_contacts` for a tenant the caller has already resolved and authorised.

    ``audience`` (with its ``audience_name`` for the report) puts every imported contact in a static audience,
    in the same transaction.
    """
    options = options.check()
    started = time.monotonic()
    if not options.skip_invalid:
        async with _Pass(path, options, "validating", progress, rejects_path=options.rejects_path) as check:
            while await check.next_batch() is not None:
                pass
            if check.rejections.count:
                raise check.invalid()
    now = utcnow()  # unique to this import: it marks the contacts it has written
    totals = BatchOutcome()
    rejects_path = options.rejects_path if options.skip_invalid else None  # else pass 1 wrote it
    async with (
        _Pass(path, options, "importing", progress, rejects_path=rejects_path) as run,
        db.session(tenant.scope, write=True) as session,
    ):
        audience_id = await audience(session) if audience is not None else None
        writer = ContactWriter(await session.connection(), tenant.id, now, audience_id)
        while (batch := await run.next_batch()) is not None:
            if run.rejections.count and not options.skip_invalid:
                raise run.invalid()  # the file changed since the first pass
            outcome = await writer.write(batch, skip_invalid=options.skip_invalid)
            for line, reason in outcome.rejected:
                run.reject(line, reason)
            totals.inserted += outcome.inserted
            totals.updated += outcome.updated
            totals.duplicates += outcome.duplicates
            totals.opted_out += outcome.opted_out
        mapper = run.mapper
        report = ImportReport(
            tenant=tenant.slug,
            file=path.name,
            rows=run.rows,
            inserted=totals.inserted,
            updated=totals.updated,
            duplicates=totals.duplicates,
            rejected=run.rejections.count,
            opted_out=totals.opted_out,
            phone_column=mapper.phone_column,
            name_column=mapper.name_column,
            attributes=dict(mapper.mapping.attributes),
            tag_column=options.mapping.tag_column,
            tags=list(mapper.mapping.tags),
            ignored_columns=mapper.ignored_columns,
            region=mapper.mapping.region,
            rejections=list(run.rejections.first),
            rejects_file=str(options.rejects_path) if options.rejects_path else None,
            audience=audience_name,
            seconds=round(time.monotonic() - started, 3),
        )
        details = {
            "file": path.name, "rows": report.rows, "inserted": report.inserted, "updated": report.updated,
            "rejected": report.rejected, "audience": audience_name,
        }  # fmt: skip
        await record(session, actor, tenant.id, "contact.import", target_type="contact", details=details)
    log.info(
        "imported %s into tenant %s: %d rows, %d new, %d updated, %d duplicates, %d rejected in %.1f s",
        path.name, tenant.slug, report.rows, report.inserted, report.updated, report.duplicates, report.rejected,
        report.seconds,
    )  # fmt: skip
    return report
