"""Which WhatsApp account and which template a caller's names mean, and the account's token for Meta calls.

Everything here runs inside a session the caller opened in the tenant's scope, after the caller has checked the
actor may act on that tenant; a template of another tenant is never found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db.models import Template, WhatsAppAccount
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.security import Keyring
from aimstors.core.security.stored_secrets import secret_context

__all__ = ["AccountAccess", "account_access", "find_named", "find_one", "find_templates", "resolve_account"]


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """What a Meta call for one WABA needs; the token is never logged nor shown."""

    tenant_id: int
    account_id: int
    waba_id: str
    access_token: str = field(repr=False)


def account_access(keyring: Keyring, account: WhatsAppAccount) -> AccountAccess:
    """The decrypted token of ``account`` (system use: the caller has authorised the action)."""
    if not account.access_token_enc:
        raise InvalidInput(
            f"WhatsApp account {account.waba_id} has no access token",
            hint="connect it again: aimstors whatsapp connect TENANT --waba-id … --token …",
        )
    token = keyring.decrypt(
        account.access_token_enc, secret_context("whatsapp_accounts", "access_token_enc", account.id)
    )
    return AccountAccess(account.tenant_id, account.id, account.waba_id, token)


async def resolve_account(session: AsyncSession, tenant_id: int, waba_id: str | None) -> WhatsAppAccount:
    """The tenant's account with ``waba_id``, or its only account when ``waba_id`` is None."""
    accounts = list(
        await session.scalars(
            select(WhatsAppAccount).where(WhatsAppAccount.tenant_id == tenant_id).order_by(WhatsAppAccount.id)
        )
    )
    if waba_id is not None:
        for account in accounts:
            if account.waba_id == waba_id:
                return account
        raise NotFound(f"no WhatsApp account {waba_id!r} in this workspace")
    if not accounts:
        raise InvalidInput(
            "this workspace has no WhatsApp account yet",
            hint="connect one first: aimstors whatsapp connect TENANT --waba-id … --phone-number-id … --token …",
        )
    if len(accounts) > 1:
        raise InvalidInput(
            f"this workspace has {len(accounts)} WhatsApp accounts ({', '.join(a.waba_id for a in accounts)}); "
            "name the one to use",
            hint="--account WABA_ID",
        )
    return accounts[0]


async def find_templates(
    session: AsyncSession,
    tenant_id: int,
    name: str,
    *,
    language: str | None = None,
    waba_id: str | None = None,
) -> list[tuple[Template, WhatsAppAccount]]:
    """The tenant's templates called ``name`` (every language unless one is given), with their accounts."""
    stmt = (
        select(Template, WhatsAppAccount)
        .join(WhatsAppAccount, WhatsAppAccount.id == Template.account_id)
        .where(Template.tenant_id == tenant_id, WhatsAppAccount.tenant_id == tenant_id, Template.name == name)
        .order_by(WhatsAppAccount.id, Template.language)
    )
    if language is not None:
        stmt = stmt.where(Template.language == language)
    if waba_id is not None:
        stmt = stmt.where(WhatsAppAccount.waba_id == waba_id)
    return [(template, account) for template, account in (await session.execute(stmt)).all()]


async def find_named(
    session: AsyncSession,
    tenant_id: int,
    name: str,
    *,
    language: str | None = None,
    waba_id: str | None = None,
) -> list[tuple[Template, WhatsAppAccount]]:
    """Every language of template ``name`` (or the one given) in one account: NotFound when there is none,
    InvalidInput naming the accounts when the name is used in several and ``waba_id`` does not pick one."""
    rows = await find_templates(session, tenant_id, name, language=language, waba_id=waba_id)
    if not rows:
        raise NotFound(f"no template {name!r}" + (f" in {language}" if language else ""))
    accounts = sorted({account.waba_id for _, account in rows})
    if len(accounts) > 1:
        raise InvalidInput(
            f"template {name!r} exists in {len(accounts)} WhatsApp accounts ({', '.join(accounts)}); name one",
            hint="--account WABA_ID",
        )
    return rows


async def find_one(
    session: AsyncSession,
    tenant_id: int,
    name: str,
    *,
    language: str | None = None,
    waba_id: str | None = None,
) -> tuple[Template, WhatsAppAccount]:
    """Exactly one template: NotFound when none, InvalidInput naming the languages/accounts when several."""
    rows = await find_named(session, tenant_id, name, language=language, waba_id=waba_id)
    if len(rows) > 1:
        languages = ", ".join(template.language for template, _ in rows)
        raise InvalidInput(f"template {name!r} exists in {languages}; name the language", hint="--language CODE")
    return rows[0]
