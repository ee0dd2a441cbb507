"""Rate cards the operator controls: a CSV of prices per category (and country) loaded into a plan, plans
assigned to tenants, and the price list a tenant ends up with.

The CSV has a header row naming its columns, in any order: ``category`` and ``price`` (credits, a decimal such as
``0.0125``) are required, ``country`` (ISO 3166 alpha-2) is optional — empty means "every other country"::

    category,country,price
    marketing,,0.025
    marketing,IN,0.0107
    utility,,0.004
    service,,0

Loading is all or nothing: every row is checked first and any mistake is reported with its line number; a valid
file replaces the plan's whole rate card in one transaction. Plans belong to the platform root or a reseller
(the owner sets them on the tenants below it); ``margin_bps`` marks up whatever the card does not list over
the owner's own cost (see :mod:`aimstors.core.billing.pricing`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import phonenumbers
from sqlalchemy import delete, insert, select

from aimstors.core.billing.pricing import PriceList, price_list
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Plan, RateCard, Tenant, TenantPlan
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.ledger import credits_to_micro, micro_to_credits
from aimstors.core.security import Action, Actor, authorize
from aimstors.core.tenancy.audit import record

__all__ = [
    "CATEGORIES",
    "PlanView",
    "PriceView",
    "RateCardRow",
    "assign_plan",
    "list_plans",
    "load_rate_card",
    "parse_rate_card",
    "show_prices",
    "show_rate_card",
]

CATEGORIES: Final = ("marketing", "utility", "authentication", "authentication_international", "service", "ai_token")
MAX_ROWS: Final = 10_000
MAX_MARGIN_BPS: Final = 100_000  # 1,000 %
_PLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_COUNTRIES: Final = frozenset(phonenumbers.SUPPORTED_REGIONS)


@dataclass(frozen=True, slots=True)
class RateCardRow:
    """One price: ``country=""`` for every country the card does not list."""

    category: str
    country: str
    price: str  # credits, as a decimal string
    price_micro: int


@dataclass(frozen=True, slots=True)
class PlanView:
    name: str
    owner: str
    margin_bps: int
    rows: tuple[RateCardRow, ...]
    tenants: tuple[str, ...]  # tenants billed on it


@dataclass(frozen=True, slots=True)
class PriceView:
    """What one tenant pays, after plans and margins."""

    tenant: str
    plan: str | None
    prices: tuple[RateCardRow, ...]


def _row(category: str, country: str, micro: int) -> RateCardRow:
    return RateCardRow(category, country, micro_to_credits(micro), micro)


def _columns(header: list[str] | None) -> tuple[int, dict[str, int]]:
    """(number of columns, column → position) from the header row; InvalidInput naming what is wrong."""
    if header is None:
        raise InvalidInput("the rate card is empty; it needs a header row: category,country,price")
    names = [h.strip().lower() for h in header]
    unknown = sorted(set(names) - {"category", "country", "price"} - {""})
    if unknown:
        raise InvalidInput(f"line 1: unknown column {unknown[0]!r}; the columns are category, country, price")
    for required in ("category", "price"):
        if required not in names:
            raise InvalidInput(f"line 1: the header has no {required!r} column (columns: category, country, price)")
    return len(names), {name: names.index(name) for name in ("category", "country", "price") if name in names}


def _price_row(line: int, values: list[str], width: int, at: dict[str, int]) -> RateCardRow:
    """One checked row of the CSV; InvalidInput naming the line."""
    if len(values) > width:
        raise InvalidInput(f"line {line}: {len(values)} values for {width} columns")
    cells = {name: (values[i].strip() if i < len(values) else "") for name, i in at.items()}
    category = cells["category"].lower()
    if category not in CATEGORIES:
        raise InvalidInput(f"line {line}: unknown category {cells['category']!r}; use one of {', '.join(CATEGORIES)}")
    country = cells.get("country", "").upper()
    if country and country not in _COUNTRIES:
        raise InvalidInput(f"line {line}: {cells['country']!r} is not an ISO 3166 country code (e.g. US, IN, BR)")
    try:
        micro = credits_to_micro(cells["price"])
    except InvalidInput as exc:
        raise InvalidInput(f"line {line}: price: {exc.message}") from None
    if micro < 0:
        raise InvalidInput(f"line {line}: price {cells['price']} is negative")
    return _row(category, country, micro)


def parse_rate_card(text: str) -> list[RateCardRow]:
    """Parse and check a rate card CSV; InvalidInput naming the line of the first mistake (nothing is loaded)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    width, at = _columns(next(reader, None))
    rows: list[RateCardRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row = _price_row(line, values, width, at)
        key = (row.category, row.country)
        if key in seen:
            where = f"country {row.country}" if row.country else "every other country"
            raise InvalidInput(f"line {line}: {row.category} for {where} is already priced on line {seen[key]}")
        seen[key] = line
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"the rate card has more than {MAX_ROWS} rows")
    if not rows:
        raise InvalidInput("the rate card has a header but no prices")
    return rows


