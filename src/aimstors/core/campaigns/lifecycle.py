"""State changes of a campaign: start (materialise + reserve), schedule, pause, resume, cancel, complete, finalise.

Starting is one transaction: the recipients are written, the campaign turns ``running`` and its whole expected
cost is reserved in the ledger — so a campaign that cannot start (a contact lacking a parameter value, too few
credits, a template Meta does not approve) raises a clear error and leaves nothing behind. Pausing and cancelling
are state changes the dispatchers notice within a fraction of a second (they poll the row). Finalising, once no
send is in flight, charges sends that status webhooks settled after their answer was lost and gives back what is
left of the reservation.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core import ledger
from aimstors.core.billing import price_list
from aimstors.core.campaigns.audience import suppressed_counts
from aimstors.core.campaigns.context import CampaignContext, load, view, workspace
from aimstors.core.campaigns.materialise import RECIPIENTS, ScanTotals, materialise
from aimstors.core.campaigns.parameters import ParameterMap, compile_mapping
from aimstors.core.campaigns.records import CampaignView
from aimstors.core.campaigns.states import FINAL, require_transition
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Campaign
from aimstors.core.errors import Conflict, InsufficientFunds, InvalidInput
from aimstors.core.google.sheets import GoogleSheets
from aimstors.core.ledger.accounts import AccountRef, available_account, reserved_account
from aimstors.core.ledger.postings import Movement, post
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef
from aimstors.core.tenancy.audit import record

__all__ = [
    "cancel_campaign",
    "complete_if_done",
    "finalise",
    "pause_campaign",
    "reservation_key",
    "resume_campaign",
    "schedule_campaign",
    "set_state",
    "start",
]

log = logging.getLogger("aimstors.campaigns")

_c = Campaign.__table__.c
_r = RECIPIENTS.c


def reservation_key(campaign_id: int) -> str:
    return f"campaign:{campaign_id}:reserve"


def check_sendable(ctx: CampaignContext) -> ParameterMap:
    """The campaign's mapping, checked by the templates package's send check against the template as it is now:
    TemplateNotSendable (a Conflict) unless it is approved, InvalidInput when the mapping no longer fits it."""
    return compile_mapping(ctx.template, ctx.campaign.parameters or {}, require_approved=True)


async def set_state(
    conn: AsyncConnection, campaign_id: int, tenant_id: int, *, from_states: set[str], values: dict[str, Any]
) -> bool:
    """Guarded state change: applies ``values`` only while the campaign is in one of ``from_states``."""
    result = await conn.execute(
        update(Campaign)
        .where(_c.tenant_id == tenant_id, _c.id == campaign_id, _c.state.in_(sorted(from_states)))
        .values(**values, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def start(
    db: Database, ctx: CampaignContext, *, actor: Actor | None = None, sheets: GoogleSheets | None = None
) -> CampaignView:
    """draft/scheduled → running: materialise the recipients and reserve their cost, in one transaction.

    Raises InsufficientFunds (nothing reserved or written) when the workspace cannot pay for the whole audience,
    InvalidInput when a contact lacks a parameter value, Conflict when the template is not sendable.
    """
    campaign, tenant = ctx.campaign, ctx.tenant
    require_transition(campaign.id, campaign.state, "running")
    mapping = check_sendable(ctx)
    prices = await price_list(db, tenant.id)
    now = utcnow()
    seen: list[ScanTotals] = []

    async def prepare(conn: AsyncConnection) -> ScanTotals:
        moved = await set_state(conn, campaign.id, tenant.id, from_states={"draft", "scheduled"},
                                values={"state": "running"})  # fmt: skip
        if not moved:
            raise Conflict(f"campaign {campaign.id} was changed meanwhile; it is no longer {campaign.state}")
        _, suppressed = await suppressed_counts(
            db, tenant.id, campaign.audience, category=campaign.category, now=now, conn=conn, sheets=sheets
        )
        totals = await materialise(
            db, conn, campaign.audience, tenant.id, campaign.id, mapping, prices, campaign.category, sheets=sheets
        )
        await conn.execute(
            update(Campaign)
            .where(_c.tenant_id == tenant.id, _c.id == campaign.id)
            .values(started_at=now, pause_reason=None, suppressed=suppressed, reserved=totals.cost, updated_at=now)
        )
        seen.append(totals)
        return totals

    async def reserve(conn: AsyncConnection) -> Movement:
        totals = await prepare(conn)
        if totals.cost == 0:
            raise _NothingToReserve
        return Movement(
            kind="reserve", tenant_id=tenant.id, key=reservation_key(campaign.id),
            debit=AccountRef(tenant.id, available_account("credits")),
            credit=AccountRef(tenant.id, reserved_account("credits")), amount=totals.cost,
            memo=f"campaign {campaign.id}: {totals.recipients} messages",
            actor_user_id=actor.user_id if actor else None,
        )  # fmt: skip

    reservation_id: int | None = None
    try:
        if not any(prices.price(campaign.category, country) for _, country in prices.prices):
            raise _NothingToReserve  # a free rate card: no ledger work at all
        reservation_id = (await post(db, Scope.tenant(tenant.id), reserve)).transaction_id
    except _NothingToReserve:
        async with db.connect(Scope.tenant(tenant.id), write=True) as conn:
            await prepare(conn)
    except InsufficientFunds:
        available = (await ledger.balances(db, tenant.id))["credits"]
        needed = seen[-1] if seen else None
        raise InsufficientFunds(
            f"campaign {campaign.id} needs {ledger.micro_to_credits(needed.cost) if needed else '?'} credits for "
            f"{needed.recipients if needed else '?'} messages and {tenant.slug} has "
            f"{ledger.micro_to_credits(available)} available: nothing was sent",
            hint="top up with `aimstors credits topup`, or narrow the audience",
        ) from None
    if reservation_id is not None:
        async with db.connect(Scope.tenant(tenant.id), write=True) as conn:
            await conn.execute(
                update(Campaign)
                .where(_c.tenant_id == tenant.id, _c.id == campaign.id)
                .values(reservation_id=reservation_id)
            )
    totals = seen[-1]
    log.info(
        "campaign %d started: %d recipients, %d micro-credits reserved", campaign.id, totals.recipients, totals.cost
    )
    if actor is not None:
        await _audit(db, actor, tenant, "campaign.start", campaign.id, {"recipients": totals.recipients,
                                                                        "reserved": totals.cost})  # fmt: skip
    return view(await load(db, tenant, campaign.id))


class _NothingToReserve(Exception):
    """The campaign costs nothing: its start needs no reservation (the reservation's transaction rolls back)."""


async def schedule_campaign(
    db: Database, actor: Actor, campaign_id: int, at: dt.datetime, *, tenant_slug: str | None = None
) -> CampaignView:
    """draft → scheduled; a ``campaign.start`` job starts it at ``at`` (UTC)."""
    from aimstors.core.campaigns.jobs import enqueue_start

    if at.tzinfo is None:
        raise InvalidInput("the start time needs a time zone (e.g. 2026-06-01T09:00:00+02:00)")
    if at <= utcnow():
        raise InvalidInput(f"the start time {at.isoformat()} is in the past; use `campaign send ID` to send now")
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_SEND)
    ctx = await load(db, tenant, campaign_id)
    require_transition(campaign_id, ctx.campaign.state, "scheduled")
    check_sendable(ctx)
    async with db.connect(tenant.scope, write=True) as conn:
        if not await set_state(
            conn, campaign_id, tenant.id, from_states={"draft"}, values={"state": "scheduled", "scheduled_at": at}
        ):
            raise Conflict(f"campaign {campaign_id} was changed meanwhile")
        await enqueue_start(db, tenant.id, campaign_id, at, conn=conn)
    await _audit(db, actor, tenant, "campaign.schedule", campaign_id, {"at": at.isoformat()})
    return view(await load(db, tenant, campaign_id))


