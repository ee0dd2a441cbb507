"""Audiences that live in the database: static lists, segments and campaign retargeting, as keyset-paged queries.

Each batch is one bounded query (``id > last`` in id order). Through :func:`connector`, a batch runs either in its
own short read transaction (nothing held between batches, so a consumer may take its time) or on the caller's
connection, inside the caller's transaction (the campaign engine materialising recipients).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.audiences.definitions import RetargetRules
from aimstors.core.audiences.recipients import AudienceCount, Recipient, reachable
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import AudienceMember, CampaignRecipient, Contact

__all__ = [
    "Connect",
    "connector",
    "contact_conditions",
    "count_contacts",
    "count_retarget",
    "stream_contacts",
    "stream_retarget",
]

Connect = Callable[[], AbstractAsyncContextManager[AsyncConnection]]
_r = CampaignRecipient


def connector(db: Database, tenant_id: int, conn: AsyncConnection | None = None) -> Connect:
    """Where each query runs: ``conn`` (the caller's transaction and scope) if given, else a fresh read
    transaction in the tenant's scope."""
    if conn is not None:
        return lambda: nullcontext(conn)
    return lambda: db.connect(Scope.tenant(tenant_id))


def contact_conditions(tenant_id: int, *, members_of: int | None = None, where: list[Any] | None = None) -> list[Any]:
    """Conditions on :class:`Contact` for a static list (``members_of``) or a segment (``where``)."""
    conditions: list[Any] = [Contact.tenant_id == tenant_id, Contact.wa_id.is_not(None), *(where or [])]
    if members_of is not None:
        conditions.append(
            exists(
                select(AudienceMember.contact_id).where(
                    AudienceMember.tenant_id == tenant_id,
                    AudienceMember.audience_id == members_of,
                    AudienceMember.contact_id == Contact.id,
                )
            )
        )
    return conditions


async def stream_contacts(
    connect: Connect,
    tenant_id: int,
    conditions: list[Any],
    *,
    now: dt.datetime,
    batch_size: int,
    marketing_limited: bool,
) -> AsyncIterator[list[Recipient]]:
    """Recipients among the contacts matching ``conditions``, suppressed ones left out, in id order."""
    last_id = 0
    columns = (Contact.id, Contact.wa_id, Contact.attributes, Contact.profile_name)
    suppression = reachable(now, marketing_limited=marketing_limited)
    while True:
        stmt = (
            select(*columns)
            .where(*conditions, *suppression, Contact.id > last_id)
            .order_by(Contact.id)
            .limit(batch_size)
        )
        async with connect() as conn:
            rows = (await conn.execute(stmt)).all()
        if rows:
            yield [Recipient(r.id, r.wa_id, dict(r.attributes or {}), r.profile_name) for r in rows]
        if len(rows) < batch_size:
            return
        last_id = rows[-1].id


def _breakdown(now: dt.datetime, *, marketing_limited: bool) -> tuple[Any, Any]:
    opted_out = func.coalesce(func.sum(case((Contact.opted_out_at.is_not(None), 1), else_=0)), 0)
    limited_now = and_(Contact.opted_out_at.is_(None), Contact.marketing_limited_until > now)
    limited = func.coalesce(func.sum(case((limited_now, 1), else_=0)), 0) if marketing_limited else literal(0)
    return opted_out, limited


async def count_contacts(
    connect: Connect, tenant_id: int, conditions: list[Any], *, now: dt.datetime, marketing_limited: bool
) -> AudienceCount:
    opted_out, limited = _breakdown(now, marketing_limited=marketing_limited)
    async with connect() as conn:
        matched, out, lim = (await conn.execute(select(func.count(), opted_out, limited).where(*conditions))).one()
    return AudienceCount(matched, int(out or 0), int(lim or 0), 0, matched - int(out or 0) - int(lim or 0))


def _reached(status: str) -> ColumnElement[bool]:
    accepted = _r.wamid.is_not(None)
    if status == "sent":
        return accepted
    if status == "delivered":
        return or_(_r.delivered_at.is_not(None), _r.read_at.is_not(None), _r.state.in_(["delivered", "read"]))
    if status == "read":
        return or_(_r.read_at.is_not(None), _r.state == "read")
    if status == "unread":
        return and_(accepted, _r.read_at.is_(None), _r.state != "read")
    if status == "replied":  # replied_at when the send path records it; else an inbound message after the send
        return or_(_r.replied_at.is_not(None), and_(_r.sent_at.is_not(None), Contact.last_inbound_at >= _r.sent_at))
    return _r.state == status  # failed | unknown | skipped


def _retarget_from(tenant_id: int, rules: RetargetRules) -> tuple[Any, list[Any]]:
    # Joined on the number, not contact_id: recipients from a file or sheet may have become contacts since.
    joined = _r.__table__.outerjoin(
        Contact.__table__, and_(Contact.tenant_id == _r.tenant_id, Contact.wa_id == _r.wa_id)
    )
    reached = or_(*(_reached(s) for s in rules.statuses))
    return joined, [_r.tenant_id == tenant_id, _r.campaign_id == rules.campaign_id, reached]


async def stream_retarget(
    connect: Connect,
    tenant_id: int,
    rules: RetargetRules,
    *,
    now: dt.datetime,
    batch_size: int,
    marketing_limited: bool,
) -> AsyncIterator[list[Recipient]]:
    """Recipients of the campaign with a matching status; a number that is not a contact is still one."""
    r = _r
    joined, conditions = _retarget_from(tenant_id, rules)
    not_suppressed = or_(Contact.id.is_(None), and_(*reachable(now, marketing_limited=marketing_limited)))
    last_id = 0
    while True:
        stmt = (
            select(r.id, Contact.id.label("contact_id"), r.wa_id, Contact.attributes, Contact.profile_name)
            .select_from(joined)
            .where(*conditions, not_suppressed, r.id > last_id)
            .order_by(r.id)
            .limit(batch_size)
        )
        async with connect() as conn:
            rows = (await conn.execute(stmt)).all()
        if rows:
            yield [Recipient(x.contact_id, x.wa_id, dict(x.attributes or {}), x.profile_name) for x in rows]
        if len(rows) < batch_size:
            return
        last_id = rows[-1].id


async def count_retarget(
    connect: Connect, tenant_id: int, rules: RetargetRules, *, now: dt.datetime, marketing_limited: bool
) -> AudienceCount:
    joined, conditions = _retarget_from(tenant_id, rules)
    opted_out, limited = _breakdown(now, marketing_limited=marketing_limited)
    stmt = select(func.count(), opted_out, limited).select_from(joined).where(*conditions)
    async with connect() as conn:
        matched, out, lim = (await conn.execute(stmt)).one()
    return AudienceCount(matched, int(out or 0), int(lim or 0), 0, matched - int(out or 0) - int(lim or 0))
