"""A template's life on our side: a local draft, linted, submitted to Meta for review, deleted.

    draft = await create_draft(services, actor, definition=read_definition_file(path), tenant_slug="shop-a")
    result = await submit(services, actor, name="order_update", tenant_slug="shop-a")   # PENDING at Meta
    await delete(services, actor, name="order_update", tenant_slug="shop-a")            # at Meta and here

A definition that fails lint is neither stored nor submitted (:class:`TemplateLintFailed`, an InvalidInput that
lists every error). Submitting lints again, sends the definition with the account's own token and stores Meta's
id and status; a retry after a lost answer adopts the template Meta already made. Status then follows Meta's
webhooks (``core.inbound``) and the periodic sync (:mod:`aimstors.core.templates.sync`). Each change is audited
and published as a ``template.updated`` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.channel import InvalidParameter
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Campaign, Template, WhatsAppAccount
from aimstors.core.errors import Conflict
from aimstors.core.events import DomainEvent, EventType
from aimstors.core.security import Action, Actor
from aimstors.core.services import Services
from aimstors.core.templates import catalog
from aimstors.core.templates.definitions import TemplateDefinition, definition_mapping
from aimstors.core.templates.findings import Finding
from aimstors.core.templates.lint import TemplateLinter
from aimstors.core.templates.lookup import AccountAccess, account_access, find_named, find_one, resolve_account
from aimstors.core.tenancy.access import TenantRef, target_tenant
from aimstors.core.tenancy.audit import record

__all__ = [
    "DeleteResult",
    "DraftResult",
    "StoredLint",
    "SubmitResult",
    "create_draft",
    "delete",
    "get_by_name",
    "lint_stored",
    "submit",
    "template_event",
]

LINTER = TemplateLinter()
ALREADY_EXISTS_SUBCODE = 2388024  # "Content in this language already exists"
NOT_FOUND_SUBCODE = 2593002  # "Message template not found"


@dataclass(frozen=True, slots=True)
class DraftResult:
    template: catalog.TemplateView
    warnings: tuple[Finding, ...]
    replaced: bool  # an earlier draft with the same name and language was replaced


@dataclass(frozen=True, slots=True)
class SubmitResult:
    template: catalog.TemplateView
    warnings: tuple[Finding, ...]
    adopted: bool  # Meta had it already (an earlier submit whose answer was lost): its id was taken over


@dataclass(frozen=True, slots=True)
class StoredLint:
    name: str
    language: str
    status: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class DeleteResult:
    name: str
    languages: tuple[str, ...]
    deleted_at_meta: int  # templates removed at Meta (0 for drafts)
    removed: int  # local rows removed
    kept: int  # local rows kept as DELETED because campaigns refer to them


async def _tenant(services: Services, actor: Actor, slug: str | None, action: Action) -> TenantRef:
    return await target_tenant(services.db, actor, slug, action, kinds={"workspace"}, what="template")


def template_event(tenant_id: int, template: Template) -> DomainEvent:
    """The ``template.updated`` event for a row (the shape webhook processing publishes too)."""
    return DomainEvent.create(
        tenant_id,
        EventType.TEMPLATE_UPDATED,
        {
            "template_id": template.id,
            "name": template.name,
            "language": template.language,
            "status": template.status,
            "quality_score": template.quality_score,
            "category": template.category,
        },
    )


async def create_draft(
    services: Services,
    actor: Actor,
    *,
    definition: Mapping[str, Any],
    tenant_slug: str | None = None,
    waba_id: str | None = None,
) -> DraftResult:
    """Store ``definition`` (raw, as read from a file) as a DRAFT of the workspace's WhatsApp account.

    Lint errors raise :class:`TemplateLintFailed` and nothing is written. A draft with the same name and language
    is replaced; a template already submitted is a Conflict. ``waba_id`` picks the account when there are several.
    """
    tenant = await _tenant(services, actor, tenant_slug, Action.TEMPLATE_WRITE)
    warnings = tuple(LINTER.require_clean(definition))
    spec = TemplateDefinition.from_mapping(definition)
    async with services.db.session(tenant.scope, write=True) as session:
        account = await resolve_account(session, tenant.id, waba_id)
        row = await session.scalar(
            select(Template).where(
                Template.tenant_id == tenant.id,
                Template.account_id == account.id,
                Template.name == spec.name,
                Template.language == spec.language,
            )
        )
        replaced = row is not None
        if row is not None and row.status != "DRAFT":
            raise Conflict(
                f"template {spec.name} ({spec.language}) already exists in WABA {account.waba_id} "
                f"with status {row.status}",
                hint="delete it first (aimstors templates delete NAME) or choose another name",
            )
        if row is None:
            row = Template(tenant_id=tenant.id, account_id=account.id, name=spec.name, language=spec.language)
            session.add(row)
        row.category = spec.category
        row.parameter_format = spec.parameter_format
        row.components = [dict(c) for c in spec.components]
        row.status = "DRAFT"
        row.updated_at = utcnow()
        await session.flush()
        await _audit(session, actor, tenant, "template.create", row, account, replaced=replaced)
        template_id = row.id
    view = await catalog.get_template(services.db, actor, template_id, tenant_slug=tenant.slug)
    return DraftResult(view, warnings, replaced)


async def get_by_name(
    services: Services,
    actor: Actor,
    *,
    name: str,
    language: str | None = None,
    tenant_slug: str | None = None,
    waba_id: str | None = None,
) -> catalog.TemplateView:
    """Template ``name`` (in ``language`` when it exists in several) as the catalog shows it."""
    tenant, template = await _read_one(services, actor, name, language, tenant_slug, waba_id)
    return await catalog.get_template(services.db, actor, template.id, tenant_slug=tenant.slug)


async def lint_stored(
    services: Services,
    actor: Actor,
    *,
    name: str,
    language: str | None = None,
    tenant_slug: str | None = None,
    waba_id: str | None = None,
) -> StoredLint:
    """Lint a stored template again (a draft before submitting it, or a copy synced from Meta)."""
    _, template = await _read_one(services, actor, name, language, tenant_slug, waba_id)
    findings = LINTER.lint(_definition(template))
    return StoredLint(template.name, template.language, template.status, tuple(findings))


async def _read_one(
    services: Services, actor: Actor, name: str, language: str | None, tenant_slug: str | None, waba_id: str | None
) -> tuple[TenantRef, Template]:
    """The tenant (checked for reading templates) and its one template ``name`` (see :func:`find_one`)."""
    tenant = await _tenant(services, actor, tenant_slug, Action.TEMPLATE_READ)
    async with services.db.session(tenant.scope) as session:
        template, _ = await find_one(session, tenant.id, name, language=language, waba_id=waba_id)
    return tenant, template


def _definition(template: Template) -> dict[str, Any]:
    return definition_mapping(
        name=template.name,
        language=template.language,
        category=template.category,
        parameter_format=template.parameter_format,
        components=list(template.components or []),
    )


async def submit(
    services: Services,
    actor: Actor,
    *,
    name: str,
    language: str | None = None,
    tenant_slug: str | None = None,
    waba_id: str | None = None,
) -> SubmitResult:
    """Submit a DRAFT to Meta for review with its account's token; stores Meta's id and status (PENDING).

    The draft is linted first: with errors nothing reaches Meta (:class:`TemplateLintFailed`). Meta's refusals
    raise their :class:`~aimstors.core.channel.CloudApiError` and leave the draft as it was.
    """
    tenant = await _tenant(services, actor, tenant_slug, Action.TEMPLATE_SUBMIT)
    async with services.db.session(tenant.scope) as session:
        template, account = await find_one(session, tenant.id, name, language=language, waba_id=waba_id)
    if template.status != "DRAFT":
        raise Conflict(
            f"template {template.name} ({template.language}) is {template.status}, not a draft: it was submitted",
            hint="aimstors templates sync refreshes its status from Meta",
        )
    warnings = tuple(LINTER.require_clean(_definition(template)))
    spec = TemplateDefinition.from_mapping(_definition(template))
    access = account_access(services.keyring, account)
    meta_id, status, category, adopted = await _create_at_meta(services, access, spec)
    async with services.db.session(tenant.scope, write=True) as session:
        where = (Template.id == template.id, Template.tenant_id == tenant.id)
        await session.execute(
            update(Template).where(*where).values(meta_id=meta_id, category=category, updated_at=utcnow())
        )
        # A webhook may have moved the row on already (e.g. approved at once): never roll it back to PENDING.
        await session.execute(
            update(Template).where(*where, Template.status == "DRAFT").values(status=status, rejected_reason=None)
        )
        row = await session.get(Template, template.id, populate_existing=True)
        assert row is not None
        await _audit(session, actor, tenant, "template.submit", row, account, meta_id=meta_id, adopted=adopted)
        event = template_event(tenant.id, row)
    await services.events.publish([event])
    view = await catalog.get_template(services.db, actor, template.id, tenant_slug=tenant.slug)
    return SubmitResult(view, warnings, adopted)


async def _create_at_meta(
    services: Services, access: AccountAccess, spec: TemplateDefinition
) -> tuple[str, str, str, bool]:
    """Meta's id, status and category for ``spec``: created now, or adopted when Meta has it already."""
    body = spec.create_body()
    try:
        created = await services.cloud_api.templates.create(access.waba_id, **body, token=access.access_token)
    except InvalidParameter as exc:
        if exc.error_subcode != ALREADY_EXISTS_SUBCODE:
            raise
        async for info in services.cloud_api.templates.list(access.waba_id, name=spec.name, token=access.access_token):
            if info.name == spec.name and info.language == spec.language and info.id:
                status = (info.status or "PENDING").upper()
                return info.id, status[:32], (info.category or spec.category).upper(), True
        raise
    return created.id, (created.status or "PENDING").upper()[:32], (created.category or spec.category).upper(), False


