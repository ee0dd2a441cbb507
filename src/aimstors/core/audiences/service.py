"""Saved audiences of a workspace: create (any kind), list, show, preview, delete; static list membership.

Every function checks the actor against the target workspace first (``audience.read`` / ``audience.write``;
a static list filled from a CSV also needs ``contact.import``) and then works in that workspace's scope, so
another workspace's audiences are invisible: naming one gives NotFound, exactly like a name that does not exist.
An audience is named by its name, or by its id when no audience has that name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.audiences import members as membership
from aimstors.core.audiences.definitions import (
    CsvFileRules,
    RetargetRules,
    Rules,
    SegmentRules,
    SheetRules,
    StaticRules,
)
from aimstors.core.audiences.recipients import Recipient
from aimstors.core.audiences.resolve import count, resolve
from aimstors.core.audiences.views import AudiencePreview, AudienceView, audience_view
from aimstors.core.contacts.csv_source import CsvReader
from aimstors.core.contacts.import_report import ImportReport, ProgressCallback
from aimstors.core.contacts.importer import ImportOptions, import_for_tenant
from aimstors.core.contacts.row_mapping import RowMapper
from aimstors.core.db import Database
from aimstors.core.db.models import Audience, AudienceMember, Campaign, Contact
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.google.sheets import GoogleSheets
from aimstors.core.security import Action, Actor, authorize
from aimstors.core.tenancy.access import TenantRef, target_tenant
from aimstors.core.tenancy.audit import record

__all__ = [
    "add_members",
    "audience_tenant",
    "create_audience",
    "create_static_from_csv",
    "delete_audience",
    "get_audience",
    "list_audiences",
    "preview_audience",
    "remove_members",
]

MAX_NAME_LENGTH = 200
MAX_PREVIEW = 100
UNSTARTED_CAMPAIGN_STATES = ("draft", "scheduled")

log = logging.getLogger(__name__)


async def audience_tenant(db: Database, actor: Actor, tenant_slug: str | None, action: Action) -> TenantRef:
    """The workspace whose audiences a call works on (the actor's own unless ``tenant_slug`` names one)."""
    return await target_tenant(db, actor, tenant_slug, action, kinds=frozenset({"workspace"}), what="audience")


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("an audience needs a name")
    if len(cleaned) > MAX_NAME_LENGTH or any(not c.isprintable() for c in cleaned):
        raise InvalidInput(f"an audience name is at most {MAX_NAME_LENGTH} printable characters")
    return cleaned


async def _load(session: AsyncSession, tenant_id: int, ref: str | int) -> Audience:
    stmt = select(Audience).where(Audience.tenant_id == tenant_id)
    row = await session.scalar(stmt.where(Audience.name == str(ref).strip()))
    if row is None and (isinstance(ref, int) or (ref.strip().isdigit() and len(ref.strip()) <= 18)):
        row = await session.scalar(stmt.where(Audience.id == int(ref)))
    if row is None:
        raise NotFound(f"no audience {ref!r}")
    return row


async def _members(session: AsyncSession, tenant_id: int, row: Audience) -> int | None:
    if row.kind != "static":
        return None
    stmt = select(func.count()).where(AudienceMember.tenant_id == tenant_id, AudienceMember.audience_id == row.id)
    return int(await session.scalar(stmt) or 0)


async def _insert(session: AsyncSession, tenant: TenantRef, name: str, rules: Rules) -> Audience:
    taken = await session.scalar(select(Audience.id).where(Audience.tenant_id == tenant.id, Audience.name == name))
    if taken is not None:
        raise Conflict(f"an audience named {name!r} already exists", hint="pick another name, or delete that one")
    row = Audience(tenant_id=tenant.id, name=name, kind=rules.kind, definition=rules.to_json())
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"an audience named {name!r} already exists") from None
    return row


def _checked_file(rules: CsvFileRules) -> CsvFileRules:
    path = Path(rules.path).expanduser().resolve()
    with CsvReader(path, rules.csv_format) as reader:  # the columns must exist now, not at send time
        RowMapper(reader.header, rules.mapping.column_mapping(), header_line=reader.header_line)
    return CsvFileRules(str(path), rules.mapping, rules.encoding, rules.delimiter)


