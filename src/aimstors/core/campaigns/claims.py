"""The dispatcher's statements on ``campaign_recipients``, the campaign's queue; the dialects differ only here.

- Claim: ``UPDATE … WHERE id IN (SELECT id … pending, due, ORDER BY id LIMIT n) RETURNING …`` marks a batch
  ``sending`` with a fresh attempt id *before* any HTTP call, so a dispatcher that dies mid-send leaves its rows
  ``sending`` (reconciled as ``unknown``, never resent blindly). On Postgres the inner select takes
  ``FOR UPDATE SKIP LOCKED`` so several dispatcher processes share a campaign without waiting on each other; on
  SQLite the caller's ``BEGIN IMMEDIATE`` serialises claims. Both read the partial index
  ``ix_campaign_recipients_pending``.
- The attempt id is ``c<campaign>.<recipient>.<attempt>``: unique per attempt, computed in the same statement,
  sent as ``biz_opaque_callback_data`` so a status webhook can settle a send whose answer was lost.
- Release: claimed rows never sent go back to ``pending`` without counting the attempt.
- Expire: ``sending`` rows whose lease ran out (their dispatcher died) become ``unknown``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    String,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Update

from aimstors.core.campaigns.materialise import RECIPIENTS

__all__ = ["ClaimedRecipient", "claim", "claim_statement", "expire_leases", "release", "renew"]

_r = RECIPIENTS.c
PENDING: Final[ColumnElement[str]] = literal_column("'pending'")  # a literal: SQLite then sees the partial index's
SENDING: Final[ColumnElement[str]] = literal_column("'sending'")  # condition in the query


@dataclass(frozen=True, slots=True)
class ClaimedRecipient:
    id: int
    contact_id: int | None
    wa_id: str
    parameters: dict[str, Any]
    price: int
    country: str
    attempt_id: str
    attempts: int


def _ids(dialect: str, ids: Sequence[int]) -> ColumnElement[bool]:
    if dialect == "sqlite":
        return _r.id.in_(list(ids))
    return _r.id == any_(bindparam("ids", list(ids), type_=ARRAY(BigInteger)))


def claim_statement(
    dialect: str, *, tenant_id: int, campaign_id: int, now: dt.datetime, lease_until: dt.datetime, limit: int
) -> Update:
    """The claim of :func:`claim` for ``dialect``; ``EXPLAIN`` it to see it reads the pending index."""
    due = (
        select(_r.id)
        .where(
            _r.campaign_id == campaign_id,
            _r.state == PENDING,
            _r.tenant_id == tenant_id,
            (_r.not_before.is_(None)) | (_r.not_before <= now),
        )
        .order_by(_r.id)
        .limit(limit)
    )
    picked: ColumnElement[bool]
    if dialect == "sqlite":
        picked = _r.id.in_(due.scalar_subquery())
    else:
        picked = _r.id == any_(
            func.array(due.with_for_update(skip_locked=True).scalar_subquery(), type_=ARRAY(BigInteger))
        )
    attempt = (
        literal("c") + sql_cast(_r.campaign_id, String) + literal(".") + sql_cast(_r.id, String) + literal(".")
        + sql_cast(_r.attempts + 1, String)
    )  # fmt: skip
    return (
        update(RECIPIENTS)
        .where(picked)
        .values(
            state="sending", attempts=_r.attempts + 1, attempt_id=attempt, lease_expires_at=lease_until, updated_at=now
        )
        .returning(_r.id, _r.contact_id, _r.wa_id, _r.parameters, _r.price, _r.country, _r.attempt_id, _r.attempts)
    )


async def claim(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    campaign_id: int,
    now: dt.datetime,
    lease_until: dt.datetime,
    limit: int,
) -> list[ClaimedRecipient]:
    """Mark up to ``limit`` due pending recipients ``sending`` (in id order) and return them."""
    stmt = claim_statement(
        conn.dialect.name, tenant_id=tenant_id, campaign_id=campaign_id, now=now, lease_until=lease_until, limit=limit
    )
    rows = (await conn.execute(stmt)).all()
    claimed = [
        ClaimedRecipient(
            r.id, r.contact_id, r.wa_id, r.parameters or {}, int(r.price), r.country or "", r.attempt_id, r.attempts
        )
        for r in rows
    ]
    claimed.sort(key=lambda c: c.id)  # RETURNING order is unspecified
    return claimed


async def release(conn: AsyncConnection, tenant_id: int, attempts: Sequence[str], now: dt.datetime) -> int:
    """Give claimed-but-unsent recipients back (``pending``, the attempt not counted), by attempt id; returns how
    many were still ``sending`` under those attempts."""
    if not attempts:
        return 0
    match: ColumnElement[bool]
    if conn.dialect.name == "sqlite":
        match = _r.attempt_id.in_(list(attempts))
    else:
        match = _r.attempt_id == any_(bindparam("attempts", list(attempts), type_=ARRAY(String)))
    stmt = (
        update(RECIPIENTS)
        .where(_r.tenant_id == tenant_id, match, _r.state == SENDING)
        .values(state="pending", attempts=_r.attempts - 1, lease_expires_at=None, updated_at=now)
    )
    result = await conn.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def renew(conn: AsyncConnection, tenant_id: int, ids: Sequence[int], lease_until: dt.datetime) -> None:
    """Extend the lease of recipients a live dispatcher still holds (``sending``)."""
    if not ids:
        return
    await conn.execute(
        update(RECIPIENTS)
        .where(_r.tenant_id == tenant_id, _ids(conn.dialect.name, ids), _r.state == SENDING)
        .values(lease_expires_at=lease_until)
    )


async def expire_leases(conn: AsyncConnection, tenant_id: int, campaign_id: int, now: dt.datetime) -> int:
    """``sending`` rows whose lease expired (their dispatcher died mid-send) become ``unknown``; returns how many."""
    stmt = (
        update(RECIPIENTS)
        .where(
            _r.campaign_id == campaign_id,
            _r.state == SENDING,
            _r.lease_expires_at < now,
            _r.tenant_id == tenant_id,
        )
        .values(state="unknown", lease_expires_at=None, updated_at=now)
    )
    result = await conn.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]
