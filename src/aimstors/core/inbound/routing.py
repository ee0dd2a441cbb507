"""Which tenant an update belongs to: by ``phone_number_id`` (messages, statuses) or by WABA id (templates).

One query per kind per batch; no cache, so a number connected a moment ago routes at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db.models import PhoneNumber, WhatsAppAccount

__all__ = ["AccountRoute", "NumberRoute", "Routes", "load_routes"]


@dataclass(frozen=True, slots=True)
class NumberRoute:
    """A connected business number: its tenant, its row id (``phone_numbers.id``) and its account's row id."""

    tenant_id: int
    number_id: int
    account_id: int


@dataclass(frozen=True, slots=True)
class AccountRoute:
    tenant_id: int
    account_id: int


@dataclass(slots=True)
class Routes:
    numbers: dict[str, NumberRoute] = field(default_factory=dict)
    accounts: dict[str, list[AccountRoute]] = field(default_factory=dict)  # a WABA may be shared by tenants


async def load_routes(conn: AsyncConnection, phone_number_ids: Collection[str], waba_ids: Collection[str]) -> Routes:
    """Routes for the given Meta ids (system scope: routing looks across tenants by design)."""
    routes = Routes()
    if phone_number_ids:
        rows = await conn.execute(
            select(PhoneNumber.phone_number_id, PhoneNumber.tenant_id, PhoneNumber.id, PhoneNumber.account_id).where(
                PhoneNumber.phone_number_id.in_(sorted(phone_number_ids))
            )
        )
        for pnid, tenant_id, number_id, account_id in rows:
            routes.numbers[pnid] = NumberRoute(tenant_id, number_id, account_id)
    if waba_ids:
        accounts = await conn.execute(
            select(WhatsAppAccount.waba_id, WhatsAppAccount.tenant_id, WhatsAppAccount.id).where(
                WhatsAppAccount.waba_id.in_(sorted(waba_ids))
            )
        )
        for waba_id, tenant_id, account_id in accounts:
            routes.accounts.setdefault(waba_id, []).append(AccountRoute(tenant_id, account_id))
    return routes
