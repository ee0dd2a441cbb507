"""API keys: created for a tenant and a role, the secret shown once, stored as a hash with a visible prefix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import ApiKey, Tenant
from aimstors.core.errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from aimstors.core.security import (
    Action,
    Actor,
    Role,
    authorize,
    can_grant,
    generate_api_key,
    parse_api_key,
    role_fits_tenant_kind,
    verify_api_key,
)
from aimstors.core.tenancy.access import target_tenant
from aimstors.core.tenancy.audit import record

__all__ = ["ApiKeyInfo", "actor_for_api_key", "create_api_key", "list_api_keys", "revoke_api_key"]


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: int
    tenant_slug: str
    name: str
    prefix: str
    role: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _info(key: ApiKey, slug: str) -> ApiKeyInfo:
    return ApiKeyInfo(key.id, slug, key.name, key.prefix, key.role, key.created_at, key.last_used_at, key.revoked_at)


async def create_api_key(
    db: Database, actor: Actor, *, tenant_slug: str, name: str, role: Role
) -> tuple[ApiKeyInfo, str]:
    """Create a key; returns its record and the secret, which is never stored or shown again."""
    if not name.strip():
        raise InvalidInput("an API key needs a name")
    role = Role(role)
    tenant = await target_tenant(db, actor, tenant_slug, Action.APIKEY_CREATE)
    async with db.session(tenant.scope, write=True) as session:
        if not can_grant(actor.role, role) and not actor.is_system:
            raise PermissionDenied(f"role {actor.role} may not create a key with role {role}")
        if not role_fits_tenant_kind(role, tenant.kind):
            raise InvalidInput(f"role {role} cannot be held on a {tenant.kind} (tenant {tenant_slug!r})")
        new = generate_api_key()
        key = ApiKey(
            tenant_id=tenant.id,
            name=name.strip(),
            prefix=new.prefix,
            key_hash=new.key_hash,
            role=str(role),
            created_by=actor.user_id,
        )
        session.add(key)
        await session.flush()
        await record(
            session,
            actor,
            tenant.id,
            "apikey.create",
            target_type="api_key",
            target_id=key.id,
            details={"prefix": new.prefix, "role": str(role)},
        )
        return _info(key, tenant.slug), new.secret


async def list_api_keys(db: Database, actor: Actor, *, tenant_slug: str) -> list[ApiKeyInfo]:
    tenant = await target_tenant(db, actor, tenant_slug, Action.APIKEY_READ)
    async with db.session(tenant.scope) as session:
        keys = await session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant.id).order_by(ApiKey.id))
        return [_info(k, tenant.slug) for k in keys]


async def revoke_api_key(db: Database, actor: Actor, *, prefix: str) -> ApiKeyInfo:
    """Revoke a key by its visible prefix (idempotent: revoking twice keeps the first revocation time)."""
    async with db.session(Scope.system(), write=True) as session:
        row = (
            await session.execute(
                select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id).where(ApiKey.prefix == prefix)
            )
        ).first()
        if row is None or not row[1].path.startswith(actor.tenant_path):
            raise NotFound(f"no API key {prefix!r}")
        key, tenant = row
        authorize(actor, Action.APIKEY_REVOKE, tenant.path)
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            await record(
                session,
                actor,
                tenant.id,
                "apikey.revoke",
                target_type="api_key",
                target_id=key.id,
                details={"prefix": prefix},
            )
        return _info(key, tenant.slug)


async def actor_for_api_key(db: Database, secret: str) -> Actor:
    """The actor an API key stands for; AuthenticationFailed for unknown, revoked or expired keys."""
    failure = AuthenticationFailed("invalid API key")
    try:
        prefix = parse_api_key(secret)
    except (InvalidInput, AuthenticationFailed):
        raise failure from None
    async with db.session(Scope.system()) as session:
        row = (
            await session.execute(
                select(ApiKey, Tenant.path).join(Tenant, Tenant.id == ApiKey.tenant_id).where(ApiKey.prefix == prefix)
            )
        ).first()
    if row is None:
        raise failure
    key, path = row
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise failure
    if not verify_api_key(secret, key.key_hash):
        raise failure
    async with db.session(Scope.system(), write=True) as session:
        await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return Actor(
        user_id=None,
        role=Role(key.role),
        tenant_id=key.tenant_id,
        tenant_path=path,
        api_key_id=key.id,
        kind="api_key",
    )
