"""How a campaign is doing and how it went: progress (cheap, for polling), the report, the CSV export.

Everything is derived from the recipients' rows (no counters): states, the times each status arrived, error
codes with Meta's explanation, skip reasons, what was charged. "Replied" counts recipients whose contact wrote
after the campaign's message was sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any, Final

from sqlalchemy import Select, case, func, literal_column, select

from aimstors.core.campaigns.context import CampaignContext, load, view, workspace
from aimstors.core.campaigns.explanations import UNKNOWN_EXPLANATION, explain, explain_skip
from aimstors.core.campaigns.materialise import RECIPIENTS
from aimstors.core.campaigns.records import FailureLine, Progress, ReportView, SkipLine, TimelinePoint
from aimstors.core.campaigns.service import PACE
from aimstors.core.campaigns.states import RECIPIENT_STATES
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Contact
from aimstors.core.ledger import micro_to_credits
from aimstors.core.security import Action, Actor, authorize

__all__ = ["EXPORT_COLUMNS", "campaign_progress", "campaign_report", "export_recipients"]

_r = RECIPIENTS.c
EXPORT_COLUMNS: Final = (
    "wa_id", "contact_id", "state", "wamid", "error_code", "explanation", "error_detail", "skip_reason",
    "attempts", "sent_at", "delivered_at", "read_at", "failed_at", "cost",
)  # fmt: skip
EXPORT_BATCH: Final = 2000


def _mine(ctx: CampaignContext) -> list[Any]:
    return [_r.tenant_id == ctx.tenant.id, _r.campaign_id == ctx.campaign.id]


async def _by_state(db: Database, ctx: CampaignContext) -> dict[str, int]:
    async with db.connect(ctx.tenant.scope) as conn:
        rows = await conn.execute(select(_r.state, func.count()).where(*_mine(ctx)).group_by(_r.state))
        return {state: int(n) for state, n in rows}


def _live_dispatchers(ctx: CampaignContext, now: dt.datetime) -> int:
    count = 0
    for at in (ctx.campaign.dispatchers or {}).values():
        try:
            count += dt.datetime.fromisoformat(str(at)) > now
        except ValueError:
            continue
    return count


async def campaign_progress(
    db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None
) -> Progress:
    """Counts by state, the send rate of the last minute and an ETA: one grouped query, fine to poll."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_READ)
    ctx = await load(db, tenant, campaign_id)
    return await progress_of(db, ctx)


async def progress_of(db: Database, ctx: CampaignContext) -> Progress:
    now = utcnow()
    async with db.connect(ctx.tenant.scope) as conn:
        rows = (
            await conn.execute(
                select(_r.state, func.count(), func.sum(_r.cost), func.count(_r.wamid))
                .where(*_mine(ctx))
                .group_by(_r.state)
            )
        ).all()
        recent = (
            await conn.execute(select(func.count()).where(*_mine(ctx), _r.sent_at >= now - dt.timedelta(minutes=1)))
        ).scalar_one()
    by_state = {state: int(n) for state, n, _, _ in rows}
    cost = sum(int(c or 0) for _, _, c, _ in rows)
    accepted = sum(int(w) for _, _, _, w in rows)
    total = sum(by_state.values())
    left = by_state.get("pending", 0) + by_state.get("sending", 0)
    campaign = ctx.campaign
    eta: float | None = None
    if campaign.state == "running" and left:
        rate = (int(recent) / 60.0) or ctx.number.throughput_mps * PACE
        eta = round(left / max(rate, 0.1), 1)
    return Progress(
        campaign_id=campaign.id, state=campaign.state, pause_reason=campaign.pause_reason, total=total,
        by_state={s: by_state.get(s, 0) for s in RECIPIENT_STATES}, accepted=accepted, done=total - left,
        sent_last_minute=int(recent), dispatchers=_live_dispatchers(ctx, now), cost=micro_to_credits(cost),
        cost_micro=cost, started_at=campaign.started_at, finished_at=campaign.finished_at, eta_seconds=eta,
    )  # fmt: skip


def _minute(db: Database, column: Any) -> Any:
    if db.is_sqlite:  # naive ISO text: 'YYYY-MM-DD HH:MM:SS…'
        return func.substr(column, 1, 16)
    return func.to_char(func.date_trunc(literal_column("'minute'"), func.timezone(literal_column("'UTC'"), column)),
                        literal_column("'YYYY-MM-DD HH24:MI'"))  # fmt: skip


async def _timeline(db: Database, ctx: CampaignContext) -> list[TimelinePoint]:
    points: dict[str, dict[str, int]] = {}
    async with db.connect(ctx.tenant.scope) as conn:
        for name, column in (("sent", _r.sent_at), ("delivered", _r.delivered_at), ("read", _r.read_at),
                             ("failed", _r.failed_at)):  # fmt: skip
            minute = _minute(db, column)
            stmt: Select[Any] = (
                select(minute, func.count()).where(*_mine(ctx), column.is_not(None)).group_by(minute).order_by(minute)
            )
            for key, n in await conn.execute(stmt):
                label = str(key).replace(" ", "T")[:16]
                points.setdefault(label, {})[name] = int(n)
    return [
        TimelinePoint(minute, p.get("sent", 0), p.get("delivered", 0), p.get("read", 0), p.get("failed", 0))
        for minute, p in sorted(points.items())
    ]


