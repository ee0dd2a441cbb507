"""The broadcast engine (DESIGN §3 "Campaigns", §4 "Outbound campaign").

    view = await create_campaign(db, actor, name="June", template="summer_sale", audience="tag:vip",
                                 params=["1=attr.first_name|there"])
    plan = await plan_campaign(db, actor, view.id)          # audience, cost, throughput, ETA; nothing sent
    await send_campaign(services, actor, view.id)           # start (materialise + reserve) and send here
    await send_campaign(services, actor, view.id, detach=True)   # … or let a worker send it
    await schedule_campaign(db, actor, view.id, at)         # a `campaign.start` job at `at`
    await pause_campaign(db, actor, view.id)                # dispatchers stop within a fraction of a second
    await resume_campaign(db, actor, view.id)  /  await cancel_campaign(db, actor, view.id)
    await campaign_progress(db, actor, view.id)  /  await campaign_report(db, actor, view.id)
    async for chunk in export_recipients(db, actor, view.id): ...

Modules: ``states`` (the state machine), ``parameters`` (placeholder mapping), ``audience`` (who, streamed),
``materialise`` (recipient rows), ``service`` (create, list, plan), ``lifecycle`` (start, pause, resume, cancel,
finalise), ``claims`` (the queue's SQL), ``pacing`` (token bucket + AIMD), ``outcomes`` (what an answer means),
``results`` (batched recording and charging), ``dispatcher`` (the engine), ``reconcile`` (lost answers, dead
dispatchers), ``reports``, ``explanations`` (Meta's error codes in words), ``jobs`` (queue handlers: :func:`register`).
"""

from __future__ import annotations

from aimstors.core.campaigns.audience import check_audience, iter_audience
from aimstors.core.campaigns.dispatcher import Dispatcher, DispatchOptions
from aimstors.core.campaigns.jobs import enqueue_dispatch, register
from aimstors.core.campaigns.lifecycle import (
    cancel_campaign,
    finalise,
    pause_campaign,
    resume_campaign,
    schedule_campaign,
)
from aimstors.core.campaigns.reconcile import sweep
from aimstors.core.campaigns.records import (
    CampaignView,
    CostLine,
    DispatchReport,
    FailureLine,
    PlanView,
    Progress,
    ReportView,
    SkipLine,
    TimelinePoint,
)
from aimstors.core.campaigns.reports import EXPORT_COLUMNS, campaign_progress, campaign_report, export_recipients
from aimstors.core.campaigns.sending import StartResult, send_campaign, start_campaign
from aimstors.core.campaigns.service import create_campaign, get_campaign, list_campaigns, plan_campaign
from aimstors.core.campaigns.states import CAMPAIGN_STATES, RECIPIENT_STATES

__all__ = [
    "CAMPAIGN_STATES",
    "EXPORT_COLUMNS",
    "RECIPIENT_STATES",
    "CampaignView",
    "CostLine",
    "DispatchOptions",
    "DispatchReport",
    "Dispatcher",
    "FailureLine",
    "PlanView",
    "Progress",
    "ReportView",
    "SkipLine",
    "StartResult",
    "TimelinePoint",
    "campaign_progress",
    "campaign_report",
    "cancel_campaign",
    "check_audience",
    "create_campaign",
    "enqueue_dispatch",
    "export_recipients",
    "finalise",
    "get_campaign",
    "iter_audience",
    "list_campaigns",
    "pause_campaign",
    "plan_campaign",
    "register",
    "resume_campaign",
    "schedule_campaign",
    "send_campaign",
    "start_campaign",
    "sweep",
]
