"""White-label branding and custom domains of resellers and workspaces.

A tenant may set its brand (display name, logo URL, colours, support email) and add custom domains. A domain
serves branded endpoints once verified; a request's ``Host`` then resolves to that tenant's brand — or, when it
has none of its own, to the nearest brand up its tree (a reseller's workspaces wear the reseller's brand). An
unknown host gets the platform's brand.

Verification: adding a domain returns a token to publish as the DNS TXT record ``_aimstors.<host>``; a platform
admin marks the domain verified after checking it (``aimstors domain verify``). An automatic DNS check is not
built yet (the machine this runs on may not resolve public names).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Branding, Domain, Tenant
from aimstors.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aimstors.core.security import Action, Actor, Role, authorize
from aimstors.core.tenancy.access import target_tenant
from aimstors.core.tenancy.audit import record

__all__ = [
    "PLATFORM_BRAND",
    "BrandView",
    "DomainView",
    "add_domain",
    "list_domains",
    "resolve_branding",
    "set_branding",
    "verify_domain",
]

_HOST = re.compile(r"(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, slots=True)
class BrandView:
    name: str
    logo_url: str | None
    primary_color: str | None
    accent_color: str | None
    support_email: str | None
    tenant: str | None  # whose brand this is (None: the built-in platform brand)


PLATFORM_BRAND = BrandView("aimstors", None, "#128C7E", "#25D366", None, None)


@dataclass(frozen=True, slots=True)
class DomainView:
    hostname: str
    tenant: str
    verified: bool
    verified_at: dt.datetime | None
    txt_record: str
    txt_value: str


def normalise_host(host: str) -> str:
    """``Shop.Example.com:443`` → ``shop.example.com``; InvalidInput for anything that is not a host name."""
    name = host.strip().lower().rsplit(":", 1)[0] if not host.strip().startswith("[") else ""
    name = name.rstrip(".")
    if not _HOST.fullmatch(name):
        raise InvalidInput(f"{host!r} is not a host name (like shop.example.com)")
    return name


def _check_colour(value: str | None, field: str) -> None:
    if value is not None and not _COLOUR.fullmatch(value):
        raise InvalidInput(f"{field} must be a colour like #128C7E, not {value!r}")


async def set_branding(
    db: Database,
    actor: Actor,
    slug: str,
    *,
    display_name: str,
    logo_url: str | None = None,
    primary_color: str | None = None,
    accent_color: str | None = None,
    support_email: str | None = None,
) -> BrandView:
    """Set a tenant's brand (replaces the previous one)."""
    if not display_name.strip() or len(display_name) > 200:
        raise InvalidInput("the brand's display name must be 1-200 characters")
    if logo_url is not None and not logo_url.startswith("https://"):
        raise InvalidInput("the logo URL must start with https://")
    _check_colour(primary_color, "primary_color")
    _check_colour(accent_color, "accent_color")
    tenant = await target_tenant(db, actor, slug, Action.BRANDING_WRITE)
    async with db.session(tenant.scope, write=True) as session:
        row = await session.get(Branding, tenant.id)
        if row is None:
            row = Branding(tenant_id=tenant.id, display_name=display_name)
            session.add(row)
        row.display_name, row.logo_url = display_name.strip(), logo_url
        row.primary_color, row.accent_color, row.support_email = primary_color, accent_color, support_email
        row.updated_at = utcnow()
        await record(session, actor, tenant.id, "branding.write", target_type="tenant", target_id=tenant.id)
    return BrandView(display_name.strip(), logo_url, primary_color, accent_color, support_email, tenant.slug)


def _domain_view(domain: Domain, slug: str) -> DomainView:
    return DomainView(domain.hostname, slug, domain.verified_at is not None, domain.verified_at,
                      f"_aimstors.{domain.hostname}", domain.verification_token)  # fmt: skip


