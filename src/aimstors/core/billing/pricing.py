"""What a message costs a tenant: the rate card of its plan, per category and country, with reseller margins.

A tenant is billed on the plan set for it (``tenant_plans``) or, failing that, on the plan of its nearest
ancestor that has one. A plan lists prices per ``(category, country)`` in micro-credits; ``country=""`` is the
price for every country not listed. A plan may also carry a margin (``margin_bps``, basis points): categories
and countries it does not list cost what its owner pays (the owner's own plan, resolved the same way) marked up by
the margin — a reseller's plan can be just "my cost + 20%". Without any plan up the tree, messages cost 0.

Countries come from the calling code of the ``wa_id`` (E.164 digits); countries sharing a calling code (the
North American Numbering Plan, +7) are priced as the main country of that code (US, RU).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Plan, RateCard, Tenant, TenantPlan
from aimstors.core.errors import NotFound

__all__ = ["PriceList", "country_of", "load_price_list", "price_list", "tenant_chain"]

MAX_PLAN_DEPTH: Final = 8
_BPS: Final = 10_000

# Calling code → main region ("1" → "US"); calling codes are prefix-free, so the first match of 1-3 digits wins.
_COUNTRY_BY_CODE: Final[dict[str, str]] = {
    str(code): regions[0]
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
    if regions and regions[0] != "001"
}


def country_of(wa_id: str) -> str:
    """ISO 3166 alpha-2 country of an E.164 ``wa_id`` (digits) by its calling code; ``""`` when unknown."""
    for size in (1, 2, 3):
        country = _COUNTRY_BY_CODE.get(wa_id[:size])
        if country is not None:
            return country
    return ""


@dataclass(frozen=True, slots=True)
class PriceList:
    """Prices in micro-credits by ``(category, country)``; ``country=""`` prices every country not listed."""

    plan: str | None = None
    owner_id: int | None = None
    prices: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def price(self, category: str, country: str = "") -> int:
        """The price of one message of ``category`` to ``country`` (0 when the rate card has none)."""
        category = category.lower()
        found = self.prices.get((category, country))
        if found is None:
            found = self.prices.get((category, ""), 0)
        return found

    def covers(self, category: str) -> bool:
        """True when the rate card prices ``category`` for at least one country."""
        category = category.lower()
        return any(cat == category for cat, _ in self.prices)


async def tenant_chain(conn: AsyncConnection, tenant_id: int) -> list[int]:
    """The tenant's ancestors and itself, root first (from its materialised path)."""
    path = (await conn.execute(select(Tenant.path).where(Tenant.id == tenant_id))).scalar_one_or_none()
    if path is None:
        raise NotFound(f"tenant {tenant_id} does not exist")
    return [int(part) for part in path.strip("/").split("/") if part]


async def load_price_list(conn: AsyncConnection, tenant_id: int, *, _depth: int = 0) -> PriceList:
    """The price list ``tenant_id`` is billed on, read on ``conn`` (whose scope must include its ancestors)."""
    chain = await tenant_chain(conn, tenant_id)
    rows = await conn.execute(select(TenantPlan.tenant_id, TenantPlan.plan_id).where(TenantPlan.tenant_id.in_(chain)))
    assigned = {int(t): int(p) for t, p in rows}
    plan_id = next((assigned[t] for t in reversed(chain) if t in assigned), None)
    if plan_id is None:
        return PriceList()
    plan = (await conn.execute(select(Plan.name, Plan.tenant_id, Plan.margin_bps).where(Plan.id == plan_id))).one()
    cards = await conn.execute(
        select(RateCard.category, RateCard.country, RateCard.unit_price).where(RateCard.plan_id == plan_id)
    )
    explicit = {(category, country): int(price) for category, country, price in cards}
    prices: dict[tuple[str, str], int] = {}
    owner = int(plan.tenant_id)
    if plan.margin_bps and owner != tenant_id and _depth < MAX_PLAN_DEPTH:
        base = await load_price_list(conn, owner, _depth=_depth + 1)
        prices = {key: _marked_up(price, plan.margin_bps) for key, price in base.prices.items()}
    prices.update(explicit)
    return PriceList(plan.name, owner, prices)


def _marked_up(price: int, margin_bps: int) -> int:
    """``price`` plus ``margin_bps`` basis points, rounded half up to a whole micro-credit."""
    return (price * (_BPS + margin_bps) + _BPS // 2) // _BPS


async def price_list(db: Database, tenant_id: int) -> PriceList:
    """The price list ``tenant_id`` is billed on (its plan, or its nearest ancestor's), in its ancestors' scope."""
    async with db.connect(Scope.system()) as conn:
        chain = await tenant_chain(conn, tenant_id)
    async with db.connect(Scope.tenants(chain)) as conn:
        return await load_price_list(conn, tenant_id)
