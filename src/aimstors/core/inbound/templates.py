"""Template status, quality and category updates applied to the local copies in ``templates``.

Matched by Meta's template id, else by (account, name, language). Status follows Meta's event (``REINSTATED``
and ``UNARCHIVED`` mean approved again; events not known yet are stored as sent). An update older than the
copy's ``updated_at`` (by more than a minute) is skipped, so replaying old events never rolls a template back.
An impending category change (``correct_category``) is not applied until Meta applies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final, cast

from sqlalchemy import Table, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import TemplateCategoryUpdate, TemplateEvent, TemplateQualityUpdate, TemplateStatusUpdate
from aimstors.core.db.models import Template
from aimstors.core.events import DomainEvent, EventType
from aimstors.core.inbound.plan import TemplateItem, unix_time

__all__ = ["TEMPLATES", "apply_template_updates"]

TEMPLATES: Final[Table] = cast(Table, Template.__table__)
_t = TEMPLATES.c
_CLOCK_SLACK: Final = dt.timedelta(seconds=60)  # Meta's whole-second times vs our clock
_STATUS_ALIASES: Final = {TemplateEvent.REINSTATED: "APPROVED", TemplateEvent.UNARCHIVED: "APPROVED"}


def _values(item: TemplateItem) -> dict[str, Any]:
    update_ = item.update
    if isinstance(update_, TemplateStatusUpdate):
        status = _STATUS_ALIASES.get(update_.event) or (update_.event_name or "UNKNOWN").upper()[:32]
        values: dict[str, Any] = {"status": status}
        if update_.event is TemplateEvent.REJECTED:
            values["rejected_reason"] = update_.reason
        if update_.category is not None and update_.category.value != "UNKNOWN":
            values["category"] = update_.category.value
        return values
    if isinstance(update_, TemplateQualityUpdate):
        return {"quality_score": update_.new_quality.value}
    if isinstance(update_, TemplateCategoryUpdate):
        if update_.is_impending or update_.new_category is None or update_.new_category.value == "UNKNOWN":
            return {}
        return {"category": update_.new_category.value}
    return {}


async def apply_template_updates(
    conn: AsyncConnection, tenant_id: int, items: Sequence[TemplateItem], now: dt.datetime
) -> list[DomainEvent]:
    """Apply the tenant's template updates in order; returns a ``template.updated`` event per template changed."""
    wanted = [i for i in items if _values(i)]
    if not wanted:
        return []
    meta_ids = sorted({i.update.template_id for i in wanted if i.update.template_id})
    names = sorted({(i.account.account_id, i.update.template_name) for i in wanted if i.update.template_name})
    match = []
    if meta_ids:
        match.append(_t.meta_id.in_(meta_ids))
    if names:
        match.append(tuple_(_t.account_id, _t.name).in_(names))
    if not match:
        return []
    rows = (
        await conn.execute(
            select(_t.id, _t.account_id, _t.name, _t.language, _t.meta_id, _t.status, _t.quality_score,
                   _t.category, _t.updated_at).where(_t.tenant_id == tenant_id, or_(*match))
        )
    ).all()  # fmt: skip
    state = {row.id: dict(row._mapping) for row in rows}
    changed: set[int] = set()
    for item in wanted:
        target = _find(state.values(), item)
        if target is None:
            continue
        at = unix_time(item.update.time, now)
        if at < target["updated_at"] - _CLOCK_SLACK:
            continue
        at = max(at, target["updated_at"])
        values = _values(item)
        if any(target.get(k) != v for k, v in values.items()):
            target.update(values, updated_at=at)
            await conn.execute(
                update(TEMPLATES)
                .where(_t.tenant_id == tenant_id, _t.id == target["id"])
                .values(**values, updated_at=at)
            )
            changed.add(target["id"])
    return [
        DomainEvent.create(
            tenant_id,
            EventType.TEMPLATE_UPDATED,
            {
                "template_id": state[t]["id"],
                "name": state[t]["name"],
                "language": state[t]["language"],
                "status": state[t]["status"],
                "quality_score": state[t]["quality_score"],
                "category": state[t]["category"],
            },
        )
        for t in sorted(changed)
    ]


def _find(rows: Any, item: TemplateItem) -> dict[str, Any] | None:
    update_ = item.update
    candidates = [r for r in rows if r["account_id"] == item.account.account_id]
    if update_.template_id:
        for row in candidates:
            if row["meta_id"] == update_.template_id:
                return cast(dict[str, Any], row)
    for row in candidates:
        if row["name"] == update_.template_name and (update_.language is None or row["language"] == update_.language):
            return cast(dict[str, Any], row)
    return None
