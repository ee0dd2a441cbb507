"""Usage events for billable deliveries, from the ``pricing`` object of status webhooks.

Meta charges delivered template messages (per-message pricing since 2025-07-01) and sends ``pricing`` with
``sent`` and with one of ``delivered``/``read``. One ``message`` usage event is recorded per (tenant, wamid) from
the delivered-or-read status that carries billable pricing, with its ``category`` (marketing, utility, …).
Its id is derived from the wamid, so duplicates and replays never count twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Final, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import MessageStatus, PricingType, StatusKind
from aimstors.core.db.models import UsageEvent
from aimstors.core.inbound.plan import StatusItem, unix_time

__all__ = ["USAGE_EVENTS", "is_billable", "record_usage", "usage_id"]

USAGE_EVENTS: Final[Table] = cast(Table, UsageEvent.__table__)
_u = USAGE_EVENTS.c
_NAMESPACE: Final = uuid.UUID("6f1c1d6a-3a51-4c55-9d0e-2f61f2a4c0de")
_CHARGED_AT: Final = frozenset({StatusKind.DELIVERED, StatusKind.READ})
_FREE: Final = frozenset({PricingType.FREE_CUSTOMER_SERVICE, PricingType.FREE_ENTRY_POINT})


def usage_id(tenant_id: int, wamid: str) -> uuid.UUID:
    """The id of the usage event of one delivered message (stable, so it is recorded once)."""
    return uuid.uuid5(_NAMESPACE, f"message:{tenant_id}:{wamid}")


def is_billable(status: MessageStatus) -> bool:
    """True for a delivered/read status whose pricing says Meta charges it."""
    pricing = status.pricing
    if status.status not in _CHARGED_AT or pricing is None or not status.id or pricing.type in _FREE:
        return False
    if pricing.billable is not None:  # slated for deprecation; without it, "regular" pricing is charged
        return pricing.billable
    return pricing.type is PricingType.REGULAR


async def record_usage(conn: AsyncConnection, tenant_id: int, items: Sequence[StatusItem], now: dt.datetime) -> int:
    """Insert the usage events of billable statuses not recorded yet; returns how many were new."""
    candidates: dict[uuid.UUID, dict[str, Any]] = {}
    for item in items:
        status = item.status
        if not is_billable(status) or status.id is None or status.pricing is None:
            continue
        event_id = usage_id(tenant_id, status.id)
        candidates.setdefault(
            event_id,
            {
                "id": event_id,
                "occurred_at": unix_time(status.timestamp, now),
                "tenant_id": tenant_id,
                "kind": "message",
                "category": (status.pricing.category_name or "").lower().replace("-", "_")[:32],
                "country": "",
                "quantity": 1,
                "cost": 0,  # priced from the rate card when usage is rolled up
                "ref": status.id[:128],
                "details": {
                    "pricing_model": status.pricing.pricing_model,
                    "pricing_type": status.pricing.type.value,
                    "status": status.status.value,
                },
            },
        )
    if not candidates:
        return 0
    known = set(
        (await conn.execute(select(_u.id).where(_u.tenant_id == tenant_id, _u.id.in_(sorted(candidates))))).scalars()
    )
    rows = [row for event_id, row in candidates.items() if event_id not in known]
    if rows:
        await conn.execute(insert(USAGE_EVENTS), rows)
    return len(rows)