async def _audit(
    db: Database, actor: Actor, tenant: TenantRef, action: str, campaign_id: int, details: dict[str, Any]
) -> None:
    async with db.session(tenant.scope, write=True) as session:
        await record(session, actor, tenant.id, action, target_type="campaign", target_id=campaign_id, details=details)


async def pause_campaign(
    db: Database, actor: Actor, campaign_id: int, *, reason: str | None = None, tenant_slug: str | None = None
) -> CampaignView:
    """running → paused; its dispatchers stop within a fraction of a second, returning unsent claims."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_SEND)
    ctx = await load(db, tenant, campaign_id)
    require_transition(campaign_id, ctx.campaign.state, "paused")
    text = reason or "paused by the operator"
    async with db.connect(tenant.scope, write=True) as conn:
        if not await set_state(
            conn, campaign_id, tenant.id, from_states={"running"}, values={"state": "paused", "pause_reason": text}
        ):
            raise Conflict(f"campaign {campaign_id} is no longer running")
    await _audit(db, actor, tenant, "campaign.pause", campaign_id, {"reason": text})
    return view(await load(db, tenant, campaign_id))


async def resume_campaign(
    db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None, enqueue: bool = False
) -> CampaignView:
    """paused → running. With ``enqueue`` a ``campaign.dispatch`` job sends it (a worker); otherwise the caller
    runs a :class:`~aimstors.core.campaigns.dispatcher.Dispatcher`."""
    from aimstors.core.campaigns.jobs import enqueue_dispatch

    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_SEND)
    ctx = await load(db, tenant, campaign_id)
    require_transition(campaign_id, ctx.campaign.state, "running")
    if ctx.campaign.state != "paused":
        raise Conflict(f"campaign {campaign_id} is {ctx.campaign.state}; only a paused campaign resumes",
                       hint="send a draft with `campaign send ID`")  # fmt: skip
    check_sendable(ctx)
    async with db.connect(tenant.scope, write=True) as conn:
        if not await set_state(
            conn, campaign_id, tenant.id, from_states={"paused"}, values={"state": "running", "pause_reason": None}
        ):
            raise Conflict(f"campaign {campaign_id} is no longer paused")
        if enqueue:
            await enqueue_dispatch(db, tenant.id, campaign_id, reason="resume", conn=conn)
    await _audit(db, actor, tenant, "campaign.resume", campaign_id, {})
    return view(await load(db, tenant, campaign_id))


async def cancel_campaign(
    db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None
) -> CampaignView:
    """→ cancelled: recipients not sent yet are skipped (``cancelled``); sends in flight finish and are recorded;
    the rest of the reservation goes back once they have."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_CANCEL)
    ctx = await load(db, tenant, campaign_id)
    require_transition(campaign_id, ctx.campaign.state, "cancelled")
    now = utcnow()
    async with db.connect(tenant.scope, write=True) as conn:
        changed = await set_state(
            conn, campaign_id, tenant.id, from_states={"draft", "scheduled", "running", "paused"},
            values={"state": "cancelled", "finished_at": now},
        )  # fmt: skip
        if not changed:
            raise Conflict(f"campaign {campaign_id} was finished meanwhile")
        await conn.execute(
            update(RECIPIENTS)
            .where(_r.tenant_id == tenant.id, _r.campaign_id == campaign_id, _r.state == "pending")
            .values(state="skipped", skip_reason="cancelled", updated_at=now)
        )
    await _audit(db, actor, tenant, "campaign.cancel", campaign_id, {})
    await finalise(db, tenant.id, campaign_id)
    return view(await load(db, tenant, campaign_id))


