"""Loading a campaign with what working on it needs: its tenant, number, template shape and parameter mapping.

Every campaign service starts here. :func:`workspace` picks the tenant (by slug, the actor's own, or — for the
local operator of a single-business install — the only workspace); :func:`load` reads the campaign and its
template and number in that tenant's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from aimstors.core.campaigns.parameters import ParameterMap, restore
from aimstors.core.campaigns.records import CampaignView
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Campaign, PhoneNumber, Template, Tenant
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.ledger import micro_to_credits
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef, target_tenant

__all__ = ["TIER_LIMITS", "CampaignContext", "load", "view", "workspace"]

TIER_LIMITS: Final[dict[str, int | None]] = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}


async def workspace(db: Database, actor: Actor, slug: str | None, action: Action) -> TenantRef:
    """The workspace a campaign call acts on. The local operator may omit ``slug`` when there is one workspace."""
    if slug is None and actor.tenant_id is None:
        async with db.session(Scope.system()) as session:
            slugs = list(
                await session.scalars(
                    select(Tenant.slug).where(Tenant.kind == "workspace").order_by(Tenant.id).limit(2)
                )
            )
        if len(slugs) != 1:
            raise InvalidInput(
                "name the workspace with --tenant" if slugs else "there is no workspace yet",
                hint="`aimstors tenant list` shows them" if slugs else "create one with `aimstors tenant create`",
            )
        slug = slugs[0]
    return await target_tenant(db, actor, slug, action, kinds={"workspace"}, what="campaign")


@dataclass(frozen=True, slots=True)
class CampaignContext:
    """A campaign row with its tenant, number and template, read in one transaction."""

    tenant: TenantRef
    campaign: Campaign
    number: PhoneNumber
    template: Template

    def mapping(self) -> ParameterMap:
        """The campaign's parameter mapping, checked against the template as it is now."""
        return restore(self.template, self.campaign.parameters or {})


async def load(db: Database, tenant: TenantRef, campaign_id: int) -> CampaignContext:
    """The campaign ``campaign_id`` of ``tenant``; NotFound when it has none with that id."""
    async with db.session(tenant.scope) as session:
        row = (
            await session.execute(
                select(Campaign, PhoneNumber, Template)
                .join(PhoneNumber, PhoneNumber.id == Campaign.phone_number_id)
                .join(Template, Template.id == Campaign.template_id)
                .where(Campaign.tenant_id == tenant.id, Campaign.id == campaign_id)
            )
        ).first()
    if row is None:
        raise NotFound(f"no campaign {campaign_id}", hint="`aimstors campaign list` shows the campaigns")
    return CampaignContext(tenant, row[0], row[1], row[2])


def view(ctx: CampaignContext) -> CampaignView:
    """The :class:`CampaignView` of a loaded campaign."""
    c, n, t = ctx.campaign, ctx.number, ctx.template
    return CampaignView(
        id=c.id, tenant=ctx.tenant.slug, tenant_id=ctx.tenant.id, name=c.name, state=c.state, template=t.name,
        language=t.language,
        category=c.category, number=n.display_number, phone_number_id=n.phone_number_id, audience=c.audience,
        parameters=dict(c.parameters or {}), resend_policy=c.resend_policy, error_threshold_pct=c.error_threshold_pct,
        pause_reason=c.pause_reason, reserved=micro_to_credits(c.reserved or 0), scheduled_at=c.scheduled_at,
        started_at=c.started_at, finished_at=c.finished_at, created_at=c.created_at,
    )  # fmt: skip
