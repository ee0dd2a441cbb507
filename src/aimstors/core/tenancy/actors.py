"""Who is acting: the actor behind a user's membership (CLI ``--as``, session tokens)."""

from __future__ import annotations

from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Membership, Tenant, User
from aimstors.core.errors import AuthenticationFailed, InvalidInput, NotFound
from aimstors.core.security import Actor, Role, TokenClaims, check_token_version
from aimstors.core.tenancy.users import normalise_email

__all__ = ["actor_for_claims", "actor_for_user"]


async def actor_for_user(db: Database, email: str, *, tenant_slug: str | None = None) -> Actor:
    """The actor for a user's membership; with several memberships, ``tenant_slug`` picks one."""
    async with db.session(Scope.system()) as session:
        user = await session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None or not user.is_active:
            raise NotFound(f"no active user {email!r}")
        stmt = (
            select(Membership.role, Tenant.id, Tenant.path, Tenant.slug)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == user.id)
            .order_by(Tenant.path)
        )
        rows = list(await session.execute(stmt))
    if tenant_slug is not None:
        rows = [r for r in rows if r.slug == tenant_slug]
    if not rows:
        raise NotFound(f"user {email!r} has no role" + (f" in {tenant_slug!r}" if tenant_slug else ""))
    if len(rows) > 1:
        raise InvalidInput(
            f"user {email!r} has roles in several tenants ({', '.join(r.slug for r in rows)}); pick one with --tenant"
        )
    role, tenant_id, path, _slug = rows[0]
    return Actor(user_id=user.id, role=Role(role), tenant_id=tenant_id, tenant_path=path, kind="user")


async def actor_for_claims(db: Database, claims: TokenClaims) -> Actor:
    """The actor of a verified session token, checking it was not revoked and the membership still holds."""
    async with db.session(Scope.system()) as session:
        user = await session.get(User, claims.user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("token revoked")
        check_token_version(claims, user.token_version)
        row = (
            await session.execute(
                select(Membership.role, Tenant.path)
                .join(Tenant, Tenant.id == Membership.tenant_id)
                .where(Membership.user_id == user.id, Membership.tenant_id == claims.tenant_id)
            )
        ).first()
    if row is None or row.role != claims.role:
        raise AuthenticationFailed("token revoked")
    return Actor(user_id=user.id, role=Role(row.role), tenant_id=claims.tenant_id, tenant_path=row.path)
