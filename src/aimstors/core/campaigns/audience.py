"""Who a campaign goes to: an audience spec resolved to contacts, streamed in batches, suppression applied.

Specs:

- ``all`` — every contact of the workspace with a phone number;
- ``tag:NAME`` — contacts carrying the tag;
- ``audience:NAME`` (or ``audience:ID``) — the members of a static audience;
- ``campaign:ID:STATUS`` — retargeting: the recipients of campaign ``ID`` whose send reached ``STATUS``
  (``sent``, ``delivered``, ``read``, ``unread``, ``replied``, ``failed``, ``unknown``, ``skipped``).

Opted-out contacts and contacts whose marketing is held after a 131049 (``marketing_limited_until`` in the future)
are always left out; :func:`count_suppressed` says how many, by reason. :func:`iter_audience` streams the rest in
contact-id order, one bounded query per batch (keyset pagination), so a million contacts are never in memory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.contacts.tags import validate_tag
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Audience, AudienceMember, Campaign, CampaignRecipient, Contact, ContactTag
from aimstors.core.errors import InvalidInput, NotFound

__all__ = [
    "RETARGET_STATUSES",
    "AudienceMemberRow",
    "AudienceSpec",
    "audience_batches",
    "count_suppressed",
    "iter_audience",
]

BATCH: Final = 1000
RETARGET_STATUSES: Final = ("sent", "delivered", "read", "unread", "replied", "failed", "unknown", "skipped")
_SPEC: Final = re.compile(
    r"all|tag:(?P<tag>.+)|audience:(?P<audience>.+)|campaign:(?P<campaign>[0-9]+):(?P<status>[a-z]+)"
)
_r = CampaignRecipient


@dataclass(frozen=True, slots=True)
class AudienceMemberRow:
    """One contact to send to: ``name`` is its WhatsApp profile name (for ``contact.name`` parameters)."""

    contact_id: int
    wa_id: str
    attributes: Mapping[str, Any]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AudienceSpec:
    """A parsed audience spec. ``text`` is its canonical form, kept on the campaign."""

    kind: str  # all | tag | audience | campaign
    value: str = ""
    status: str = ""

    @classmethod
    def parse(cls, text: str) -> AudienceSpec:
        """InvalidInput naming the problem for a malformed spec (existence is checked by :meth:`resolve`)."""
        spec = (text or "").strip()
        match = _SPEC.fullmatch(spec)
        if match is None:
            raise InvalidInput(
                f"audience {text!r} is not understood",
                hint="use all, tag:NAME, audience:NAME or campaign:ID:STATUS (e.g. campaign:12:read)",
            )
        if match["tag"] is not None:
            return cls("tag", validate_tag(match["tag"]))
        if match["audience"] is not None:
            return cls("audience", match["audience"].strip())
        if match["campaign"] is not None:
            if match["status"] not in RETARGET_STATUSES:
                raise InvalidInput(
                    f"retargeting status {match['status']!r} is unknown; use one of {', '.join(RETARGET_STATUSES)}"
                )
            return cls("campaign", match["campaign"], match["status"])
        return cls("all")

    @property
    def text(self) -> str:
        if self.kind == "all":
            return "all"
        if self.kind == "campaign":
            return f"campaign:{self.value}:{self.status}"
        return f"{self.kind}:{self.value}"

    async def resolve(self, conn: AsyncConnection, tenant_id: int) -> ResolvedAudience:
        """Check the spec names something that exists in the tenant; NotFound / InvalidInput otherwise."""
        if self.kind == "audience":
            where = Audience.name == self.value
            if self.value.isdigit():
                where = or_(where, Audience.id == int(self.value))
            row = (
                await conn.execute(select(Audience.id, Audience.kind).where(Audience.tenant_id == tenant_id, where))
            ).first()
            if row is None:
                raise NotFound(f"no audience {self.value!r}")
            if row.kind != "static":
                raise InvalidInput(
                    f"audience {self.value!r} is a {row.kind} audience; only static lists can be sent to"
                )
            return ResolvedAudience(self, int(row.id))
        if self.kind == "campaign":
            found = (
                await conn.execute(
                    select(Campaign.id).where(Campaign.tenant_id == tenant_id, Campaign.id == int(self.value))
                )
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(f"no campaign {self.value} to retarget")
            return ResolvedAudience(self, int(found))
        return ResolvedAudience(self, None)


@dataclass(frozen=True, slots=True)
class ResolvedAudience:
    """A spec whose audience or campaign id is known."""

    spec: AudienceSpec
    ref_id: int | None

    def members(self, tenant_id: int) -> list[ColumnElement[bool]]:
        """Conditions on :class:`Contact` selecting the spec's members (before suppression)."""
        where: list[ColumnElement[bool]] = [Contact.tenant_id == tenant_id, Contact.wa_id.is_not(None)]
        kind = self.spec.kind
        if kind == "tag":
            where.append(
                exists(
                    select(ContactTag.contact_id).where(
                        ContactTag.tenant_id == tenant_id,
                        ContactTag.contact_id == Contact.id,
                        ContactTag.tag == self.spec.value,
                    )
                )
            )
        elif kind == "audience":
            where.append(
                exists(
                    select(AudienceMember.contact_id).where(
                        AudienceMember.tenant_id == tenant_id,
                        AudienceMember.audience_id == self.ref_id,
                        AudienceMember.contact_id == Contact.id,
                    )
                )
            )
        elif kind == "campaign":
            where.append(
                exists(
                    select(_r.id).where(
                        _r.tenant_id == tenant_id,
                        _r.campaign_id == self.ref_id,
                        _r.contact_id == Contact.id,
                        _retarget(self.spec.status),
                    )
                )
            )
        return where


