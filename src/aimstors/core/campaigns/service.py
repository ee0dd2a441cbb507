"""Creating, finding and planning campaigns (nothing here sends or reserves anything).

view = await create_campaign(db, actor, name="June promo", template="summer_sale", language="en_US",
                             audience="tag:vip", params=["1=attr.first_name|there"])
plan = await plan_campaign(db, actor, view.id)   # audience after suppression, cost, throughput, ETA
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, or_, select

from aimstors.core.billing import price_list
from aimstors.core.campaigns.audience import check_audience, suppressed_counts
from aimstors.core.campaigns.context import TIER_LIMITS, CampaignContext, load, view, workspace
from aimstors.core.campaigns.materialise import ScanTotals, scan
from aimstors.core.campaigns.pacing import HEADROOM
from aimstors.core.campaigns.parameters import compile_mapping, parse_assignments
from aimstors.core.campaigns.records import CampaignView, CostLine, PlanView
from aimstors.core.campaigns.states import CAMPAIGN_STATES
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Campaign, PhoneNumber, Template
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.google.sheets import GoogleSheets
from aimstors.core.ledger import balances, micro_to_credits
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef
from aimstors.core.tenancy.audit import record

__all__ = ["PACE", "RESEND_POLICIES", "create_campaign", "get_campaign", "list_campaigns", "plan_campaign"]

PACE = HEADROOM
"""Share of a number's throughput the dispatcher aims at (for ETAs)."""
RESEND_POLICIES = ("never", "after_grace")
MAX_NAME = 200


async def _number(db: Database, tenant: TenantRef, number: str | None) -> PhoneNumber:
    async with db.session(tenant.scope) as session:
        stmt = select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)
        if number is not None:
            digits = "".join(ch for ch in number if ch.isdigit())
            conditions = [PhoneNumber.phone_number_id == number, PhoneNumber.display_number == number]
            if digits:
                conditions.append(
                    func.replace(func.replace(func.replace(PhoneNumber.display_number, "+", ""), " ", ""), "-", "")
                    == digits
                )
            stmt = stmt.where(or_(*conditions))
        found = list(await session.scalars(stmt.order_by(PhoneNumber.id).limit(2)))
    if not found:
        raise NotFound(
            f"no WhatsApp number {number!r} in {tenant.slug}" if number else f"{tenant.slug} has no WhatsApp number",
            hint="connect one with `aimstors whatsapp connect`",
        )
    if len(found) > 1:
        raise InvalidInput(f"{tenant.slug} has several WhatsApp numbers; pick one with --number PHONE_NUMBER_ID")
    return found[0]


async def _template(db: Database, tenant: TenantRef, number: PhoneNumber, name: str, language: str | None) -> Template:
    async with db.session(tenant.scope) as session:
        stmt = select(Template).where(
            Template.tenant_id == tenant.id, Template.account_id == number.account_id, Template.name == name
        )
        if language is not None:
            stmt = stmt.where(Template.language == language)
        found = list(await session.scalars(stmt.order_by(Template.language)))
    if not found:
        where = f" in {language}" if language else ""
        raise NotFound(
            f"no template {name!r}{where} on the WhatsApp account of {number.display_number}",
            hint="`aimstors templates list` shows them; `aimstors templates sync` fetches Meta's",
        )
    if len(found) > 1:
        languages = ", ".join(t.language for t in found)
        raise InvalidInput(f"template {name!r} exists in several languages ({languages}); pick one with --language")
    return found[0]


async def create_campaign(
    db: Database,
    actor: Actor,
    *,
    name: str,
    template: str,
    language: str | None = None,
    audience: str = "all",
    params: list[str] | None = None,
    number: str | None = None,
    tenant_slug: str | None = None,
    resend_policy: str = "never",
    resend_grace_seconds: int = 600,
    error_threshold_pct: int = 20,
) -> CampaignView:
    """A draft campaign: ``template`` (by name and language) on ``number`` (the workspace's only one by default)
    to ``audience``, with ``params`` mapping each placeholder (``["1=attr.first_name", "2=literal:20%"]``).

    Every input is checked now — the template's placeholders against the mapping, the audience spec — and a
    mistake raises InvalidInput / NotFound naming it, with nothing written.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"a campaign name is 1-{MAX_NAME} characters")
    if resend_policy not in RESEND_POLICIES:
        raise InvalidInput(f"resend policy must be one of {', '.join(RESEND_POLICIES)}, not {resend_policy!r}")
    if not 0 < error_threshold_pct <= 100:
        raise InvalidInput("the error threshold is a percentage from 1 to 100")
    if resend_grace_seconds < 0:
        raise InvalidInput("the resend grace period must not be negative")
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_WRITE)
    found_number = await _number(db, tenant, number)
    found_template = await _template(db, tenant, found_number, template, language)
    mapping = compile_mapping(found_template, parse_assignments(params or []))
    now = utcnow()
    spec = await check_audience(db, tenant.id, audience)
    async with db.session(tenant.scope, write=True) as session:
        campaign = Campaign(
            tenant_id=tenant.id, name=name, phone_number_id=found_number.id, template_id=found_template.id,
            audience_id=spec.audience_id, audience=spec.text,
            category=found_template.category.lower(), state="draft", parameters=mapping.stored(),
            resend_policy=resend_policy, resend_grace_seconds=resend_grace_seconds,
            error_threshold_pct=error_threshold_pct, suppressed={}, dispatchers={}, reserved=0,
            created_by=actor.user_id, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(campaign)
        await session.flush()
        await record(
            session, actor, tenant.id, "campaign.create", target_type="campaign", target_id=campaign.id,
            details={"template": found_template.name, "audience": spec.text},
        )  # fmt: skip
        campaign_id = campaign.id
    return view(await load(db, tenant, campaign_id))


async def get_campaign(db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None) -> CampaignView:
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_READ)
    return view(await load(db, tenant, campaign_id))


async def list_campaigns(
    db: Database, actor: Actor, *, tenant_slug: str | None = None, state: str | None = None, limit: int = 50
) -> list[CampaignView]:
    """The workspace's campaigns, newest first."""
    if state is not None and state not in CAMPAIGN_STATES:
        raise InvalidInput(f"unknown campaign state {state!r}; use one of {', '.join(CAMPAIGN_STATES)}")
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be from 1 to 1000")
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_READ)
    async with db.session(tenant.scope) as session:
        stmt = select(Campaign.id).where(Campaign.tenant_id == tenant.id).order_by(Campaign.id.desc()).limit(limit)
        if state is not None:
            stmt = stmt.where(Campaign.state == state)
        ids = list(await session.scalars(stmt))
    return [view(await load(db, tenant, campaign_id)) for campaign_id in ids]


