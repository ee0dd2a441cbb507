"""What an audience looks like to callers: its row, a one-line summary of its rules, and its size where cheap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aimstors.core.audiences.definitions import (
    CsvFileRules,
    RetargetRules,
    Rules,
    SegmentRules,
    SheetRules,
    StaticRules,
    rules_from_json,
)
from aimstors.core.audiences.recipients import AudienceCount, Recipient
from aimstors.core.db.models import Audience

__all__ = ["AudiencePreview", "AudienceView", "audience_view", "summarise"]


@dataclass(frozen=True, slots=True)
class AudienceView:
    """A saved audience. ``members`` is the size of a static list (None for other kinds: see ``count``)."""

    id: int
    tenant: str
    name: str
    kind: str
    definition: dict[str, Any]
    summary: str
    members: int | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AudiencePreview:
    """An audience, how it counts now, and its first few recipients."""

    audience: AudienceView
    count: AudienceCount
    sample: list[Recipient]


def _segment_summary(rules: SegmentRules) -> str:
    parts: list[str] = []
    if rules.tags:
        parts.append("tagged " + " and ".join(rules.tags))
    if rules.any_tags:
        parts.append("tagged any of " + ", ".join(rules.any_tags))
    if rules.without_tags:
        parts.append("not tagged " + ", ".join(rules.without_tags))
    for test in rules.attributes:
        parts.append(f"{test.name} exists" if test.op == "exists" else f"{test.name} {test.op} {test.value!r}")
    if rules.inbound_within:
        parts.append(f"wrote within {rules.inbound_within}")
    if rules.inbound_older_than:
        parts.append(f"silent for {rules.inbound_older_than} or more")
    if rules.opted_out is not None:
        parts.append("opted out" if rules.opted_out else "not opted out")
    return "; ".join(parts) or "every contact"


def summarise(rules: Rules) -> str:
    """A one-line description of ``rules`` for listings."""
    if isinstance(rules, SegmentRules):
        return _segment_summary(rules)
    if isinstance(rules, StaticRules):
        return f"list ({rules.source})" if rules.source else "list"
    if isinstance(rules, CsvFileRules):
        return f"file {rules.path}"
    if isinstance(rules, SheetRules):
        return f"sheet {rules.spreadsheet_id} {rules.range}"
    assert isinstance(rules, RetargetRules)
    return f"campaign {rules.campaign_id}: {', '.join(rules.statuses)}"


def audience_view(row: Audience, tenant_slug: str, members: int | None) -> AudienceView:
    rules = rules_from_json(row.kind, row.definition or {})
    return AudienceView(
        id=row.id,
        tenant=tenant_slug,
        name=row.name,
        kind=row.kind,
        definition=dict(row.definition or {}),
        summary=summarise(rules),
        members=members,
        created_at=row.created_at,
    )
