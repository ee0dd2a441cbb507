"""Sending a campaign: start it now (or at a time), then send it here or hand it to a worker.

``send_campaign`` is what ``aimstors campaign send`` does: a draft is started (recipients materialised, cost
reserved — :func:`~aimstors.core.campaigns.lifecycle.start`), a running campaign is joined as it is; then either a
:class:`~aimstors.core.campaigns.dispatcher.Dispatcher` sends it in this process until it stops, or (``detach``) a
``campaign.dispatch`` job lets a worker do it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from aimstors.core.campaigns.context import load, view, workspace
from aimstors.core.campaigns.dispatcher import Dispatcher, DispatchOptions
from aimstors.core.campaigns.jobs import enqueue_dispatch
from aimstors.core.campaigns.lifecycle import schedule_campaign, start
from aimstors.core.campaigns.records import CampaignView, DispatchReport
from aimstors.core.db import Database
from aimstors.core.errors import Conflict
from aimstors.core.google.sheets import GoogleSheets
from aimstors.core.security import Action, Actor
from aimstors.core.services import Services

__all__ = ["StartResult", "send_campaign", "start_campaign"]


@dataclass(frozen=True, slots=True)
class StartResult:
    """The campaign after ``send``; ``report`` when it was sent here, ``jobs`` when a worker will send it."""

    campaign: CampaignView
    report: DispatchReport | None = None
    jobs: list[int] = field(default_factory=list)


async def start_campaign(
    db: Database,
    actor: Actor,
    campaign_id: int,
    *,
    tenant_slug: str | None = None,
    sheets: GoogleSheets | None = None,
) -> CampaignView:
    """Make the campaign ``running`` (a draft or scheduled one is started: recipients and reservation); a running
    campaign is returned as it is. Conflict for a paused (resume it) or finished campaign. ``sheets`` reads a
    Google Sheet audience."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_SEND)
    ctx = await load(db, tenant, campaign_id)
    state = ctx.campaign.state
    if state == "running":
        return view(ctx)
    if state == "paused":
        raise Conflict(f"campaign {campaign_id} is paused", hint="resume it with `campaign resume ID`")
    return await start(db, ctx, actor=actor, sheets=sheets)


async def send_campaign(
    services: Services,
    actor: Actor,
    campaign_id: int,
    *,
    tenant_slug: str | None = None,
    at: dt.datetime | None = None,
    detach: bool = False,
    workers: int = 1,
    options: DispatchOptions | None = None,
) -> StartResult:
    """Send now (here, until it stops; or ``detach``: by ``workers`` worker jobs), or schedule it ``at`` a time."""
    db = services.db
    if at is not None:
        return StartResult(await schedule_campaign(db, actor, campaign_id, at, tenant_slug=tenant_slug))
    async with GoogleSheets.from_services(services) as sheets:
        started = await start_campaign(db, actor, campaign_id, tenant_slug=tenant_slug, sheets=sheets)
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_SEND)
    if detach:
        jobs = await enqueue_dispatch(db, tenant.id, campaign_id, reason="send", workers=workers)
        return StartResult(started, jobs=jobs)
    report = await Dispatcher(services, tenant.id, campaign_id, options).run()
    return StartResult(view(await load(db, tenant, campaign_id)), report=report)