def _whole_second(column: Any, dialect: str) -> Any:
    """``column`` (a time) cut to its second. Meta stamps inbound messages to the second, so a reply within the
    second of the send carries an earlier time than the send itself; compared at that grain, it still counts."""
    if dialect == "sqlite":
        return func.substr(column, 1, 19)  # 'YYYY-MM-DD HH:MM:SS', which sorts before any time within that second
    return func.date_trunc("second", column)


async def campaign_report(
    db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None
) -> ReportView:
    """Sent, delivered, read, replied, failed by error code with Meta's explanation, skipped by reason, unknown,
    cost and a per-minute timeline."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_READ)
    ctx = await load(db, tenant, campaign_id)
    by_state = await _by_state(db, ctx)
    async with db.connect(tenant.scope) as conn:
        totals = (
            await conn.execute(
                select(
                    func.count(_r.wamid),
                    func.count(case((_r.delivered_at.is_not(None) | _r.state.in_(["delivered", "read"]), 1))),
                    func.count(case((_r.read_at.is_not(None) | (_r.state == "read"), 1))),
                    func.coalesce(func.sum(_r.cost), 0),
                ).where(*_mine(ctx))
            )
        ).one()
        replied = (
            await conn.execute(
                select(func.count())
                .select_from(RECIPIENTS.join(Contact.__table__, Contact.id == _r.contact_id))
                .where(
                    *_mine(ctx),
                    Contact.tenant_id == tenant.id,
                    _r.sent_at.is_not(None),
                    Contact.last_inbound_at >= _whole_second(_r.sent_at, conn.dialect.name),
                )
            )
        ).scalar_one()
        failures = (
            await conn.execute(
                select(_r.error_code, func.count(), func.max(_r.error_detail))
                .where(*_mine(ctx), _r.state == "failed")
                .group_by(_r.error_code)
                .order_by(func.count().desc())
            )
        ).all()
        skips = (
            await conn.execute(
                select(_r.skip_reason, func.count())
                .where(*_mine(ctx), _r.state == "skipped")
                .group_by(_r.skip_reason)
                .order_by(func.count().desc())
            )
        ).all()
    skipped = [SkipLine(reason or "skipped", int(n), explain_skip(reason)) for reason, n in skips]
    for reason, n in sorted((ctx.campaign.suppressed or {}).items()):
        skipped.append(SkipLine(reason, int(n), explain_skip(reason) + " (left out when the campaign started)"))
    sent, delivered, read, cost = (int(v or 0) for v in totals)
    unknown = by_state.get("unknown", 0)

    def share(n: int) -> float:
        return round(n / sent, 4) if sent else 0.0

    return ReportView(
        campaign=view(ctx), recipients=sum(by_state.values()),
        by_state={s: by_state.get(s, 0) for s in RECIPIENT_STATES}, sent=sent, delivered=delivered, read=read,
        replied=int(replied), failed=by_state.get("failed", 0), unknown=unknown,
        unknown_explanation=UNKNOWN_EXPLANATION if unknown else None,
        pending=by_state.get("pending", 0) + by_state.get("sending", 0),
        failures=[FailureLine(code, int(n), explain(code, detail), detail) for code, n, detail in failures],
        skipped=skipped, cost=micro_to_credits(cost), cost_micro=cost,
        reserved=micro_to_credits(ctx.campaign.reserved or 0), released=ctx.campaign.released_at is not None,
        timeline=await _timeline(db, ctx),
        rates={"delivered": share(delivered), "read": share(read), "replied": share(int(replied))},
    )  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


async def export_recipients(
    db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None
) -> AsyncIterator[str]:
    """The campaign's recipients as CSV text, header first, streamed in chunks (one bounded query each). Phone
    numbers leave the system here, so it takes ``contact.export`` as well as ``campaign.read``."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_READ)
    authorize(actor, Action.CONTACT_EXPORT, tenant.path)
    ctx = await load(db, tenant, campaign_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    after = 0
    columns = (
        _r.id, _r.wa_id, _r.contact_id, _r.state, _r.wamid, _r.error_code, _r.error_detail, _r.skip_reason,
        _r.attempts, _r.sent_at, _r.delivered_at, _r.read_at, _r.failed_at, _r.cost,
    )  # fmt: skip
    while True:
        async with db.connect(tenant.scope) as conn:
            rows = (
                await conn.execute(
                    select(*columns).where(*_mine(ctx), _r.id > after).order_by(_r.id).limit(EXPORT_BATCH)
                )
            ).all()
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            explanation = explain(row.error_code, row.error_detail) if row.state == "failed" else (
                explain_skip(row.skip_reason) if row.state == "skipped" else (
                    UNKNOWN_EXPLANATION if row.state == "unknown" else "")
            )  # fmt: skip
            writer.writerow(
                [
                    row.wa_id, _cell(row.contact_id), row.state, _cell(row.wamid), _cell(row.error_code), explanation,
                    _cell(row.error_detail), _cell(row.skip_reason), row.attempts, _cell(row.sent_at),
                    _cell(row.delivered_at), _cell(row.read_at), _cell(row.failed_at), micro_to_credits(row.cost),
                ]
            )  # fmt: skip
        yield buffer.getvalue()
        after = int(rows[-1].id)
