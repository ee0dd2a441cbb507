"""Users and their memberships (a role in a tenant), password login, and logout-everywhere."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Membership, Tenant, User
from aimstors.core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from aimstors.core.security import (
    Action,
    Actor,
    Role,
    authorize,
    can_grant,
    hash_password_async,
    role_fits_tenant_kind,
    verify_password_async,
)
from aimstors.core.tenancy.audit import record
from aimstors.core.tenancy.tenants import resolve_tenant, subtree_scope

__all__ = [
    "MembershipInfo",
    "UserInfo",
    "authenticate",
    "bump_token_version",
    "create_user",
    "grant",
    "list_users",
    "normalise_email",
    "revoke",
]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class MembershipInfo:
    tenant_slug: str
    tenant_id: int
    tenant_path: str
    role: str


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    email: str
    name: str
    is_active: bool
    created_at: dt.datetime
    memberships: tuple[MembershipInfo, ...]


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise InvalidInput(f"{email!r} is not an email address")
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")


async def _memberships(session: AsyncSession, user_id: int, within: str = "/") -> tuple[MembershipInfo, ...]:
    rows = await session.execute(
        select(Tenant.slug, Tenant.id, Tenant.path, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user_id, Tenant.path.startswith(within))
        .order_by(Tenant.path)
    )
    return tuple(MembershipInfo(*row) for row in rows)


async def create_user(
    db: Database,
    actor: Actor,
    *,
    email: str,
    password: str | None,
    name: str = "",
    tenant_slug: str | None = None,
    role: Role | None = None,
) -> UserInfo:
    """Create a user, optionally with a first membership. The password is hashed (argon2id) off the event loop."""
    email = normalise_email(email)
    if password is not None:
        _check_password(password)
    password_hash = await hash_password_async(password) if password is not None else None
    async with db.session(Scope.system(), write=True) as session:
        target: Tenant | None = None
        if tenant_slug is not None:
            target = await session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
            if target is None or not target.path.startswith(actor.tenant_path):
                raise NotFound(f"no tenant {tenant_slug!r}")
            authorize(actor, Action.USER_CREATE, target.path)
        else:
            authorize(actor, Action.USER_CREATE, actor.tenant_path if actor.tenant_path != "/" else "/1/")
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"a user with email {email!r} already exists")
        user = User(email=email, name=name, password_hash=password_hash)
        session.add(user)
        await session.flush()
        if target is not None and role is not None:
            await _grant(session, actor, user, target, Role(role))
        await record(
            session,
            actor,
            target.id if target else await _root_id(session),
            "user.create",
            target_type="user",
            target_id=user.id,
        )
        return UserInfo(
            user.id,
            user.email,
            user.name,
            user.is_active,
            user.created_at,
            await _memberships(session, user.id),
        )


async def _root_id(session: AsyncSession) -> int:
    root = await session.scalar(select(Tenant.id).where(Tenant.kind == "platform"))
    if root is None:
        raise NotFound("the platform root does not exist; run `aimstors init`")
    return root


async def _grant(session: AsyncSession, actor: Actor, user: User, tenant: Tenant, role: Role) -> None:
    authorize(actor, Action.USER_GRANT, tenant.path)
    if not can_grant(actor.role, role):
        raise PermissionDenied(f"role {actor.role} may not grant {role}")
    if not role_fits_tenant_kind(role, tenant.kind):
        raise InvalidInput(f"role {role} cannot be held on a {tenant.kind} (tenant {tenant.slug!r})")
    existing = await session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == tenant.id)
    )
    if existing is None:
        session.add(Membership(user_id=user.id, tenant_id=tenant.id, role=str(role)))
    else:
        existing.role = str(role)
    await session.flush()
    await record(
        session,
        actor,
        tenant.id,
        "user.grant",
        target_type="user",
        target_id=user.id,
        details={"role": str(role)},
    )


async def _user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no user {email!r}")
    return user


async def _target(session: AsyncSession, actor: Actor, tenant_slug: str) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None or not tenant.path.startswith(actor.tenant_path):
        raise NotFound(f"no tenant {tenant_slug!r}")
    return tenant


async def grant(db: Database, actor: Actor, *, email: str, tenant_slug: str, role: Role) -> MembershipInfo:
    """Give a user ``role`` in a tenant (replacing a role they had there)."""
    async with db.session(Scope.system(), write=True) as session:
        tenant = await _target(session, actor, tenant_slug)
        user = await _user_by_email(session, email)
        await _grant(session, actor, user, tenant, Role(role))
        return MembershipInfo(tenant.slug, tenant.id, tenant.path, str(role))


async def revoke(db: Database, actor: Actor, *, email: str, tenant_slug: str) -> None:
    """Remove a user's membership in a tenant and revoke their outstanding tokens."""
    async with db.session(Scope.system(), write=True) as session:
        tenant = await _target(session, actor, tenant_slug)
        authorize(actor, Action.USER_REVOKE, tenant.path)
        user = await _user_by_email(session, email)
        result = await session.execute(
            delete(Membership).where(Membership.user_id == user.id, Membership.tenant_id == tenant.id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"user {email!r} has no role in {tenant_slug!r}")
        await session.execute(update(User).where(User.id == user.id).values(token_version=User.token_version + 1))
        await record(session, actor, tenant.id, "user.revoke", target_type="user", target_id=user.id)


async def list_users(db: Database, actor: Actor, *, tenant_slug: str | None = None) -> list[UserInfo]:
    """Users holding a membership in the actor's subtree (or in one tenant of it)."""
    scope = await subtree_scope(db, actor)
    async with db.session(scope) as session:
        within = actor.tenant_path
        if tenant_slug is not None:
            tenant = await resolve_tenant(session, tenant_slug)
            if not tenant.path.startswith(actor.tenant_path):
                raise NotFound(f"no tenant {tenant_slug!r}")
            within = tenant.path
        authorize(actor, Action.USER_READ, within if within != "/" else "/1/")
        member_ids = (
            select(Membership.user_id)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Tenant.path.startswith(within))
        )
        stmt = select(User).order_by(User.email)
        if not (actor.is_system and tenant_slug is None):
            stmt = stmt.where(User.id.in_(member_ids))
        users = list(await session.scalars(stmt))
        return [
            UserInfo(u.id, u.email, u.name, u.is_active, u.created_at, await _memberships(session, u.id, within))
            for u in users
        ]


async def authenticate(db: Database, *, email: str, password: str) -> User:
    """The active user with this email and password; AuthenticationFailed otherwise (same message either way)."""
    failure = AuthenticationFailed("wrong email or password")
    try:
        email = normalise_email(email)
    except InvalidInput:
        raise failure from None
    async with db.session(Scope.system()) as session:
        user = await session.scalar(select(User).where(User.email == email))
    known = user is not None and user.is_active and bool(user.password_hash)
    # Spend one hash even for unknown users, so the response time does not reveal which accounts exist.
    ok = await verify_password_async(user.password_hash if known else None, password)  # type: ignore[union-attr]
    if not known or not ok or user is None:
        raise failure
    async with db.session(Scope.system(), write=True) as session:
        await session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    return user


async def bump_token_version(db: Database, user_id: int) -> int:
    """Revoke every token of a user (logout everywhere); returns the new version."""
    async with db.session(Scope.system(), write=True) as session:
        await session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
        version = await session.scalar(select(User.token_version).where(User.id == user_id))
        if version is None:
            raise NotFound("no such user")
        return version
