"""The tenant tree: the platform root, resellers and workspaces.

Every tenant has a materialised ``path`` of ids (``/1/4/9/``); an actor may act on a tenant when the tenant's path
starts with the actor's own (see :func:`aimstors.core.security.authorize`). Slugs are global and stable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Tenant
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.security import Action, Actor, authorize

__all__ = [
    "PLATFORM_SLUG",
    "TenantInfo",
    "create_tenant",
    "ensure_platform_root",
    "get_tenant",
    "list_tenants",
    "resolve_tenant",
    "subtree_scope",
    "validate_slug",
]

PLATFORM_SLUG = "platform"
TenantKind = Literal["platform", "reseller", "workspace"]
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True, slots=True)
class TenantInfo:
    id: int
    slug: str
    name: str
    kind: str
    parent_slug: str | None
    path: str
    status: str
    created_at: dt.datetime


def validate_slug(slug: str) -> str:
    if not _SLUG.fullmatch(slug):
        raise InvalidInput(
            f"tenant slug {slug!r} is invalid: use 1-63 lowercase letters, digits and '-', starting with a letter "
            "or digit"
        )
    return slug


async def resolve_tenant(session: AsyncSession, slug: str) -> Tenant:
    """The tenant with ``slug`` as visible in the session's scope; NotFound otherwise (also for other tenants)."""
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant


async def subtree_scope(db: Database, actor: Actor) -> Scope:
    """The scope of every tenant in the actor's subtree (the system scope for the system actor)."""
    if actor.is_system:
        return Scope.system()
    async with db.session(Scope.system()) as session:
        ids = await session.scalars(select(Tenant.id).where(Tenant.path.startswith(actor.tenant_path)))
        return Scope.tenants(ids)


async def _info(session: AsyncSession, tenant: Tenant) -> TenantInfo:
    parent_slug = None
    if tenant.parent_id is not None:
        parent_slug = await session.scalar(select(Tenant.slug).where(Tenant.id == tenant.parent_id))
    return TenantInfo(
        tenant.id,
        tenant.slug,
        tenant.name,
        tenant.kind,
        parent_slug,
        tenant.path,
        tenant.status,
        tenant.created_at,
    )


async def _insert(session: AsyncSession, *, slug: str, name: str, kind: str, parent: Tenant | None) -> Tenant:
    tenant = Tenant(slug=slug, name=name, kind=kind, parent_id=parent.id if parent else None, path="/")
    session.add(tenant)
    await session.flush()
    tenant.path = f"{parent.path if parent else '/'}{tenant.id}/"
    await session.flush()
    return tenant


async def ensure_platform_root(db: Database, *, name: str = "Platform") -> tuple[TenantInfo, bool]:
    """The platform root tenant, created if missing. Returns ``(info, created)``."""
    async with db.session(Scope.system(), write=True) as session:
        root = await session.scalar(select(Tenant).where(Tenant.kind == "platform"))
        created = root is None
        if root is None:
            root = await _insert(session, slug=PLATFORM_SLUG, name=name, kind="platform", parent=None)
        return await _info(session, root), created


async def create_tenant(
    db: Database,
    actor: Actor,
    *,
    slug: str,
    name: str | None = None,
    kind: Literal["reseller", "workspace"] = "workspace",
    parent_slug: str | None = None,
) -> TenantInfo:
    """Create a reseller (under the platform root) or a workspace (under the root or a reseller)."""
    validate_slug(slug)
    if kind not in {"reseller", "workspace"}:
        raise InvalidInput(f"tenant kind must be 'reseller' or 'workspace', not {kind!r}")
    async with db.session(Scope.system(), write=True) as session:
        if parent_slug is None:
            parent = await session.scalar(select(Tenant).where(Tenant.kind == "platform"))
            if parent is None:
                raise NotFound("the platform root does not exist; run `aimstors init`")
        else:
            parent = await session.scalar(select(Tenant).where(Tenant.slug == parent_slug))
            if parent is None or not parent.path.startswith(actor.tenant_path):
                raise NotFound(f"no tenant {parent_slug!r}")
        authorize(actor, Action.TENANT_CREATE, parent.path)
        allowed_parents = {"reseller": {"platform"}, "workspace": {"platform", "reseller"}}[kind]
        if parent.kind not in allowed_parents:
            raise InvalidInput(f"a {kind} cannot be created under a {parent.kind} ({parent.slug!r})")
        if await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
            raise Conflict(f"a tenant with slug {slug!r} already exists")
        tenant = await _insert(session, slug=slug, name=name or slug, kind=kind, parent=parent)
        from aimstors.core.tenancy.audit import record

        await record(
            session,
            actor,
            parent.id,
            "tenant.create",
            target_type="tenant",
            target_id=tenant.id,
            details={"slug": slug, "kind": kind},
        )
        return await _info(session, tenant)


async def get_tenant(db: Database, actor: Actor, slug: str) -> TenantInfo:
    """One tenant the actor may read; NotFound for unknown slugs *and* for tenants outside the actor's reach."""
    async with db.session(await subtree_scope(db, actor)) as session:
        tenant = await resolve_tenant(session, slug)
        if not tenant.path.startswith(actor.tenant_path):
            raise NotFound(f"no tenant {slug!r}")
        authorize(actor, Action.TENANT_READ, tenant.path)
        return await _info(session, tenant)


async def list_tenants(db: Database, actor: Actor, *, kind: str | None = None) -> list[TenantInfo]:
    """Every tenant in the actor's subtree, in tree order."""
    scope = await subtree_scope(db, actor)
    async with db.session(scope) as session:
        stmt = select(Tenant).where(Tenant.path.startswith(actor.tenant_path)).order_by(Tenant.path)
        if kind:
            stmt = stmt.where(Tenant.kind == kind)
        tenants = list(await session.scalars(stmt))
        if tenants:
            authorize(actor, Action.TENANT_READ, tenants[0].path)
        slugs = {t.id: t.slug for t in tenants}
        return [
            TenantInfo(
                t.id,
                t.slug,
                t.name,
                t.kind,
                slugs.get(t.parent_id) if t.parent_id else None,
                t.path,
                t.status,
                t.created_at,
            )
            for t in tenants
        ]
