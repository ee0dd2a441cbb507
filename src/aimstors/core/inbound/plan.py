"""From parsed webhook events to work per tenant, and the outcome to record on each event.

Every update of every event is either routed to a tenant (and lands in that tenant's :class:`TenantWork`) or
counted as unroutable on its event. Updates aimstors does not act on (errors about a number, group events,
account notices, unknown fields) are routed for the record and otherwise left in the raw event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from aimstors.core.channel import (
    InboundMessage,
    MessageStatus,
    TemplateCategoryUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    WebhookEvent,
)
from aimstors.core.inbound.jobs import EventRef
from aimstors.core.inbound.routing import AccountRoute, NumberRoute, Routes

__all__ = [
    "EventOutcome",
    "InboundItem",
    "ParsedEvent",
    "StatusItem",
    "TemplateItem",
    "TemplateUpdate",
    "TenantWork",
    "build_plan",
    "ids_to_route",
    "unix_time",
]

TemplateUpdate = TemplateStatusUpdate | TemplateQualityUpdate | TemplateCategoryUpdate


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """A stored event and its parse (``event`` is None when the stored body cannot be parsed)."""

    index: int
    ref: EventRef
    event: WebhookEvent | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class InboundItem:
    event: int  # index of the webhook event it came in
    number: NumberRoute
    message: InboundMessage


@dataclass(frozen=True, slots=True)
class StatusItem:
    event: int
    number: NumberRoute
    status: MessageStatus


@dataclass(frozen=True, slots=True)
class TemplateItem:
    event: int
    account: AccountRoute
    update: TemplateUpdate


@dataclass(slots=True)
class TenantWork:
    tenant_id: int
    inbound: list[InboundItem] = field(default_factory=list)
    statuses: list[StatusItem] = field(default_factory=list)
    templates: list[TemplateItem] = field(default_factory=list)

    @property
    def events(self) -> set[int]:
        return {i.event for i in self.inbound} | {s.event for s in self.statuses} | {t.event for t in self.templates}


@dataclass(slots=True)
class EventOutcome:
    """What processing did with one stored event; :attr:`status` is what ``webhook_events.status`` records."""

    ref: EventRef
    tenants: set[int] = field(default_factory=set)
    unroutable: int = 0
    unmatched: int = 0
    error: str | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        if self.unroutable:
            return "unroutable"
        if self.unmatched:
            return "unmatched"
        return "processed"

    @property
    def tenant_id(self) -> int | None:
        """The tenant when exactly one; else None (unroutable, or a WABA shared by tenants)."""
        return next(iter(self.tenants)) if len(self.tenants) == 1 else None

    def describe(self) -> str | None:
        """A note for ``webhook_events.error``: why it failed, or what was left over (counts only)."""
        if self.error is not None:
            return self.error
        notes = []
        if self.unroutable:
            notes.append(f"{self.unroutable} update(s) for a phone number or account not connected here")
        if self.unmatched:
            notes.append(f"{self.unmatched} status(es) for messages not known (yet)")
        return "; ".join(notes) or None


def ids_to_route(events: Sequence[ParsedEvent]) -> tuple[set[str], set[str]]:
    """The phone-number ids and WABA ids the events mention."""
    numbers: set[str] = set()
    accounts: set[str] = set()
    for parsed in events:
        if parsed.event is None:
            continue
        for pnid, update in parsed.event.updates():
            if pnid is not None:
                numbers.add(pnid)
            elif waba_id := getattr(update, "waba_id", None):
                accounts.add(waba_id)
    return numbers, accounts


def build_plan(events: Sequence[ParsedEvent], routes: Routes) -> tuple[dict[int, TenantWork], list[EventOutcome]]:
    """Group the updates of ``events`` by tenant; count what cannot be routed on each event's outcome."""
    work: dict[int, TenantWork] = {}
    outcomes: list[EventOutcome] = []

    def tenant(tenant_id: int) -> TenantWork:
        return work.setdefault(tenant_id, TenantWork(tenant_id))

    for parsed in events:
        outcome = EventOutcome(parsed.ref, error=parsed.error)
        outcomes.append(outcome)
        if parsed.event is None:
            continue
        for pnid, update in parsed.event.updates():
            if pnid is None:
                waba_id = getattr(update, "waba_id", None)
                accounts = routes.accounts.get(waba_id, []) if waba_id else []
                if not accounts:
                    outcome.unroutable += 1
                    continue
                for account in accounts:
                    outcome.tenants.add(account.tenant_id)
                    if isinstance(update, TemplateUpdate):
                        tenant(account.tenant_id).templates.append(TemplateItem(parsed.index, account, update))
                continue
            number = routes.numbers.get(pnid)
            if number is None:
                outcome.unroutable += 1
                continue
            outcome.tenants.add(number.tenant_id)
            if isinstance(update, InboundMessage):
                if update.group_id is None:  # group chats are kept raw; the inbox handles one-to-one threads
                    tenant(number.tenant_id).inbound.append(InboundItem(parsed.index, number, update))
            elif isinstance(update, MessageStatus):
                tenant(number.tenant_id).statuses.append(StatusItem(parsed.index, number, update))
            # Anything else (errors about the number, group events, unknown fields) stays in the raw event.
    return work, outcomes


def unix_time(timestamp: int | None, default: dt.datetime) -> dt.datetime:
    """Meta's Unix-seconds timestamp as aware UTC; ``default`` when absent or absurd."""
    if timestamp is None or timestamp <= 0:
        return default
    try:
        return dt.datetime.fromtimestamp(timestamp, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return default