async def _owner(db: Database, actor: Actor, slug: str | None) -> Tenant:
    """The plan owner: ``slug``, else the actor's tenant, else (the local operator) the platform root."""
    async with db.session(Scope.system()) as session:
        if slug is not None:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        elif actor.tenant_id is not None:
            tenant = await session.get(Tenant, actor.tenant_id)
        else:
            tenant = await session.scalar(select(Tenant).where(Tenant.kind == "platform").order_by(Tenant.id))
    if tenant is None or not tenant.path.startswith(actor.tenant_path):
        raise NotFound(f"no tenant {slug!r}" if slug else "there is no platform tenant; run `aimstors init` first")
    if tenant.kind == "workspace":
        raise InvalidInput(f"{tenant.slug!r} is a workspace; plans belong to the platform or a reseller")
    return tenant


def _check_plan_name(name: str) -> str:
    if not _PLAN_NAME.fullmatch(name):
        raise InvalidInput(f"plan name {name!r} is invalid: use letters, digits, '_', '.', '-' (at most 100)")
    return name


async def load_rate_card(
    db: Database,
    actor: Actor,
    source: str | Path,
    *,
    plan: str,
    owner_slug: str | None = None,
    margin_bps: int | None = None,
) -> PlanView:
    """Replace the rate card of plan ``plan`` (created if new) with the CSV ``source`` (a path or the text).

    ``margin_bps`` sets the plan's margin over its owner's cost (unchanged when None). All or nothing.
    """
    _check_plan_name(plan)
    if margin_bps is not None and not 0 <= margin_bps <= MAX_MARGIN_BPS:
        raise InvalidInput(f"margin must be from 0 to {MAX_MARGIN_BPS} basis points, not {margin_bps}")
    if isinstance(source, Path):
        try:
            text = await asyncio.to_thread(source.read_text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read {source}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"{source} is not UTF-8 text") from None
    else:
        text = source
    rows = parse_rate_card(text)
    owner = await _owner(db, actor, owner_slug)
    authorize(actor, Action.RATE_CARD_WRITE, owner.path)
    now = utcnow()
    async with db.session(Scope.tenant(owner.id), write=True) as session:
        found = await session.scalar(select(Plan).where(Plan.tenant_id == owner.id, Plan.name == plan))
        if found is None:
            found = Plan(tenant_id=owner.id, name=plan, margin_bps=margin_bps or 0, created_at=now)
            session.add(found)
            await session.flush()
        elif margin_bps is not None:
            found.margin_bps = margin_bps
        await session.execute(delete(RateCard).where(RateCard.tenant_id == owner.id, RateCard.plan_id == found.id))
        await session.execute(
            insert(RateCard),
            [
                {"tenant_id": owner.id, "plan_id": found.id, "category": r.category, "country": r.country,
                 "unit_price": r.price_micro, "created_at": now}
                for r in rows
            ],
        )  # fmt: skip
        await record(
            session, actor, owner.id, "rate_card.load", target_type="plan", target_id=found.id,
            details={"plan": plan, "rows": len(rows), "margin_bps": found.margin_bps},
        )  # fmt: skip
    return await show_rate_card(db, actor, plan=plan, owner_slug=owner.slug)


async def _plan(db: Database, owner: Tenant, name: str) -> Plan:
    async with db.session(Scope.tenant(owner.id)) as session:
        found = await session.scalar(select(Plan).where(Plan.tenant_id == owner.id, Plan.name == name))
    if found is None:
        raise NotFound(f"{owner.slug} has no plan {name!r}", hint="load one with `aimstors billing ratecard load`")
    return found