async def delete(
    services: Services,
    actor: Actor,
    *,
    name: str,
    language: str | None = None,
    tenant_slug: str | None = None,
    waba_id: str | None = None,
) -> DeleteResult:
    """Delete template ``name`` (one language, or all of them) at Meta and here.

    Drafts were never at Meta and are only removed here. Rows that campaigns refer to are kept, marked DELETED,
    so reports still name their template. Meta refuses to delete DISABLED templates; a template Meta no longer
    has is removed here all the same.
    """
    tenant = await _tenant(services, actor, tenant_slug, Action.TEMPLATE_DELETE)
    async with services.db.session(tenant.scope) as session:
        rows = await find_named(session, tenant.id, name, language=language, waba_id=waba_id)
    account = rows[0][1]
    at_meta = [t for t, _ in rows if t.meta_id and t.status not in {"DELETED", "PENDING_DELETION"}]
    done = [t for t, _ in rows if t not in at_meta]  # drafts and rows Meta has deleted already
    deleted_at_meta = 0
    failure: Exception | None = None
    if at_meta:
        access = account_access(services.keyring, account)
        for template in at_meta:
            try:
                await services.cloud_api.templates.delete(
                    access.waba_id, template.name, template_id=template.meta_id, token=access.access_token
                )
                deleted_at_meta += 1
            except InvalidParameter as exc:
                if exc.error_subcode != NOT_FOUND_SUBCODE:
                    failure = exc
                    break
            except Exception as exc:  # what Meta did delete so far is removed here too; then the error is raised
                failure = exc
                break
            done.append(template)
    result = await _remove_locally(services, actor, tenant, account, done, deleted_at_meta=deleted_at_meta)
    if failure is not None:
        raise failure
    return result


