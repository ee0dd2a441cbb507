"""Bringing the local copies in step with Meta: every template of a WABA, page after page.

Each template Meta lists is matched to a local row by Meta's id, else by (name, language), and its status,
category, quality score, components and parameter format are taken from Meta; templates only Meta has are added.
Rows that Meta no longer lists (but once had: they carry a Meta id) are marked DELETED. Drafts are left alone.
The whole listing is read before anything is written, so a failed listing changes nothing.

Webhooks carry the same news sooner; the sync catches whatever they missed (the app was down, a webhook was
lost, templates made in WhatsApp Manager). The ``templates.sync`` job (:mod:`aimstors.core.templates.jobs`) runs
it periodically for every connected account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from aimstors.core.channel import TemplateInfo
from aimstors.core.db import Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Template, Tenant, WhatsAppAccount
from aimstors.core.errors import NotFound
from aimstors.core.events import DomainEvent
from aimstors.core.security import Action, Actor
from aimstors.core.services import Services
from aimstors.core.templates.definitions import placeholder_keys
from aimstors.core.templates.lifecycle import template_event
from aimstors.core.templates.lookup import account_access, resolve_account
from aimstors.core.tenancy.access import target_tenant
from aimstors.core.tenancy.audit import record

__all__ = ["PAGE_SIZE", "SYNC_FIELDS", "SyncReport", "sync_account", "sync_templates"]

PAGE_SIZE = 100  # templates per listing page (Meta's cursors lead from one page to the next)

SYNC_FIELDS = (
    "id", "name", "language", "status", "category", "components", "quality_score", "parameter_format",
    "rejected_reason",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one account's sync did."""

    tenant: str
    waba_id: str
    at_meta: int  # templates Meta lists
    created: int  # added here (made elsewhere, e.g. in WhatsApp Manager)
    updated: int
    unchanged: int
    deleted: int  # marked DELETED: Meta no longer has them


async def sync_templates(
    services: Services, actor: Actor, *, tenant_slug: str | None = None, waba_id: str | None = None
) -> list[SyncReport]:
    """Sync the workspace's accounts (or only ``waba_id``) from Meta; one report per account."""
    tenant = await target_tenant(
        services.db, actor, tenant_slug, Action.TEMPLATE_WRITE, kinds={"workspace"}, what="template"
    )
    async with services.db.session(tenant.scope) as session:
        if waba_id is not None:
            accounts = [await resolve_account(session, tenant.id, waba_id)]
        else:
            accounts = list(
                await session.scalars(
                    select(WhatsAppAccount).where(WhatsAppAccount.tenant_id == tenant.id).order_by(WhatsAppAccount.id)
                )
            )
    reports = [await sync_account(services, tenant.id, account.id) for account in accounts]
    if reports:
        async with services.db.session(tenant.scope, write=True) as session:
            await record(
                session,
                actor,
                tenant.id,
                "template.sync",
                target_type="whatsapp_account",
                details={
                    r.waba_id: {"created": r.created, "updated": r.updated, "deleted": r.deleted} for r in reports
                },
            )
    return reports


async def sync_account(services: Services, tenant_id: int, account_id: int) -> SyncReport:
    """Sync one account's templates (system use: the caller has authorised it, or is the scheduler)."""
    scope = Scope.tenant(tenant_id)
    async with services.db.session(scope) as session:
        account = await session.scalar(
            select(WhatsAppAccount).where(WhatsAppAccount.id == account_id, WhatsAppAccount.tenant_id == tenant_id)
        )
        slug = await session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    if account is None or slug is None:
        raise NotFound("no such WhatsApp account in this workspace")
    access = account_access(services.keyring, account)
    remote = [
        info
        async for info in services.cloud_api.templates.list(
            access.waba_id, fields=SYNC_FIELDS, page_size=PAGE_SIZE, token=access.access_token
        )
        if info.id and info.name and info.language
    ]
    created = updated = unchanged = deleted = 0
    events: list[DomainEvent] = []
    async with services.db.session(scope, write=True) as session:
        rows = list(
            await session.scalars(
                select(Template).where(Template.tenant_id == tenant_id, Template.account_id == account_id)
            )
        )
        by_meta_id = {row.meta_id: row for row in rows if row.meta_id}
        by_key = {(row.name, row.language): row for row in rows}
        matched: set[int] = set()
        now = utcnow()
        for info in remote:
            values = _values(info)
            row = by_meta_id.get(info.id) or by_key.get((values["name"], values["language"]))
            if row is None:
                row = Template(tenant_id=tenant_id, account_id=account_id, **values, updated_at=now)
                session.add(row)
                await session.flush()
                created += 1
                events.append(template_event(tenant_id, row))
            elif _apply(row, values, now):
                updated += 1
                events.append(template_event(tenant_id, row))
            else:
                unchanged += 1
            matched.add(row.id)
        for row in rows:
            if row.id not in matched and row.meta_id and row.status != "DELETED":
                row.status = "DELETED"
                row.updated_at = now
                deleted += 1
                events.append(template_event(tenant_id, row))
    await services.events.publish(events)
    return SyncReport(slug, account.waba_id, len(remote), created, updated, unchanged, deleted)


def _values(info: TemplateInfo) -> dict[str, Any]:
    raw: Mapping[str, Any] = info.raw
    status = (info.status or "UNKNOWN").upper()[:32]
    quality = raw.get("quality_score")
    if isinstance(quality, Mapping):  # Meta: {"score": "GREEN", "date": …}
        quality = quality.get("score")
    reason = raw.get("rejected_reason")
    components = [dict(c) for c in info.components]
    return {
        "name": str(info.name),
        "language": str(info.language)[:16],
        "meta_id": info.id,
        "status": status,
        "category": (info.category or "UNKNOWN").upper()[:32],
        "components": components,
        "quality_score": str(quality).upper()[:16] if quality else None,
        "parameter_format": _parameter_format(raw.get("parameter_format"), components),
        "rejected_reason": str(reason) if status == "REJECTED" and reason and reason != "NONE" else None,
    }


def _parameter_format(given: Any, components: Sequence[Mapping[str, Any]]) -> str:
    if isinstance(given, str) and given.upper() in {"NAMED", "POSITIONAL"}:
        return given.upper()
    texts = [c.get("text") for c in components if isinstance(c.get("text"), str)]
    named = any(not key.isdigit() for text in texts for key in placeholder_keys(text))
    return "NAMED" if named else "POSITIONAL"


def _apply(row: Template, values: Mapping[str, Any], now: Any) -> bool:
    """Copy ``values`` onto ``row``; True when anything changed. Meta's silence keeps a known quality score."""
    changed = False
    for key, value in values.items():
        if key == "quality_score" and value is None:
            continue
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        row.updated_at = now
    return changed