async def _view(db: Database, owner: Tenant, plan: Plan) -> PlanView:
    async with db.session(Scope.tenant(owner.id)) as session:
        rows = await session.execute(
            select(RateCard.category, RateCard.country, RateCard.unit_price)
            .where(RateCard.tenant_id == owner.id, RateCard.plan_id == plan.id)
            .order_by(RateCard.category, RateCard.country)
        )
        cards = tuple(_row(c, country, int(p)) for c, country, p in rows)
    # The tenants billed on the plan are below its owner (assign_plan only bills those): read the tree in the
    # system scope, confined to the owner's subtree.
    async with db.session(Scope.system()) as session:
        billed = await session.scalars(
            select(Tenant.slug)
            .join(TenantPlan, TenantPlan.tenant_id == Tenant.id)
            .where(TenantPlan.plan_id == plan.id, Tenant.path.startswith(owner.path))
        )
        tenants = tuple(sorted(billed))
    return PlanView(plan.name, owner.slug, plan.margin_bps, cards, tenants)


async def show_rate_card(db: Database, actor: Actor, *, plan: str, owner_slug: str | None = None) -> PlanView:
    """A plan with its rate card and the tenants billed on it."""
    owner = await _owner(db, actor, owner_slug)
    authorize(actor, Action.RATE_CARD_READ, owner.path)
    return await _view(db, owner, await _plan(db, owner, plan))


async def list_plans(db: Database, actor: Actor, *, owner_slug: str | None = None) -> list[PlanView]:
    """Every plan of the owner (the platform root for the local operator)."""
    owner = await _owner(db, actor, owner_slug)
    authorize(actor, Action.RATE_CARD_READ, owner.path)
    async with db.session(Scope.tenant(owner.id)) as session:
        plans = list(await session.scalars(select(Plan).where(Plan.tenant_id == owner.id).order_by(Plan.name)))
    return [await _view(db, owner, p) for p in plans]


async def assign_plan(
    db: Database, actor: Actor, tenant_slug: str, *, plan: str, owner_slug: str | None = None
) -> PriceView:
    """Bill ``tenant_slug`` on ``plan`` (a plan of its parent chain); returns the prices it now pays."""
    owner = await _owner(db, actor, owner_slug)
    authorize(actor, Action.RATE_CARD_WRITE, owner.path)
    found = await _plan(db, owner, plan)
    async with db.session(Scope.system()) as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None or not tenant.path.startswith(actor.tenant_path):
        raise NotFound(f"no tenant {tenant_slug!r}")
    if tenant.id == owner.id or not tenant.path.startswith(owner.path):
        raise InvalidInput(
            f"{tenant_slug!r} is not below {owner.slug!r}; a plan is set by a tenant above the one it bills"
        )
    async with db.session(Scope.tenants({tenant.id, owner.id}), write=True) as session:
        current = await session.get(TenantPlan, tenant.id)
        if current is None:
            session.add(TenantPlan(tenant_id=tenant.id, plan_id=found.id, updated_at=utcnow()))
        else:
            current.plan_id, current.updated_at = found.id, utcnow()
        await record(
            session, actor, tenant.id, "plan.assign", target_type="plan", target_id=found.id,
            details={"plan": plan, "owner": owner.slug},
        )  # fmt: skip
    return await show_prices(db, actor, tenant_slug)


def _views(prices: PriceList) -> tuple[RateCardRow, ...]:
    return tuple(_row(c, country, p) for (c, country), p in sorted(prices.prices.items()))


async def show_prices(db: Database, actor: Actor, tenant_slug: str) -> PriceView:
    """The prices ``tenant_slug`` pays after plans and margins."""
    async with db.session(Scope.system()) as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None or not tenant.path.startswith(actor.tenant_path):
        raise NotFound(f"no tenant {tenant_slug!r}")
    authorize(actor, Action.RATE_CARD_READ, tenant.path)
    prices = await price_list(db, tenant.id)
    return PriceView(tenant.slug, prices.plan, _views(prices))


def rows_by_category(rows: Iterable[RateCardRow]) -> dict[str, list[RateCardRow]]:
    """Rows grouped by category, for display."""
    grouped: dict[str, list[RateCardRow]] = {}
    for row in rows:
        grouped.setdefault(row.category, []).append(row)
    return grouped