async def _remove_locally(
    services: Services,
    actor: Actor,
    tenant: TenantRef,
    account: WhatsAppAccount,
    templates: list[Template],
    *,
    deleted_at_meta: int,
) -> DeleteResult:
    ids = [t.id for t in templates]
    events: list[DomainEvent] = []
    kept_ids: set[int] = set()
    async with services.db.session(tenant.scope, write=True) as session:
        if ids:
            kept_ids = set(
                await session.scalars(
                    select(Campaign.template_id).where(Campaign.tenant_id == tenant.id, Campaign.template_id.in_(ids))
                )
            )
            removable = [i for i in ids if i not in kept_ids]
            if removable:
                await session.execute(
                    sql_delete(Template).where(Template.tenant_id == tenant.id, Template.id.in_(removable))
                )
            if kept_ids:
                await session.execute(
                    update(Template)
                    .where(Template.tenant_id == tenant.id, Template.id.in_(kept_ids))
                    .values(status="DELETED", updated_at=utcnow())
                )
        for template in templates:
            template.status = "DELETED"
            await _audit(session, actor, tenant, "template.delete", template, account, kept=template.id in kept_ids)
            events.append(template_event(tenant.id, template))
    await services.events.publish(events)
    return DeleteResult(
        name=templates[0].name if templates else "",
        languages=tuple(sorted(t.language for t in templates)),
        deleted_at_meta=deleted_at_meta,
        removed=len(ids) - len(kept_ids),
        kept=len(kept_ids),
    )


async def _audit(
    session: AsyncSession,
    actor: Actor,
    tenant: TenantRef,
    action: str,
    template: Template,
    account: WhatsAppAccount,
    **details: Any,
) -> None:
    await record(
        session,
        actor,
        tenant.id,
        action,
        target_type="template",
        target_id=template.id,
        details={"name": template.name, "language": template.language, "waba_id": account.waba_id, **details},
    )
