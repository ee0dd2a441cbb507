"""What the campaign services return: plain frozen dataclasses, rendered by the CLI and the API as they are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = [
    "CampaignView",
    "CostLine",
    "DispatchReport",
    "FailureLine",
    "PlanView",
    "Progress",
    "ReportView",
    "SkipLine",
    "TimelinePoint",
]


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: int
    tenant: str
    tenant_id: int
    name: str
    state: str
    template: str
    language: str
    category: str
    number: str  # display number
    phone_number_id: str
    audience: str
    parameters: dict[str, str]
    resend_policy: str
    error_threshold_pct: int
    pause_reason: str | None
    reserved: str  # credits held when it started
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CostLine:
    """Messages and their cost for one category or country."""

    key: str
    messages: int
    credits: str
    credits_micro: int


@dataclass(frozen=True, slots=True)
class PlanView:
    """What sending would do, computed without sending or writing anything."""

    campaign_id: int
    name: str
    state: str
    audience: str
    members: int  # selected by the audience spec, before suppression
    suppressed: dict[str, int]  # reason → contacts left out
    recipients: int  # would be sent to
    lacking: dict[str, int]  # what contacts miss for a parameter without fallback → how many
    category: str
    rate_plan: str | None
    price_per_message: str  # the most common price
    cost: str
    cost_micro: int
    cost_by_category: list[CostLine]
    cost_by_country: list[CostLine]
    available: str
    available_micro: int
    enough_credits: bool
    number: str
    throughput_mps: int
    messaging_tier: str | None
    tier_limit: int | None
    eta_seconds: float
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a campaign is, from its recipients' states (cheap enough to poll)."""

    campaign_id: int
    state: str
    pause_reason: str | None
    total: int
    by_state: dict[str, int]
    accepted: int  # Meta accepted: sent + delivered + read (+ failed after acceptance)
    done: int  # no longer pending or sending
    sent_last_minute: int
    dispatchers: int
    cost: str
    cost_micro: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    eta_seconds: float | None


@dataclass(frozen=True, slots=True)
class FailureLine:
    code: int | None
    count: int
    explanation: str
    example: str | None  # Meta's own words for one of them


@dataclass(frozen=True, slots=True)
class SkipLine:
    reason: str
    count: int
    explanation: str


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    minute: str  # YYYY-MM-DDTHH:MM (UTC)
    sent: int
    delivered: int
    read: int
    failed: int


@dataclass(frozen=True, slots=True)
class ReportView:
    campaign: CampaignView
    recipients: int
    by_state: dict[str, int]
    sent: int  # accepted by Meta
    delivered: int
    read: int
    replied: int
    failed: int
    unknown: int
    unknown_explanation: str | None
    pending: int
    failures: list[FailureLine]
    skipped: list[SkipLine]
    cost: str
    cost_micro: int
    reserved: str
    released: bool
    timeline: list[TimelinePoint]
    rates: dict[str, float]  # delivered/read/replied as a share of sent


@dataclass(slots=True)
class DispatchReport:
    """What one dispatcher run did, and why it stopped (``completed``, ``paused``, ``cancelled``, ``stopped``…)."""

    campaign_id: int
    stopped_because: str = ""
    claimed: int = 0
    accepted: int = 0
    failed: int = 0
    retried: int = 0
    throttled: int = 0
    deferred: int = 0
    unknown: int = 0
    skipped: int = 0
    released: int = 0
    charged_micro: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.accepted / self.elapsed if self.elapsed > 0 else 0.0
