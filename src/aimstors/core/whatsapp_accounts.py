"""WhatsApp connections: a tenant's business accounts (WABA) and their phone numbers.

Connecting checks the access token against Meta (it must be able to read every phone number given), stores the
token encrypted under the keyring, and records each number with what Meta says about it (throughput, quality,
messaging tier). A phone number id belongs to one tenant at most: inbound events are routed by it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import PhoneNumber, WhatsAppAccount
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.security import Action, Actor
from aimstors.core.security.stored_secrets import secret_context
from aimstors.core.services import Services
from aimstors.core.tenancy.access import target_tenant
from aimstors.core.tenancy.audit import record

__all__ = ["AccountInfo", "NumberInfo", "SendingIdentity", "connect_account", "list_numbers", "sending_identity"]

THROUGHPUT_MPS = {"STANDARD": 80, "HIGH": 1000}


@dataclass(frozen=True, slots=True)
class NumberInfo:
    id: int
    phone_number_id: str
    display_number: str
    verified_name: str | None
    quality_rating: str | None
    messaging_tier: str | None
    throughput_mps: int
    waba_id: str


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    tenant: str
    waba_id: str
    connection_method: str
    created_at: dt.datetime
    numbers: tuple[NumberInfo, ...]


@dataclass(frozen=True, slots=True)
class SendingIdentity:
    """What a send needs: the number's ids, its tenant and the decrypted access token (never logged)."""

    tenant_id: int
    number_row_id: int
    phone_number_id: str
    throughput_mps: int
    access_token: str


async def connect_account(
    services: Services,
    actor: Actor,
    *,
    tenant_slug: str,
    waba_id: str,
    access_token: str,
    phone_number_ids: list[str],
    method: str = "manual",
) -> AccountInfo:
    """Connect a WABA with a Cloud API access token and the phone numbers to use; re-connecting updates it."""
    if not waba_id.strip() or not phone_number_ids:
        raise InvalidInput("a WhatsApp connection needs a WABA id and at least one phone number id")
    if not access_token.strip():
        raise InvalidInput("the access token is empty")
    tenant = await target_tenant(services.db, actor, tenant_slug, Action.WHATSAPP_ACCOUNT_CONNECT)
    if tenant.kind != "workspace":
        raise InvalidInput(f"WhatsApp numbers belong to workspaces; {tenant_slug!r} is a {tenant.kind}")
    infos = [await services.cloud_api.phone_numbers.get(pid, token=access_token) for pid in phone_number_ids]
    async with services.db.session(Scope.system(), write=True) as session:
        taken = await session.scalars(
            select(PhoneNumber.phone_number_id).where(
                PhoneNumber.phone_number_id.in_(phone_number_ids), PhoneNumber.tenant_id != tenant.id
            )
        )
        if clash := list(taken):
            raise Conflict(f"phone number id {clash[0]} is already connected to another workspace")
        account = await session.scalar(
            select(WhatsAppAccount).where(WhatsAppAccount.tenant_id == tenant.id, WhatsAppAccount.waba_id == waba_id)
        )
        if account is None:
            account = WhatsAppAccount(tenant_id=tenant.id, waba_id=waba_id, connection_method=method)
            session.add(account)
            await session.flush()
        account.access_token_enc = services.keyring.encrypt(
            access_token, secret_context("whatsapp_accounts", "access_token_enc", account.id)
        )
        for info in infos:
            number = await session.scalar(select(PhoneNumber).where(PhoneNumber.phone_number_id == info.id))
            if number is None:
                number = PhoneNumber(tenant_id=tenant.id, account_id=account.id, phone_number_id=info.id)
                session.add(number)
            number.account_id = account.id
            number.display_number = info.display_phone_number or info.id
            number.verified_name = info.verified_name
            number.quality_rating = info.quality_rating
            number.messaging_tier = info.messaging_limit_tier
            number.throughput_mps = THROUGHPUT_MPS.get(info.throughput_level or "STANDARD", 80)
        await session.flush()
        await record(
            session,
            actor,
            tenant.id,
            "whatsapp_account.connect",
            target_type="whatsapp_account",
            target_id=account.id,
            details={"waba_id": waba_id, "numbers": len(infos)},
        )
        account_id = account.id
    accounts = await list_numbers(services.db, actor, tenant_slug=tenant_slug)
    return next(a for a in accounts if a.id == account_id)


async def list_numbers(db: Database, actor: Actor, *, tenant_slug: str) -> list[AccountInfo]:
    tenant = await target_tenant(db, actor, tenant_slug, Action.WHATSAPP_ACCOUNT_READ)
    async with db.session(Scope.tenant(tenant.id)) as session:
        accounts = list(
            await session.scalars(
                select(WhatsAppAccount).where(WhatsAppAccount.tenant_id == tenant.id).order_by(WhatsAppAccount.id)
            )
        )
        numbers = list(
            await session.scalars(
                select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id).order_by(PhoneNumber.id)
            )
        )
    by_account = {a.id: a for a in accounts}
    return [
        AccountInfo(
            a.id,
            tenant_slug,
            a.waba_id,
            a.connection_method,
            a.created_at,
            tuple(
                NumberInfo(
                    n.id,
                    n.phone_number_id,
                    n.display_number,
                    n.verified_name,
                    n.quality_rating,
                    n.messaging_tier,
                    n.throughput_mps,
                    by_account[n.account_id].waba_id,
                )
                for n in numbers
                if n.account_id == a.id
            ),
        )
        for a in accounts
    ]


async def sending_identity(services: Services, tenant_id: int, number_row_id: int) -> SendingIdentity:
    """The number and decrypted token to send from (system use: callers have already authorised the send)."""
    async with services.db.session(Scope.tenant(tenant_id)) as session:
        row = (
            await session.execute(
                select(PhoneNumber, WhatsAppAccount)
                .join(WhatsAppAccount, WhatsAppAccount.id == PhoneNumber.account_id)
                .where(PhoneNumber.id == number_row_id, PhoneNumber.tenant_id == tenant_id)
            )
        ).first()
    if row is None:
        raise NotFound("no such phone number in this workspace")
    number, account = row
    if not account.access_token_enc:
        raise InvalidInput("the WhatsApp account has no access token; connect it again")
    token = services.keyring.decrypt(
        account.access_token_enc, secret_context("whatsapp_accounts", "access_token_enc", account.id)
    )
    return SendingIdentity(tenant_id, number.id, number.phone_number_id, number.throughput_mps, token)