async def _checked(rules: Rules, session: AsyncSession, tenant: TenantRef, sheets: GoogleSheets | None) -> Rules:
    """``rules`` ready to save: files made absolute and their columns checked, campaigns and sheets looked up."""
    if isinstance(rules, SegmentRules):
        return rules.check()
    if isinstance(rules, CsvFileRules):
        return await asyncio.to_thread(_checked_file, rules)
    if isinstance(rules, SheetRules):
        rules.mapping.column_mapping().check()
        if sheets is not None:
            values = await sheets.values(tenant.id, rules.spreadsheet_id, rules.range, integration=rules.integration)
            if not values:
                raise InvalidInput(f"range {rules.range!r} is empty: its first row must name the columns")
            RowMapper(values[0], rules.mapping.column_mapping(), header_line=1, pad_short_rows=True)
        return rules
    if isinstance(rules, RetargetRules):
        rules.check()
        found = await session.scalar(
            select(Campaign.id).where(Campaign.tenant_id == tenant.id, Campaign.id == rules.campaign_id)
        )
        if found is None:
            raise NotFound(f"no campaign {rules.campaign_id}")
    return rules


async def create_audience(
    db: Database,
    actor: Actor,
    name: str,
    rules: Rules,
    *,
    tenant_slug: str | None = None,
    snapshot: SegmentRules | None = None,
    sheets: GoogleSheets | None = None,
) -> AudienceView:
    """Save an audience. A static list starts empty, or with the contacts matching ``snapshot`` now.

    Checked before saving: a CSV file must be readable with the named (or a detectable) phone column; with
    ``sheets`` a sheet range is fetched and its columns checked the same way; a retargeted campaign must exist in
    the workspace. Conflict when the name is taken. Audited as ``audience.create``.
    """
    name = _check_name(name)
    if snapshot is not None and not isinstance(rules, StaticRules):
        raise InvalidInput("only a static audience is filled from a filter snapshot")
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_WRITE)
    snapshot_where = snapshot.check().to_filter().conditions(tenant.id) if snapshot is not None else None
    if isinstance(rules, StaticRules) and snapshot is not None:
        rules = StaticRules(rules.source or "filter")
    async with db.session(tenant.scope, write=True) as session:
        rules = await _checked(rules, session, tenant, sheets)
        row = await _insert(session, tenant, name, rules)
        if snapshot_where is not None:
            await membership.add_matching(await session.connection(), tenant.id, row.id, snapshot_where)
        await record(session, actor, tenant.id, "audience.create", target_type="audience", target_id=row.id,
                     details={"kind": row.kind})  # fmt: skip
        view = audience_view(row, tenant.slug, await _members(session, tenant.id, row))
    log.info("audience %s (%s) created in tenant %s", view.id, view.kind, tenant.slug)
    return view


async def create_static_from_csv(
    db: Database,
    actor: Actor,
    name: str,
    path: Path,
    options: ImportOptions | None = None,
    *,
    tenant_slug: str | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[AudienceView, ImportReport]:
    """Import a CSV file's contacts (like ``contacts import``) and save them as a static list, in one transaction:
    an invalid file leaves neither contacts nor an audience behind."""
    name = _check_name(name)
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_WRITE)
    authorize(actor, Action.CONTACT_IMPORT, tenant.path)
    rules = StaticRules(f"csv:{path.name}")
    async with db.session(tenant.scope) as session:  # fail fast, before reading a large file
        if await session.scalar(select(Audience.id).where(Audience.tenant_id == tenant.id, Audience.name == name)):
            raise Conflict(f"an audience named {name!r} already exists", hint="pick another name, or delete that one")
    created: list[int] = []

    async def join(session: AsyncSession) -> int:
        row = await _insert(session, tenant, name, rules)
        await record(session, actor, tenant.id, "audience.create", target_type="audience", target_id=row.id,
                     details={"kind": "static", "source": rules.source})  # fmt: skip
        created.append(row.id)
        return row.id

    report = await import_for_tenant(
        db, actor, tenant, path, options or ImportOptions(), progress=progress, audience=join, audience_name=name
    )
    return await get_audience(db, actor, created[0], tenant_slug=tenant.slug), report


async def list_audiences(db: Database, actor: Actor, *, tenant_slug: str | None = None) -> list[AudienceView]:
    """The workspace's audiences by name (static lists with their sizes)."""
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_READ)
    async with db.session(tenant.scope) as session:
        rows = list(
            await session.scalars(select(Audience).where(Audience.tenant_id == tenant.id).order_by(Audience.name))
        )
        counts = await session.execute(
            select(AudienceMember.audience_id, func.count())
            .where(AudienceMember.tenant_id == tenant.id)
            .group_by(AudienceMember.audience_id)
        )
        sizes = {audience_id: int(n) for audience_id, n in counts}
    return [audience_view(r, tenant.slug, sizes.get(r.id, 0) if r.kind == "static" else None) for r in rows]


async def get_audience(db: Database, actor: Actor, ref: str | int, *, tenant_slug: str | None = None) -> AudienceView:
    """One audience by name (or id); NotFound otherwise."""
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_READ)
    async with db.session(tenant.scope) as session:
        row = await _load(session, tenant.id, ref)
        return audience_view(row, tenant.slug, await _members(session, tenant.id, row))


