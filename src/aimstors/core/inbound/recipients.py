"""Campaign recipients settled by status webhooks: by wamid, or by ``biz_opaque_callback_data`` = attempt id.

The attempt id lets a status settle a send whose HTTP answer was lost (state ``unknown``, no wamid yet): the
recipient gets the wamid and the state the status reports. States only move forward (pending/sending/unknown <
sent < delivered < read; failed is terminal; a skipped recipient was never sent and is left alone); each
status's time fills its column (``sent_at``, ``delivered_at``, ``read_at``, ``failed_at``) once, even when it
arrives after a later state, so reports see every step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import StatusKind
from aimstors.core.db.models import CampaignRecipient
from aimstors.core.inbound.plan import StatusItem, unix_time
from aimstors.core.inbound.statuses import error_record

__all__ = ["RECIPIENTS", "settle_recipients"]

RECIPIENTS: Final[Table] = cast(Table, CampaignRecipient.__table__)
_r = RECIPIENTS.c

_STATE: Final = {
    StatusKind.SENT: "sent",
    StatusKind.DELIVERED: "delivered",
    StatusKind.READ: "read",
    StatusKind.FAILED: "failed",
}
_RANK: Final = {"pending": 0, "sending": 0, "unknown": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 5}
_TIME: Final = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}
_DETAIL_CHARS = 500


async def settle_recipients(
    conn: AsyncConnection, tenant_id: int, items: Sequence[StatusItem], now: dt.datetime
) -> set[int]:
    """Apply ``items`` to the tenant's campaign recipients; returns the positions in ``items`` that matched."""
    wamids = sorted({i.status.id for i in items if i.status.id})
    attempts = sorted({i.status.biz_opaque_callback_data for i in items if i.status.biz_opaque_callback_data})
    if not wamids and not attempts:
        return set()
    match = []
    if wamids:
        match.append(_r.wamid.in_(wamids))
    if attempts:
        match.append(_r.attempt_id.in_(attempts))
    rows = (
        await conn.execute(
            select(
                _r.id, _r.state, _r.wamid, _r.attempt_id, _r.sent_at, _r.delivered_at, _r.read_at, _r.failed_at,
                _r.error_code, _r.error_detail,
            ).where(_r.tenant_id == tenant_id, or_(*match))
        )
    ).all()  # fmt: skip
    if not rows:
        return set()
    by_wamid = {r.wamid: r for r in rows if r.wamid}
    by_attempt = {r.attempt_id: r for r in rows if r.attempt_id}
    matched: set[int] = set()
    per_recipient: dict[int, list[StatusItem]] = {}
    row_of: dict[int, Any] = {}
    for position, item in enumerate(items):
        status = item.status
        row = (by_wamid.get(status.id) if status.id else None) or (
            by_attempt.get(status.biz_opaque_callback_data) if status.biz_opaque_callback_data else None
        )
        if row is None:
            continue
        matched.add(position)
        per_recipient.setdefault(row.id, []).append(item)
        row_of[row.id] = row
    changes = [c for rid, found in per_recipient.items() if (c := _settle(row_of[rid], found, now)) is not None]
    if changes:
        await conn.execute(
            update(RECIPIENTS)
            .where(_r.tenant_id == tenant_id, _r.id == bindparam("b_id"))
            .values(
                state=bindparam("b_state"),
                wamid=bindparam("b_wamid"),
                sent_at=bindparam("b_sent_at", type_=_r.sent_at.type),
                delivered_at=bindparam("b_delivered_at", type_=_r.delivered_at.type),
                read_at=bindparam("b_read_at", type_=_r.read_at.type),
                failed_at=bindparam("b_failed_at", type_=_r.failed_at.type),
                error_code=bindparam("b_code"),
                error_detail=bindparam("b_detail"),
                updated_at=bindparam("b_now", type_=_r.updated_at.type),
            ),
            changes,
        )
    return matched


def _settle(row: Any, items: Sequence[StatusItem], now: dt.datetime) -> dict[str, Any] | None:
    """The new values of one recipient, or None when nothing changes."""
    if row.state == "skipped":
        return None
    state = row.state
    times = {column: getattr(row, column) for column in _TIME.values()}
    code, detail = row.error_code, row.error_detail
    wamid = row.wamid
    for item in sorted(items, key=lambda i: i.status.rank):
        status = item.status
        new_state = _STATE.get(status.status)
        if new_state is None:
            continue
        wamid = wamid or status.id
        column = _TIME[new_state]
        if times[column] is None:
            times[column] = unix_time(status.timestamp, now)
        if _RANK[new_state] > _RANK.get(state, 0) and state != "failed":
            state = new_state
            if new_state == "failed":
                errors = error_record(status)
                if errors is not None:
                    code = errors["code"]
                    text = ": ".join(str(p) for p in (errors["title"] or errors["message"], errors["details"]) if p)
                    detail = text[:_DETAIL_CHARS] or None
    values = {"b_state": state, "b_wamid": wamid, "b_code": code, "b_detail": detail}
    values |= {f"b_{column}": value for column, value in times.items()}
    before = {"b_state": row.state, "b_wamid": row.wamid, "b_code": row.error_code, "b_detail": row.error_detail}
    before |= {f"b_{column}": getattr(row, column) for column in _TIME.values()}
    if values == before:
        return None
    return values | {"b_id": row.id, "b_now": now}