def _lines(counts: Counter[str], costs: Counter[str], top: int = 10) -> list[CostLine]:
    return [CostLine(key or "?", n, micro_to_credits(costs[key]), costs[key]) for key, n in counts.most_common(top)]


async def plan_campaign(
    db: Database, actor: Actor, campaign_id: int, *, tenant_slug: str | None = None, sheets: GoogleSheets | None = None
) -> PlanView:
    """What sending would do — audience after suppression, cost per category and country, the number's throughput
    and messaging tier, ETA — read only: nothing is sent, reserved or written."""
    tenant = await workspace(db, actor, tenant_slug, Action.CAMPAIGN_READ)
    ctx = await load(db, tenant, campaign_id)
    return await _plan(db, ctx, sheets)


async def _plan(db: Database, ctx: CampaignContext, sheets: GoogleSheets | None) -> PlanView:
    campaign, number, tenant = ctx.campaign, ctx.number, ctx.tenant
    mapping = ctx.mapping()
    prices = await price_list(db, tenant.id)
    totals = ScanTotals()
    now = utcnow()
    async with db.connect(tenant.scope) as conn:
        members, suppressed = await suppressed_counts(
            db, tenant.id, campaign.audience, category=campaign.category, now=now, conn=conn, sheets=sheets
        )
        batches = scan(db, conn, campaign.audience, tenant.id, mapping, prices, campaign.category, now=now,
                       sheets=sheets)  # fmt: skip
        async for batch in batches:
            for item in batch:
                totals.add(item)
    available = (await balances(db, tenant.id))["credits"]
    pace = max(1.0, number.throughput_mps * PACE)
    tier_limit = TIER_LIMITS.get(number.messaging_tier or "", None)
    warnings: list[str] = []
    if totals.lacking:
        warnings.append(totals.lacking_error().message)
    if not prices.covers(campaign.category):
        warnings.append(f"no rate card prices {campaign.category} messages for this workspace: they cost 0 credits")
    if totals.cost > available:
        warnings.append(
            f"not enough credits: {micro_to_credits(totals.cost)} needed, {micro_to_credits(available)} available"
        )
    if tier_limit is not None and totals.recipients > tier_limit and campaign.category == "marketing":
        warnings.append(
            f"the number's messaging tier ({number.messaging_tier}) allows {tier_limit:,} unique users outside the "
            "customer-service window per 24 hours; Meta refuses the rest"
        )
    if ctx.template.status.upper() != "APPROVED":
        warnings.append(f"template {ctx.template.name} is {ctx.template.status}, not APPROVED: sending will refuse")
    if totals.recipients == 0:
        warnings.append("the audience is empty after suppression: nothing would be sent")
    common_price = totals.prices.most_common(1)[0][0] if totals.prices else prices.price(campaign.category)
    category = campaign.category or "uncategorised"
    return PlanView(
        campaign_id=campaign.id, name=campaign.name, state=campaign.state, audience=campaign.audience,
        members=members,
        suppressed=suppressed, recipients=totals.recipients, lacking=dict(totals.lacking), category=category,
        rate_plan=prices.plan, price_per_message=micro_to_credits(common_price), cost=micro_to_credits(totals.cost),
        cost_micro=totals.cost,
        cost_by_category=[CostLine(category, totals.recipients, micro_to_credits(totals.cost), totals.cost)],
        cost_by_country=_lines(totals.by_country, totals.cost_by_country), available=micro_to_credits(available),
        available_micro=available, enough_credits=totals.cost <= available, number=number.display_number,
        throughput_mps=number.throughput_mps, messaging_tier=number.messaging_tier, tier_limit=tier_limit,
        eta_seconds=round(totals.recipients / pace, 2), warnings=warnings,
    )  # fmt: skip
