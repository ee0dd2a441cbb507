"""Reconciliation: what becomes of sends whose dispatcher died, and of campaigns nobody is sending.

- A ``sending`` recipient whose lease expired (its dispatcher was killed mid-send) becomes ``unknown``: Meta may or
  may not have accepted it. A status webhook carrying its attempt id (``biz_opaque_callback_data``) settles it
  (the inbound processor moves it to sent/delivered/read or failed); it is never resent blindly.
- The campaign's resend policy decides after its grace period: ``never`` (the default) leaves it ``unknown``;
  ``after_grace`` sends it again (a new attempt) — at the risk of a duplicate if its webhook was lost too.
- :func:`sweep` (the ``campaign.sweep`` job, every minute) does this for every running campaign, hands campaigns
  whose dispatchers are gone to a worker again, and finalises finished campaigns (charges, reservation release).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import exists, select, update

from aimstors.core.campaigns import claims
from aimstors.core.campaigns.materialise import RECIPIENTS
from aimstors.core.campaigns.states import FINAL
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Campaign, Job

__all__ = ["SweepReport", "reconcile_campaign", "sweep"]

log = logging.getLogger("aimstors.campaigns")

_c = Campaign.__table__.c
_r = RECIPIENTS.c
LATE_CHARGE_WINDOW = dt.timedelta(days=7)


async def reconcile_campaign(
    db: Database,
    tenant_id: int,
    campaign_id: int,
    resend_policy: str,
    grace_seconds: int,
    *,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Expire dead dispatchers' leases (→ ``unknown``) and apply the resend policy; returns (expired, resent)."""
    now = now or utcnow()
    resent = 0
    async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
        expired = await claims.expire_leases(conn, tenant_id, campaign_id, now)
        if resend_policy == "after_grace":
            result = await conn.execute(
                update(RECIPIENTS)
                .where(
                    _r.tenant_id == tenant_id,
                    _r.campaign_id == campaign_id,
                    _r.state == "unknown",
                    _r.wamid.is_(None),
                    _r.updated_at <= now - dt.timedelta(seconds=grace_seconds),
                )
                .values(state="pending", not_before=None, updated_at=now)
            )
            resent = int(result.rowcount)  # type: ignore[attr-defined]
    if expired or resent:
        log.info("campaign %d: %d send(s) without an answer are unknown, %d to resend", campaign_id, expired, resent)
    return expired, resent


@dataclass(slots=True)
class SweepReport:
    reconciled: int = 0
    redispatched: list[int] = field(default_factory=list)
    finalised: list[int] = field(default_factory=list)
    late_charged: int = 0


def _live(dispatchers: dict[str, str] | None, now: dt.datetime) -> bool:
    for at in (dispatchers or {}).values():
        try:
            if dt.datetime.fromisoformat(str(at)) > now:
                return True
        except ValueError:
            continue
    return False


async def sweep(db: Database, *, now: dt.datetime | None = None) -> SweepReport:
    """One pass over every campaign that may need attention (see the module docstring)."""
    from aimstors.core.campaigns.jobs import DISPATCH_KIND, dispatch_key_prefix, enqueue_dispatch
    from aimstors.core.campaigns.lifecycle import charge_settled, finalise

    now = now or utcnow()
    report = SweepReport()
    async with db.connect(Scope.system()) as conn:
        running = (
            await conn.execute(
                select(_c.tenant_id, _c.id, _c.dispatchers, _c.resend_policy, _c.resend_grace_seconds).where(
                    _c.state == "running"
                )
            )
        ).all()
        unreleased = (
            await conn.execute(select(_c.tenant_id, _c.id).where(_c.state.in_(sorted(FINAL)), _c.released_at.is_(None)))
        ).all()
        uncharged = exists(
            select(_r.id).where(
                _r.tenant_id == _c.tenant_id, _r.campaign_id == _c.id, _r.wamid.is_not(None), _r.charged_at.is_(None)
            )
        )
        late = (
            await conn.execute(
                select(_c.tenant_id, _c.id, _c.reservation_id, _c.category).where(
                    _c.state.in_(sorted(FINAL)),
                    _c.released_at.is_not(None),
                    _c.finished_at > now - LATE_CHARGE_WINDOW,
                    uncharged,
                )
            )
        ).all()
        queued = set()
        if running:
            keys = await conn.execute(
                select(Job.dedupe_key).where(Job.kind == DISPATCH_KIND, Job.status.in_(["queued", "running"]))
            )
            queued = {str(k) for (k,) in keys if k}
    for tenant_id, campaign_id, dispatchers, policy, grace in running:
        expired, _ = await reconcile_campaign(db, tenant_id, campaign_id, policy, grace, now=now)
        report.reconciled += expired
        prefix = dispatch_key_prefix(campaign_id)
        if not _live(dispatchers, now) and not any(k.startswith(prefix) for k in queued):
            await enqueue_dispatch(db, tenant_id, campaign_id, reason=f"sweep:{now:%Y%m%dT%H%M}")
            report.redispatched.append(campaign_id)
    for tenant_id, campaign_id in unreleased:
        if await finalise(db, tenant_id, campaign_id, now=now):
            report.finalised.append(campaign_id)
    for tenant_id, campaign_id, reservation_id, category in late:
        report.late_charged += await charge_settled(db, tenant_id, campaign_id, reservation_id, category)
    return report
