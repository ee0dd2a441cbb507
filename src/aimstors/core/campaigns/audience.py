"""Who a campaign goes to: the campaign engine's view of :mod:`aimstors.core.audiences`, the one place audiences
are defined and resolved.

Specs (kept on ``campaigns.audience`` in their canonical text): ``all``, ``tag:NAME``, ``audience:NAME`` (a saved
audience of any kind: static list, segment, CSV file, Google Sheet), ``campaign:ID:STATUS[,…]`` (retargeting).
Opted-out contacts are always left out; so are contacts held after Meta's per-user marketing limit (131049), for
marketing campaigns — the limit is Meta's on marketing templates only.

:func:`iter_audience` streams the recipients in batches (never the whole audience in memory);
:func:`check_audience` validates a spec when a campaign is created; :func:`suppressed_counts` says how many were
left out, by reason, for the plan and the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.audiences import AudienceSpec, Recipient, audience_spec, count, resolve
from aimstors.core.db import Database
from aimstors.core.google.sheets import GoogleSheets

__all__ = ["BATCH", "Recipient", "check_audience", "iter_audience", "limits_marketing", "suppressed_counts"]

BATCH = 1000


def limits_marketing(category: str) -> bool:
    """Whether contacts held by Meta's per-user marketing limit are left out (marketing templates only)."""
    return category.lower() == "marketing"


async def check_audience(
    db: Database, tenant_id: int, spec: str, *, conn: AsyncConnection | None = None
) -> AudienceSpec:
    """The spec checked against the tenant (NotFound / InvalidInput naming the problem) and made concrete."""
    return await audience_spec(db, tenant_id, spec, conn=conn)


async def iter_audience(
    db: Database,
    tenant_id: int,
    spec: str | AudienceSpec,
    *,
    category: str = "marketing",
    batch_size: int = BATCH,
    now: dt.datetime | None = None,
    conn: AsyncConnection | None = None,
    sheets: GoogleSheets | None = None,
) -> AsyncIterator[list[Recipient]]:
    """The recipients of ``spec`` after suppression, ``batch_size`` at a time: each a (contact_id, wa_id,
    attributes, name). With ``conn`` every query runs in the caller's transaction."""
    async for batch in resolve(
        db, tenant_id, spec, batch_size=batch_size, now=now, conn=conn, sheets=sheets,
        marketing_limited=limits_marketing(category),
    ):  # fmt: skip
        yield batch


async def suppressed_counts(
    db: Database,
    tenant_id: int,
    spec: str | AudienceSpec,
    *,
    category: str = "marketing",
    now: dt.datetime | None = None,
    conn: AsyncConnection | None = None,
    sheets: GoogleSheets | None = None,
) -> tuple[int, dict[str, int]]:
    """(contacts the spec matches before suppression, those left out by reason — zero counts omitted)."""
    found = await count(
        db, tenant_id, spec, now=now, conn=conn, sheets=sheets, marketing_limited=limits_marketing(category)
    )
    reasons = {
        "opted_out": found.opted_out,
        "marketing_limited": found.marketing_limited,
        "invalid_number": found.invalid,
    }
    return found.matched + found.invalid, {reason: n for reason, n in reasons.items() if n}
