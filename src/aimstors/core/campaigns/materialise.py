"""The audience turned into recipients: parameters rendered, price looked up, rows written in batches.

:func:`scan` walks the audience once (streaming, one bounded query per batch) and renders every contact's
parameters and price; the plan only counts what it sees, :func:`materialise` also writes the rows — Core
``INSERT … ON CONFLICT DO NOTHING`` per batch, inside the caller's transaction, so a campaign that cannot start
(a contact lacking a parameter, too few credits) leaves no row behind.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Final, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.billing import PriceList, country_of
from aimstors.core.campaigns.audience import Recipient, iter_audience
from aimstors.core.campaigns.parameters import ParameterMap
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import CampaignRecipient
from aimstors.core.errors import InvalidInput
from aimstors.core.google.sheets import GoogleSheets

__all__ = ["RECIPIENTS", "Rendered", "ScanTotals", "materialise", "scan"]

RECIPIENTS: Final[Table] = cast(Table, CampaignRecipient.__table__)
MAX_LACKING_EXAMPLES: Final = 3


@dataclass(frozen=True, slots=True)
class Rendered:
    member: Recipient
    values: dict[str, str]
    lacking: list[str]
    country: str
    price: int


@dataclass(slots=True)
class ScanTotals:
    """What a scan saw: recipients, cost by category and country, what contacts lack."""

    recipients: int = 0
    cost: int = 0
    by_country: Counter[str] = field(default_factory=Counter)
    cost_by_country: Counter[str] = field(default_factory=Counter)
    prices: Counter[int] = field(default_factory=Counter)
    lacking: Counter[str] = field(default_factory=Counter)
    lacking_total: int = 0  # contacts lacking something (each once)
    lacking_contacts: list[int] = field(default_factory=list)  # a few contact ids, for the error message

    def add(self, item: Rendered) -> None:
        if item.lacking:
            self.lacking_total += 1
            for need in dict.fromkeys(item.lacking):
                self.lacking[need] += 1
            if len(self.lacking_contacts) < MAX_LACKING_EXAMPLES and item.member.contact_id is not None:
                self.lacking_contacts.append(item.member.contact_id)
            return
        self.recipients += 1
        self.cost += item.price
        self.by_country[item.country] += 1
        self.cost_by_country[item.country] += item.price
        self.prices[item.price] += 1

    def lacking_error(self) -> InvalidInput:
        needs = ", ".join(f"{need} ({n} contact{'s' if n != 1 else ''})" for need, n in self.lacking.most_common())
        examples = ", ".join(str(c) for c in self.lacking_contacts)
        where = f"; e.g. contact id(s) {examples}" if examples else ""
        return InvalidInput(
            f"some contacts lack a value for a template parameter: {needs}{where}",
            hint="give the parameter a fallback (--param 1='attr.first_name|there') or fill in the attribute",
        )


async def scan(
    db: Database,
    conn: AsyncConnection,
    audience: str,
    tenant_id: int,
    mapping: ParameterMap,
    prices: PriceList,
    category: str,
    *,
    now: dt.datetime | None = None,
    batch_size: int = 1000,
    sheets: GoogleSheets | None = None,
) -> AsyncIterator[list[Rendered]]:
    """The audience after suppression, rendered on ``conn``: values, what is lacking, country and price each."""
    batches = iter_audience(
        db, tenant_id, audience, category=category, batch_size=batch_size, now=now, conn=conn, sheets=sheets
    )
    async for batch in batches:
        out = []
        for member in batch:
            values, lacking = mapping.render(member.wa_id, member.name, member.attributes)
            country = country_of(member.wa_id)
            out.append(Rendered(member, values, lacking, country, prices.price(category, country)))
        yield out


async def materialise(
    db: Database,
    conn: AsyncConnection,
    audience: str,
    tenant_id: int,
    campaign_id: int,
    mapping: ParameterMap,
    prices: PriceList,
    category: str,
    *,
    batch_size: int = 1000,
    sheets: GoogleSheets | None = None,
) -> ScanTotals:
    """Write the campaign's recipients (pending) in ``conn``'s transaction; returns the totals.

    Raises InvalidInput, naming what contacts lack, when any recipient lacks a parameter value: the caller's
    transaction must then roll back (nothing is half-written).
    """
    totals = ScanTotals()
    now = utcnow()
    insert_fn: Any = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    stmt = insert_fn(RECIPIENTS).on_conflict_do_nothing(index_elements=["tenant_id", "campaign_id", "wa_id"])
    batches = scan(db, conn, audience, tenant_id, mapping, prices, category, now=now, batch_size=batch_size,
                   sheets=sheets)  # fmt: skip
    async for batch in batches:
        rows = []
        for item in batch:
            totals.add(item)
            if item.lacking or totals.lacking:
                continue
            rows.append(
                {
                    "tenant_id": tenant_id, "campaign_id": campaign_id, "contact_id": item.member.contact_id,
                    "wa_id": item.member.wa_id, "country": item.country, "parameters": item.values,
                    "state": "pending", "attempts": 0, "price": item.price, "cost": 0, "updated_at": now,
                }
            )  # fmt: skip
        if rows:
            await conn.execute(stmt, rows)
    if totals.lacking:
        raise totals.lacking_error()
    return totals