async def add_domain(db: Database, actor: Actor, slug: str, hostname: str) -> DomainView:
    """Add a custom domain to a tenant; it serves the brand once verified. Conflict if any tenant has it."""
    host = normalise_host(hostname)
    tenant = await target_tenant(db, actor, slug, Action.DOMAIN_WRITE)
    async with db.session(Scope.system(), write=True) as session:  # host names are unique across tenants
        if await session.scalar(select(Domain.id).where(Domain.hostname == host)) is not None:
            raise Conflict(f"the domain {host} is already taken")
        domain = Domain(tenant_id=tenant.id, hostname=host, verification_token=secrets.token_urlsafe(24))
        session.add(domain)
        await session.flush()
        await record(session, actor, tenant.id, "domain.write", target_type="domain", target_id=domain.id,
                     details={"hostname": host})  # fmt: skip
        return _domain_view(domain, tenant.slug)


async def list_domains(db: Database, actor: Actor, slug: str) -> list[DomainView]:
    tenant = await target_tenant(db, actor, slug, Action.DOMAIN_READ)
    async with db.session(tenant.scope) as session:
        rows = await session.scalars(select(Domain).where(Domain.tenant_id == tenant.id).order_by(Domain.hostname))
        return [_domain_view(d, tenant.slug) for d in rows]


async def verify_domain(db: Database, actor: Actor, hostname: str) -> DomainView:
    """Mark a domain verified (a platform admin, after checking its TXT record)."""
    host = normalise_host(hostname)
    async with db.session(Scope.system(), write=True) as session:
        row = (await session.execute(
            select(Domain, Tenant).join(Tenant, Tenant.id == Domain.tenant_id).where(Domain.hostname == host)
        )).first()  # fmt: skip
        if row is None or not row[1].path.startswith(actor.tenant_path):
            raise NotFound(f"no domain {host}")
        domain, tenant = row
        authorize(actor, Action.DOMAIN_WRITE, tenant.path)
        if actor.role not in {Role.SUPER_ADMIN, Role.PLATFORM_ADMIN}:
            raise PermissionDenied("only platform admins verify domains")
        if domain.verified_at is None:
            domain.verified_at = utcnow()
            await record(session, actor, tenant.id, "domain.verify", target_type="domain", target_id=domain.id,
                         details={"hostname": host})  # fmt: skip
        return _domain_view(domain, tenant.slug)


async def resolve_branding(db: Database, host: str | None) -> BrandView:
    """The brand for a request's ``Host``: its verified domain's tenant (or nearest ancestor with a brand),
    else the platform's own brand, else the built-in one. Never raises for an odd host: it gets the default."""
    try:
        name = normalise_host(host or "")
    except InvalidInput:
        name = ""
    async with db.session(Scope.system()) as session:
        tenant = None
        if name:
            tenant = await session.scalar(
                select(Tenant).join(Domain, Domain.tenant_id == Tenant.id)
                .where(Domain.hostname == name, Domain.verified_at.is_not(None))
            )  # fmt: skip
        if tenant is None:
            tenant = await session.scalar(select(Tenant).where(Tenant.kind == "platform"))
            if tenant is None:
                return PLATFORM_BRAND
        chain = [int(part) for part in tenant.path.strip("/").split("/") if part]
        brands = {b.tenant_id: b for b in await session.scalars(select(Branding).where(Branding.tenant_id.in_(chain)))}
        slugs = dict((await session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(chain)))).all())
    for tenant_id in reversed(chain):  # nearest first
        brand = brands.get(tenant_id)
        if brand is not None:
            return BrandView(brand.display_name, brand.logo_url, brand.primary_color, brand.accent_color,
                             brand.support_email, slugs.get(tenant_id))  # fmt: skip
    if tenant.kind != "platform":  # a verified domain without any brand above it: at least its own name
        return BrandView(
            tenant.name, None, PLATFORM_BRAND.primary_color, PLATFORM_BRAND.accent_color, None, tenant.slug
        )
    return PLATFORM_BRAND
