"""Resolving an audience: who it names now, as a stream of recipient batches, and how it counts.

This is the one place audiences become recipients: the campaign engine materialises ``campaign_recipients`` from
:func:`resolve` and plans with :func:`count`. Both take any :data:`~aimstors.core.audiences.specs.AudienceRef`: a
text spec (``"all"``, ``"tag:vip"``, ``"audience:June list"``, ``"campaign:12:read,replied"``), a saved
audience's id, or an :class:`AudienceSpec`. Suppressed contacts (opted out; marketing-limited until a future time)
are never yielded, whatever the kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.audiences.definitions import (
    CsvFileRules,
    RetargetRules,
    SegmentRules,
    SheetRules,
    StaticRules,
    rules_from_json,
)
from aimstors.core.audiences.recipients import AudienceCount, Recipient
from aimstors.core.audiences.specs import AudienceRef, AudienceSpec, SavedAudience, parse_audience
from aimstors.core.audiences.stored import (
    Connect,
    connector,
    contact_conditions,
    count_contacts,
    count_retarget,
    stream_contacts,
    stream_retarget,
)
from aimstors.core.audiences.tables import TableStats, csv_rows, sheet_rows, table_recipients
from aimstors.core.contacts.row_mapping import MappedRow
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Audience, Campaign
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.google.sheets import GoogleSheets

__all__ = ["DEFAULT_BATCH_SIZE", "audience_spec", "count", "resolve"]

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000


async def audience_spec(
    db: Database, tenant_id: int, audience: AudienceRef, *, conn: AsyncConnection | None = None
) -> AudienceSpec:
    """``audience`` checked against the tenant and made concrete: a text spec parsed, a saved audience loaded (by
    id, or by name and then id), a retargeted campaign looked up. NotFound / InvalidInput otherwise; use it to
    validate an audience when a campaign is created."""
    connect = connector(db, tenant_id, conn)
    ref = parse_audience(audience) if isinstance(audience, str) else audience
    if isinstance(ref, int | SavedAudience):
        where: Any = Audience.id == ref if isinstance(ref, int) else Audience.name == ref.ref
        if isinstance(ref, SavedAudience) and ref.ref.isdigit() and len(ref.ref) <= 18:
            where = or_(where, Audience.id == int(ref.ref))
        stmt = select(Audience.id, Audience.name, Audience.kind, Audience.definition)
        async with connect() as c:
            rows = (await c.execute(stmt.where(Audience.tenant_id == tenant_id, where))).all()
        if not rows:
            raise NotFound(f"no audience {ref if isinstance(ref, int) else ref.ref!r}")
        row = min(rows, key=lambda r: r.name != getattr(ref, "ref", None))  # a name wins over an id
        return AudienceSpec(rules_from_json(row.kind, row.definition or {}), audience_id=row.id, name=row.name)
    if isinstance(ref.rules, StaticRules) and ref.audience_id is None:
        raise InvalidInput("a static audience is resolved by its saved id")
    if isinstance(ref.rules, RetargetRules):
        stmt = select(Campaign.id).where(Campaign.tenant_id == tenant_id, Campaign.id == ref.rules.campaign_id)
        async with connect() as c:
            if (await c.execute(stmt)).first() is None:
                raise NotFound(f"no campaign {ref.rules.campaign_id} to retarget")
    return ref


def _contact_conditions(spec: AudienceSpec, tenant_id: int, now: dt.datetime) -> list[Any]:
    if isinstance(spec.rules, SegmentRules):
        return contact_conditions(tenant_id, where=spec.rules.to_filter().conditions(tenant_id, now=now))
    return contact_conditions(tenant_id, members_of=spec.audience_id)


def _table_rows(
    spec: AudienceSpec, tenant_id: int, sheets: GoogleSheets | None, batch_size: int, stats: TableStats
) -> AsyncIterator[list[MappedRow]]:
    if isinstance(spec.rules, CsvFileRules):
        return csv_rows(spec.rules, batch_size, stats)
    assert isinstance(spec.rules, SheetRules)
    return sheet_rows(sheets, tenant_id, spec.rules, batch_size, stats)


def _batches(
    connect: Connect,
    spec: AudienceSpec,
    tenant_id: int,
    stats: TableStats,
    *,
    now: dt.datetime,
    batch_size: int,
    sheets: GoogleSheets | None,
    marketing_limited: bool,
) -> AsyncIterator[list[Recipient]]:
    rules = spec.rules
    if isinstance(rules, StaticRules | SegmentRules):
        conditions = _contact_conditions(spec, tenant_id, now)
        return stream_contacts(
            connect, tenant_id, conditions, now=now, batch_size=batch_size, marketing_limited=marketing_limited
        )
    if isinstance(rules, RetargetRules):
        return stream_retarget(
            connect, tenant_id, rules, now=now, batch_size=batch_size, marketing_limited=marketing_limited
        )
    rows = _table_rows(spec, tenant_id, sheets, batch_size, stats)
    return table_recipients(connect, tenant_id, rows, stats, now=now, marketing_limited=marketing_limited)


async def resolve(
    db: Database,
    tenant_id: int,
    audience: AudienceRef,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    now: dt.datetime | None = None,
    conn: AsyncConnection | None = None,
    sheets: GoogleSheets | None = None,
    marketing_limited: bool = True,
) -> AsyncIterator[list[Recipient]]:
    """The recipients of ``audience`` in batches of at most ``batch_size``; each number once.

    Without ``conn`` each batch is read in its own short transaction in the tenant's scope; with ``conn`` every
    query runs on it (the caller's transaction, scope already set). ``now`` anchors time-based rules and the
    marketing-limit cool-down (default: the current time). ``sheets`` is needed for a Google Sheet audience.
    ``marketing_limited=False`` keeps contacts cooling down after a 131049 (for non-marketing sends); opted-out
    contacts are always left out. Errors before the first batch: NotFound / InvalidInput for a bad reference;
    MalformedCsv for an unreadable CSV audience; the Sheets client's errors for a sheet.
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidInput(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
    spec = await audience_spec(db, tenant_id, audience, conn=conn)
    batches = _batches(
        connector(db, tenant_id, conn), spec, tenant_id, TableStats(), now=now or utcnow(), batch_size=batch_size,
        sheets=sheets, marketing_limited=marketing_limited,
    )  # fmt: skip
    async for batch in batches:
        yield batch


async def count(
    db: Database,
    tenant_id: int,
    audience: AudienceRef,
    *,
    now: dt.datetime | None = None,
    conn: AsyncConnection | None = None,
    sheets: GoogleSheets | None = None,
    marketing_limited: bool = True,
) -> AudienceCount:
    """How many recipients ``audience`` has now and how many are suppressed, for a campaign plan.

    One aggregate query for database audiences; a file or sheet is read through. Nothing is written.
    """
    spec = await audience_spec(db, tenant_id, audience, conn=conn)
    at = now or utcnow()
    connect = connector(db, tenant_id, conn)
    rules = spec.rules
    if isinstance(rules, StaticRules | SegmentRules):
        conditions = _contact_conditions(spec, tenant_id, at)
        return await count_contacts(connect, tenant_id, conditions, now=at, marketing_limited=marketing_limited)
    if isinstance(rules, RetargetRules):
        return await count_retarget(connect, tenant_id, rules, now=at, marketing_limited=marketing_limited)
    stats = TableStats()
    eligible = 0
    batches = _batches(
        connect, spec, tenant_id, stats, now=at, batch_size=DEFAULT_BATCH_SIZE, sheets=sheets,
        marketing_limited=marketing_limited,
    )  # fmt: skip
    async for batch in batches:
        eligible += len(batch)
    return AudienceCount(stats.matched, stats.opted_out, stats.marketing_limited, stats.invalid, eligible)