def _retarget(status: str) -> ColumnElement[bool]:
    accepted = _r.wamid.is_not(None)
    if status == "sent":
        return accepted
    if status == "delivered":
        return or_(_r.delivered_at.is_not(None), _r.read_at.is_not(None), _r.state.in_(["delivered", "read"]))
    if status == "read":
        return or_(_r.read_at.is_not(None), _r.state == "read")
    if status == "unread":
        return and_(accepted, _r.read_at.is_(None), _r.state != "read")
    if status == "replied":
        return and_(_r.sent_at.is_not(None), Contact.last_inbound_at >= _r.sent_at)
    return _r.state == status  # failed | unknown | skipped


def suppression(now: dt.datetime) -> list[ColumnElement[bool]]:
    """Conditions that leave out opted-out and marketing-limited contacts."""
    return [
        Contact.opted_out_at.is_(None),
        or_(Contact.marketing_limited_until.is_(None), Contact.marketing_limited_until <= now),
    ]


def _page(where: list[ColumnElement[bool]], after: int, limit: int) -> Select[Any]:
    return (
        select(Contact.id, Contact.wa_id, Contact.profile_name, Contact.attributes)
        .where(*where, Contact.id > after)
        .order_by(Contact.id)
        .limit(limit)
    )


async def audience_batches(
    conn: AsyncConnection,
    audience: ResolvedAudience,
    tenant_id: int,
    *,
    batch_size: int = BATCH,
    now: dt.datetime | None = None,
) -> AsyncIterator[list[AudienceMemberRow]]:
    """The audience after suppression in contact-id order, ``batch_size`` at a time, read on ``conn``."""
    where = [*audience.members(tenant_id), *suppression(now or utcnow())]
    after = 0
    while True:
        rows = (await conn.execute(_page(where, after, batch_size))).all()
        if not rows:
            return
        yield [AudienceMemberRow(int(r.id), str(r.wa_id), r.attributes or {}, r.profile_name) for r in rows]
        if len(rows) < batch_size:
            return
        after = int(rows[-1].id)


async def iter_audience(
    db: Database, tenant_id: int, spec: str | AudienceSpec, *, batch_size: int = BATCH
) -> AsyncIterator[list[AudienceMemberRow]]:
    """The contacts ``spec`` selects in tenant ``tenant_id``, after suppression, in batches (each batch one short
    read transaction). Raises InvalidInput / NotFound for a bad spec before yielding anything."""
    parsed = spec if isinstance(spec, AudienceSpec) else AudienceSpec.parse(spec)
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        resolved = await parsed.resolve(conn, tenant_id)
    now = utcnow()
    where = [*resolved.members(tenant_id), *suppression(now)]
    after = 0
    while True:
        async with db.connect(Scope.tenant(tenant_id)) as conn:
            rows = (await conn.execute(_page(where, after, batch_size))).all()
        if not rows:
            return
        yield [AudienceMemberRow(int(r.id), str(r.wa_id), r.attributes or {}, r.profile_name) for r in rows]
        if len(rows) < batch_size:
            return
        after = int(rows[-1].id)


async def count_suppressed(
    conn: AsyncConnection, audience: ResolvedAudience, tenant_id: int, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Members the spec selects that are left out: ``opted_out``, ``marketing_limited`` (zero counts omitted)."""
    now = now or utcnow()
    members = audience.members(tenant_id)
    opted_out = Contact.opted_out_at.is_not(None)
    limited = and_(Contact.opted_out_at.is_(None), Contact.marketing_limited_until > now)
    row = (
        await conn.execute(
            select(
                func.count().filter(opted_out),
                func.count().filter(limited),
            ).where(*members, or_(opted_out, limited))
        )
    ).one()
    counts = {"opted_out": int(row[0] or 0), "marketing_limited": int(row[1] or 0)}
    return {reason: n for reason, n in counts.items() if n}
