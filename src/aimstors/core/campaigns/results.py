"""Recording send outcomes in batches: recipient rows, charges, usage events and contact holds, in one transaction.

A batch of outcomes (a tenth of a second's sends, or a few hundred) becomes a handful of Core statements:

- accepted: ``sent`` with the wamid (a status webhook that arrived first keeps its further state and wamid), then
  ``UPDATE … SET cost = price, charged_at = now WHERE … AND charged_at IS NULL RETURNING`` picks the sends not
  charged yet; they are settled against the campaign's reservation with one idempotency key per attempt
  (:func:`aimstors.core.billing.settle_charges`) and get a ``message`` usage event — all in the same transaction,
  so a recorded send and its charge commit together and nothing is charged twice;
- failed / unknown / skipped: their state, code and Meta's words;
- retried, throttled, deferred, halted, unreachable, released: ``pending`` again (with ``not_before``).

Every update is guarded by the attempt id, so an outcome can only touch the attempt it belongs to; ``failed``,
``unknown`` and ``pending`` also require the row to still be ``sending`` (a status webhook may have settled it).
A 131049 holds the contact from marketing for 24 hours; a 131050 opts the contact out (source ``meta``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Table,
    any_,
    bindparam,
    case,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.billing import Charge, checkpoint_due, settle_charges
from aimstors.core.campaigns.claims import ClaimedRecipient
from aimstors.core.campaigns.materialise import RECIPIENTS
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import UsageEvent
from aimstors.core.inbound.consent import MARKETING_LIMIT, ConsentChange, apply_consent, limit_marketing
from aimstors.core.inbound.locks import lock_names
from aimstors.core.inbound.usage import usage_id

__all__ = ["Outcome", "ResultWriter", "WriteReport", "charge_key"]

log = logging.getLogger("aimstors.campaigns")

USAGE: Final[Table] = cast(Table, UsageEvent.__table__)
_r = RECIPIENTS.c
_u = USAGE.c
SENDING: Final[ColumnElement[str]] = literal_column("'sending'")
# Literals, not bound lists: these statements run as executemany, which cannot expand a bound list.
_UNSETTLED: Final[list[ColumnElement[str]]] = [
    literal_column("'sending'"),
    literal_column("'pending'"),
    literal_column("'unknown'"),
]
_FINAL_KINDS: Final = {"failed": "failed", "unknown": "unknown", "invalid": "skipped", "cancelled": "skipped"}
_REQUEUED: Final = frozenset({"retry", "throttled", "deferred", "halt", "unreachable", "released"})
_NOT_COUNTED: Final = frozenset({"throttled", "halt", "unreachable", "released"})  # attempts given back


def charge_key(campaign_id: int, attempt_id: str) -> str:
    """The ledger idempotency key of one send attempt."""
    return f"campaign:{campaign_id}:send:{attempt_id}"


@dataclass(slots=True)
class Outcome:
    """What happened to one claimed recipient (``kind``: see :mod:`aimstors.core.campaigns.outcomes`)."""

    recipient: ClaimedRecipient
    kind: str
    wamid: str | None = None
    code: int | None = None
    detail: str | None = None
    not_before: dt.datetime | None = None
    at: dt.datetime | None = None


@dataclass(slots=True)
class WriteReport:
    charged: int = 0  # sends charged now
    charged_micro: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class ResultWriter:
    """Writes outcomes of one campaign. ``reservation_id`` None: nothing to charge (a free campaign)."""

    def __init__(
        self,
        db: Database,
        *,
        tenant_id: int,
        campaign_id: int,
        category: str,
        root_id: int,
        reservation_id: int | None,
    ) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.campaign_id = campaign_id
        self.category = category
        self.root_id = root_id
        self.reservation_id = reservation_id

    async def write(self, outcomes: Sequence[Outcome], now: dt.datetime) -> WriteReport:
        """Record ``outcomes`` in one write transaction (rolled back whole on any error)."""
        report = WriteReport()
        if not outcomes:
            return report
        for outcome in outcomes:
            report.by_kind[outcome.kind] = report.by_kind.get(outcome.kind, 0) + 1
        scope = Scope.tenants({self.tenant_id, self.root_id})
        batch = None
        async with self.db.connect(scope, write=True) as conn:
            # The wamids' locks first, as webhook processing takes them (same keys, same order: no deadlock):
            # a status webhook and this batch then never both find "no usage event yet" for one message.
            await lock_names(conn, self.tenant_id, [o.wamid for o in outcomes if o.wamid])
            await self._states(conn, outcomes, now)
            accepted = [o.recipient.id for o in outcomes if o.kind == "accepted"]
            if accepted:
                charged = await self._charge(conn, accepted, now)
                report.charged = len(charged)
                if charged and self.reservation_id is not None:
                    charges = [
                        Charge(charge_key(self.campaign_id, row.attempt_id), int(row.price),
                               memo=f"campaign {self.campaign_id}")
                        for row in charged if row.price > 0
                    ]  # fmt: skip
                    batch = await settle_charges(
                        conn,
                        tenant_id=self.tenant_id,
                        root_id=self.root_id,
                        reservation_id=self.reservation_id,
                        charges=charges,
                    )
                    report.charged_micro = batch.total
                await self._usage(conn, charged, now)
            await self._contacts(conn, outcomes, now)
        if batch is not None:
            await checkpoint_due(self.db, batch)
        return report

    async def charge_only(self, outcomes: Sequence[Outcome], now: dt.datetime, *, spend: bool) -> WriteReport:
        """Charge accepted sends recorded without a charge (their answer was lost; a webhook settled them): out of
        the reservation, or — ``spend``, once it was released — out of the available credits, one idempotent
        spend per attempt first (a crash between spend and record replays the spend, it does not repeat it)."""
        from aimstors.core import ledger
        from aimstors.core.errors import InsufficientFunds

        report = WriteReport()
        ids = [o.recipient.id for o in outcomes]
        if spend:
            paid = []
            for outcome in outcomes:
                recipient = outcome.recipient
                if recipient.price > 0:
                    try:
                        await ledger.spend(self.db, self.tenant_id, recipient.price,
                                           key=charge_key(self.campaign_id, recipient.attempt_id),
                                           memo=f"campaign {self.campaign_id} (settled late)")  # fmt: skip
                    except InsufficientFunds:
                        log.warning("campaign %d: a late-settled send could not be charged", self.campaign_id)
                        continue
                paid.append(recipient.id)
            ids = paid
        if not ids:
            return report
        batch = None
        async with self.db.connect(Scope.tenants({self.tenant_id, self.root_id}), write=True) as conn:
            await lock_names(conn, self.tenant_id, [o.wamid for o in outcomes if o.wamid])  # as in write()
            charged = await self._charge(conn, ids, now)
            report.charged = len(charged)
            if charged and not spend and self.reservation_id is not None:
                charges = [Charge(charge_key(self.campaign_id, row.attempt_id), int(row.price))
                           for row in charged if row.price > 0]  # fmt: skip
                batch = await settle_charges(conn, tenant_id=self.tenant_id, root_id=self.root_id,
                                             reservation_id=self.reservation_id, charges=charges)  # fmt: skip
                report.charged_micro = batch.total
            await self._usage(conn, charged, now)
        if batch is not None:
            await checkpoint_due(self.db, batch)
        return report

    async def _states(self, conn: AsyncConnection, outcomes: Sequence[Outcome], now: dt.datetime) -> None:
        t = self.tenant_id
        guard = (_r.tenant_id == t, _r.id == bindparam("b_id"), _r.attempt_id == bindparam("b_attempt"))
        accepted = [
            {"b_id": o.recipient.id, "b_attempt": o.recipient.attempt_id, "b_wamid": o.wamid, "b_at": o.at or now}
            for o in outcomes
            if o.kind == "accepted"
        ]
        if accepted:
            await conn.execute(
                update(RECIPIENTS)
                .where(*guard)
                .values(
                    state=case((_r.state.in_(_UNSETTLED), literal_column("'sent'")), else_=_r.state),
                    wamid=case((_r.wamid.is_(None), bindparam("b_wamid")), else_=_r.wamid),
                    sent_at=case((_r.sent_at.is_(None), bindparam("b_at", type_=_r.sent_at.type)), else_=_r.sent_at),
                    lease_expires_at=None,
                    not_before=None,
                    updated_at=now,
                ),
                accepted,
            )
        final = [o for o in outcomes if o.kind in _FINAL_KINDS]
        if final:
            await conn.execute(
                update(RECIPIENTS)
                .where(*guard, _r.state == SENDING)
                .values(
                    state=bindparam("b_state"),
                    error_code=bindparam("b_code"),
                    error_detail=bindparam("b_detail"),
                    skip_reason=bindparam("b_skip"),
                    failed_at=bindparam("b_failed_at", type_=_r.failed_at.type),
                    lease_expires_at=None,
                    updated_at=now,
                ),
                [
                    {
                        "b_id": o.recipient.id, "b_attempt": o.recipient.attempt_id,
                        "b_state": _FINAL_KINDS[o.kind], "b_code": o.code, "b_detail": o.detail,
                        "b_skip": {"invalid": "invalid_message", "cancelled": "cancelled"}.get(o.kind),
                        "b_failed_at": (o.at or now) if o.kind == "failed" else None,
                    }
                    for o in final
                ],
            )  # fmt: skip
        requeued = [o for o in outcomes if o.kind in _REQUEUED]
        if requeued:
            await conn.execute(
                update(RECIPIENTS)
                .where(*guard, _r.state == SENDING)
                .values(
                    state="pending",
                    attempts=_r.attempts - bindparam("b_refund"),
                    not_before=bindparam("b_not_before", type_=_r.not_before.type),
                    error_code=bindparam("b_code"),
                    error_detail=bindparam("b_detail"),
                    lease_expires_at=None,
                    updated_at=now,
                ),
                [
                    {
                        "b_id": o.recipient.id, "b_attempt": o.recipient.attempt_id,
                        "b_refund": 1 if o.kind in _NOT_COUNTED else 0, "b_not_before": o.not_before,
                        "b_code": o.code, "b_detail": o.detail,
                    }
                    for o in requeued
                ],
            )  # fmt: skip

    async def _charge(self, conn: AsyncConnection, ids: Sequence[int], now: dt.datetime) -> list[Any]:
        """Mark the accepted sends not charged yet as charged; returns them (id, attempt, price, wamid, country)."""
        match = (
            _r.id.in_(list(ids))
            if conn.dialect.name == "sqlite"
            else _r.id == any_(bindparam("ids", list(ids), type_=ARRAY(BigInteger)))
        )
        stmt = (
            update(RECIPIENTS)
            .where(_r.tenant_id == self.tenant_id, match, _r.charged_at.is_(None), _r.wamid.is_not(None))
            .values(cost=_r.price, charged_at=now)
            .returning(_r.id, _r.attempt_id, _r.price, _r.wamid, _r.country)
        )
        return list((await conn.execute(stmt)).all())

    async def _usage(self, conn: AsyncConnection, charged: Sequence[Any], now: dt.datetime) -> None:
        """A ``message`` usage event per charged send, unless one exists for its wamid (a status webhook's)."""
        if not charged:
            return
        events = {usage_id(self.tenant_id, row.wamid): row for row in charged}
        known = set(
            (await conn.execute(select(_u.id).where(_u.tenant_id == self.tenant_id, _u.id.in_(list(events))))).scalars()
        )
        rows = [
            {
                "id": event_id, "occurred_at": now, "tenant_id": self.tenant_id, "kind": "message",
                "category": self.category[:32], "country": row.country or "", "quantity": 1, "cost": int(row.price),
                "ref": str(row.wamid)[:128], "details": {"campaign_id": self.campaign_id, "source": "campaign"},
            }
            for event_id, row in events.items()
            if event_id not in known
        ]  # fmt: skip
        if rows:
            await conn.execute(insert(USAGE), rows)
        # A status webhook got there first and recorded the delivery at cost 0: give it what was actually charged,
        # so usage reports add up to the ledger's debits.
        priced = [
            {"event_id": event_id, "new_cost": int(row.price), "new_country": row.country or ""}
            for event_id, row in events.items()
            if event_id in known and int(row.price)
        ]
        if priced:
            await conn.execute(
                update(USAGE)
                .where(_u.id == bindparam("event_id"), _u.tenant_id == self.tenant_id, _u.cost == 0)
                .values(cost=bindparam("new_cost"), country=bindparam("new_country")),
                priced,
            )

    async def _contacts(self, conn: AsyncConnection, outcomes: Sequence[Outcome], now: dt.datetime) -> None:
        limited = {o.recipient.contact_id: now + MARKETING_LIMIT for o in outcomes
                   if o.kind == "failed" and o.code == 131049 and o.recipient.contact_id is not None}  # fmt: skip
        if limited:
            await limit_marketing(conn, self.tenant_id, limited)
        stopped = [
            ConsentChange(o.recipient.contact_id, True, "meta", now, 131050)
            for o in outcomes
            if o.kind == "failed" and o.code == 131050 and o.recipient.contact_id is not None
        ]
        if stopped:
            await apply_consent(conn, self.tenant_id, stopped, now)