async def preview_audience(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    tenant_slug: str | None = None,
    limit: int = 10,
    sheets: GoogleSheets | None = None,
) -> AudiencePreview:
    """An audience with its count now (after suppression) and its first ``limit`` recipients. Sends nothing."""
    if not 0 <= limit <= MAX_PREVIEW:
        raise InvalidInput(f"a preview shows between 0 and {MAX_PREVIEW} recipients")
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_READ)
    async with db.session(tenant.scope) as session:
        row = await _load(session, tenant.id, ref)
        view = audience_view(row, tenant.slug, await _members(session, tenant.id, row))
    totals = await count(db, tenant.id, view.id, sheets=sheets)
    sample: list[Recipient] = []
    if limit:
        async for batch in resolve(db, tenant.id, view.id, batch_size=limit, sheets=sheets):
            sample.extend(batch[: limit - len(sample)])
            if len(sample) >= limit:
                break
    return AudiencePreview(view, totals, sample)


async def delete_audience(
    db: Database, actor: Actor, ref: str | int, *, tenant_slug: str | None = None
) -> AudienceView:
    """Delete an audience (a static list's memberships go with it; the contacts stay). Conflict while a campaign
    that has not started uses it."""
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_WRITE)
    async with db.session(tenant.scope, write=True) as session:
        row = await _load(session, tenant.id, ref)
        view = audience_view(row, tenant.slug, await _members(session, tenant.id, row))
        waiting = list(
            await session.scalars(
                select(Campaign.id).where(
                    Campaign.tenant_id == tenant.id,
                    Campaign.audience_id == row.id,
                    Campaign.state.in_(UNSTARTED_CAMPAIGN_STATES),
                )
            )
        )
        if waiting:
            raise Conflict(
                f"audience {row.name!r} is used by campaign(s) {', '.join(map(str, waiting))}, not started yet",
                hint="delete those campaigns or give them another audience first",
            )
        await session.delete(row)
        await record(session, actor, tenant.id, "audience.delete", target_type="audience", target_id=row.id)
    log.info("audience %s deleted in tenant %s", view.id, tenant.slug)
    return view


async def _change_members(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    adding: bool,
    tenant_slug: str | None,
    contact_ids: Sequence[int],
    phones: Sequence[str],
    where: SegmentRules | None,
) -> int:
    if not (contact_ids or phones or where is not None):
        raise InvalidInput("name the contacts: by id, by phone number, or by a filter")
    tenant = await audience_tenant(db, actor, tenant_slug, Action.AUDIENCE_WRITE)
    conditions = where.check().to_filter().conditions(tenant.id) if where is not None else None
    async with db.session(tenant.scope, write=True) as session:
        row = await _load(session, tenant.id, ref)
        if row.kind != "static":
            raise InvalidInput(f"audience {row.name!r} is a {row.kind}: only static lists have members to change")
        conn = await session.connection()
        ids = [*contact_ids, *await membership.contact_ids_for_phones(conn, tenant.id, phones, create=adding)]
        changed = 0
        if adding:
            changed += await membership.add_contact_ids(conn, tenant.id, row.id, ids)
            if conditions is not None:
                changed += await membership.add_matching(conn, tenant.id, row.id, conditions)
        else:
            if ids:
                changed += await membership.remove_members(conn, tenant.id, row.id, [Contact.id.in_(ids)])
            if conditions is not None:
                changed += await membership.remove_members(conn, tenant.id, row.id, conditions)
        action = "audience.add_members" if adding else "audience.remove_members"
        await record(session, actor, tenant.id, action, target_type="audience", target_id=row.id,
                     details={"count": changed})  # fmt: skip
    return changed


async def add_members(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    tenant_slug: str | None = None,
    contact_ids: Sequence[int] = (),
    phones: Sequence[str] = (),
    where: SegmentRules | None = None,
) -> int:
    """Add contacts to a static list by id, by phone (creating contacts for new numbers) and/or by a filter
    snapshot; returns how many joined (members already there are not counted)."""
    return await _change_members(
        db, actor, ref, adding=True, tenant_slug=tenant_slug, contact_ids=contact_ids, phones=phones, where=where
    )


async def remove_members(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    tenant_slug: str | None = None,
    contact_ids: Sequence[int] = (),
    phones: Sequence[str] = (),
    where: SegmentRules | None = None,
) -> int:
    """Remove contacts from a static list by id, phone and/or filter; returns how many left it."""
    return await _change_members(
        db, actor, ref, adding=False, tenant_slug=tenant_slug, contact_ids=contact_ids, phones=phones, where=where
    )