async def complete_if_done(conn: AsyncConnection, tenant_id: int, campaign_id: int, *, wait_unknown: bool) -> bool:
    """running → completed when no recipient is pending or sending (nor unknown, with ``wait_unknown``)."""
    busy = ["pending", "sending", "unknown"] if wait_unknown else ["pending", "sending"]
    left = exists(select(_r.id).where(_r.tenant_id == tenant_id, _r.campaign_id == campaign_id, _r.state.in_(busy)))
    result = await conn.execute(
        update(Campaign)
        .where(_c.tenant_id == tenant_id, _c.id == campaign_id, _c.state == "running", ~left)
        .values(state="completed", finished_at=utcnow(), updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finalise(db: Database, tenant_id: int, campaign_id: int, *, now: dt.datetime | None = None) -> bool:
    """Settle a finished campaign's money once nothing is in flight: charge accepted sends not charged yet (answers
    lost, then settled by status webhooks), and release the rest of the reservation. Waits (returns False) while
    sends are in flight or ``unknown`` sends are younger than the resend grace period. Idempotent."""
    now = now or utcnow()
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        row = (
            await conn.execute(
                select(_c.state, _c.reservation_id, _c.released_at, _c.resend_grace_seconds, _c.category).where(
                    _c.tenant_id == tenant_id, _c.id == campaign_id
                )
            )
        ).one()
        if row.state not in FINAL or row.released_at is not None:
            return False
        grace_start = now - dt.timedelta(seconds=row.resend_grace_seconds)
        waiting = (
            await conn.execute(
                select(func.count()).where(
                    _r.tenant_id == tenant_id,
                    _r.campaign_id == campaign_id,
                    (_r.state == "sending") | ((_r.state == "unknown") & (_r.updated_at > grace_start)),
                )
            )
        ).scalar_one()
    if row.state == "cancelled":  # claims given back after the cancel by a dispatcher that was still sending
        async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
            await conn.execute(
                update(RECIPIENTS)
                .where(_r.tenant_id == tenant_id, _r.campaign_id == campaign_id, _r.state == "pending")
                .values(state="skipped", skip_reason="cancelled", updated_at=now)
            )
    if waiting:
        return False
    await charge_settled(db, tenant_id, campaign_id, row.reservation_id, row.category)
    if row.reservation_id is not None:
        await ledger.release(db, tenant_id, row.reservation_id, key=f"campaign:{campaign_id}:release",
                             memo=f"campaign {campaign_id}: unused")  # fmt: skip
    async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
        await conn.execute(
            update(Campaign)
            .where(_c.tenant_id == tenant_id, _c.id == campaign_id, _c.released_at.is_(None))
            .values(released_at=now, dispatchers={}, updated_at=now)
        )
    return True


async def charge_settled(
    db: Database, tenant_id: int, campaign_id: int, reservation_id: int | None, category: str
) -> int:
    """Charge sends that were accepted (they have a wamid) but never charged — answers lost, later settled by a
    status webhook — out of the reservation while it is open, else out of the available credits. Returns how
    many were charged."""
    from aimstors.core.campaigns.claims import ClaimedRecipient
    from aimstors.core.campaigns.results import Outcome, ResultWriter

    async with db.connect(Scope.tenant(tenant_id)) as conn:
        rows = (
            await conn.execute(
                select(_r.id, _r.contact_id, _r.wa_id, _r.price, _r.country, _r.attempt_id, _r.attempts).where(
                    _r.tenant_id == tenant_id,
                    _r.campaign_id == campaign_id,
                    _r.wamid.is_not(None),
                    _r.charged_at.is_(None),
                )
            )
        ).all()
    if not rows:
        return 0
    root_id = await ledger.platform_root_id(db)
    released = False
    async with db.connect(Scope.tenant(tenant_id)) as conn:
        released = (
            await conn.execute(select(_c.released_at).where(_c.tenant_id == tenant_id, _c.id == campaign_id))
        ).scalar_one() is not None
    writer = ResultWriter(db, tenant_id=tenant_id, campaign_id=campaign_id, category=category, root_id=root_id,
                          reservation_id=None if released else reservation_id)  # fmt: skip
    outcomes = [
        Outcome(
            ClaimedRecipient(r.id, r.contact_id, r.wa_id, {}, int(r.price), r.country, r.attempt_id or "", r.attempts),
            "charge",
        )
        for r in rows
    ]  # fmt: skip
    report = await writer.charge_only(outcomes, utcnow(), spend=released)
    return report.charged
