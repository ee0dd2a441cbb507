"""Reading a workspace's templates: the local copies kept in step with Meta (read only here).

Submission, linting and status sync live beside this module; whatever writes the rows, this is how callers see
them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from aimstors.core.db import Database
from aimstors.core.db.models import Template, WhatsAppAccount
from aimstors.core.errors import NotFound
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef, target_tenant

__all__ = ["TemplateView", "get_template", "list_templates"]


@dataclass(frozen=True, slots=True)
class TemplateView:
    id: int
    tenant: str
    waba_id: str
    name: str
    language: str
    category: str
    status: str
    meta_id: str | None
    parameter_format: str
    components: list[Any]
    quality_score: str | None
    rejected_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _view(tenant: TenantRef, template: Template, waba_id: str) -> TemplateView:
    return TemplateView(
        id=template.id,
        tenant=tenant.slug,
        waba_id=waba_id,
        name=template.name,
        language=template.language,
        category=template.category,
        status=template.status,
        meta_id=template.meta_id,
        parameter_format=template.parameter_format,
        components=list(template.components or []),
        quality_score=template.quality_score,
        rejected_reason=template.rejected_reason,
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


async def _tenant(db: Database, actor: Actor, slug: str | None) -> TenantRef:
    return await target_tenant(db, actor, slug, Action.TEMPLATE_READ, kinds={"workspace"}, what="template")


def _select(tenant_id: int) -> Any:
    return (
        select(Template, WhatsAppAccount.waba_id)
        .join(WhatsAppAccount, WhatsAppAccount.id == Template.account_id)
        .where(Template.tenant_id == tenant_id, WhatsAppAccount.tenant_id == tenant_id)
    )


async def list_templates(
    db: Database,
    actor: Actor,
    *,
    tenant_slug: str | None = None,
    name: str | None = None,
    language: str | None = None,
    status: str | None = None,
    category: str | None = None,
) -> list[TemplateView]:
    """The workspace's templates by name and language; each filter given must match exactly.

    ``status`` and ``category`` are compared in upper case, as Meta spells them (``APPROVED``, ``MARKETING``).
    """
    tenant = await _tenant(db, actor, tenant_slug)
    stmt = _select(tenant.id).order_by(Template.name, Template.language, Template.id)
    if name is not None:
        stmt = stmt.where(Template.name == name)
    if language is not None:
        stmt = stmt.where(Template.language == language)
    if status is not None:
        stmt = stmt.where(Template.status == status.upper())
    if category is not None:
        stmt = stmt.where(Template.category == category.upper())
    async with db.session(tenant.scope) as session:
        return [_view(tenant, template, waba_id) for template, waba_id in await session.execute(stmt)]


async def get_template(db: Database, actor: Actor, template_id: int, *, tenant_slug: str | None = None) -> TemplateView:
    """One template with its components; NotFound when the workspace has none with this id."""
    tenant = await _tenant(db, actor, tenant_slug)
    async with db.session(tenant.scope) as session:
        row = (await session.execute(_select(tenant.id).where(Template.id == template_id))).first()
    if row is None:
        raise NotFound(f"no template {template_id}")
    return _view(tenant, row[0], row[1])
