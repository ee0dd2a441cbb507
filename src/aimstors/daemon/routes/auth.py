"""Log in with a password for a session token; log out everywhere; who am I."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody
from sqlalchemy import select

from aimstors.core.db import Scope
from aimstors.core.db.models import Membership, Tenant, User
from aimstors.core.errors import AuthenticationFailed, InvalidInput
from aimstors.core.security import PERMISSIONS, issue_token
from aimstors.core.services import Services
from aimstors.core.tenancy.users import authenticate, bump_token_version
from aimstors.daemon.auth import ActorDep


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str
    tenant: str | None = None


class LoginResponse(msgspec.Struct):
    token: str
    expires_at: dt.datetime
    tenant: str
    role: str


class Me(msgspec.Struct):
    kind: str
    role: str
    tenant: str | None
    tenant_id: int | None
    user_id: int | None
    email: str | None
    api_key_id: int | None
    permissions: list[str]


@post("/api/v1/auth/login", status_code=200)
async def login(request: Request[Any, Any, Any], data: JSONBody[LoginRequest]) -> LoginResponse:
    """Exchange email and password for a session token in one of the user's tenants."""
    services: Services = request.app.state.services
    user = await authenticate(services.db, email=data.email, password=data.password)
    async with services.db.session(Scope.system()) as session:
        rows = list(
            await session.execute(
                select(Membership.role, Tenant.id, Tenant.slug)
                .join(Tenant, Tenant.id == Membership.tenant_id)
                .where(Membership.user_id == user.id)
                .order_by(Tenant.path)
            )
        )
    if data.tenant is not None:
        rows = [r for r in rows if r.slug == data.tenant]
    if not rows:
        raise AuthenticationFailed("wrong email or password")
    if len(rows) > 1:
        raise InvalidInput("you have roles in several tenants; say which with 'tenant'")
    role, tenant_id, slug = rows[0]
    ttl = services.settings.jwt_ttl_seconds
    token = issue_token(
        services.settings.jwt_secret,
        user_id=user.id,
        tenant_id=tenant_id,
        role=role,
        token_version=user.token_version,
        ttl_seconds=ttl,
    )
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl)
    return LoginResponse(token=token, expires_at=expires, tenant=slug, role=role)


@post("/api/v1/auth/logout-everywhere", status_code=200, opt={"action": None})
async def logout_everywhere(request: Request[Any, Any, Any], actor: ActorDep) -> dict[str, str]:
    """Revoke every session token of the calling user."""
    if actor.user_id is None:
        raise InvalidInput("API keys have no sessions; revoke the key instead")
    services: Services = request.app.state.services
    await bump_token_version(services.db, actor.user_id)
    return {"status": "signed out everywhere"}


@get("/api/v1/me", opt={"action": None})
async def me(request: Request[Any, Any, Any], actor: ActorDep) -> Me:
    """The caller: role, tenant and what it may do."""
    services: Services = request.app.state.services
    email = slug = None
    async with services.db.session(Scope.system()) as session:
        if actor.user_id is not None:
            email = await session.scalar(select(User.email).where(User.id == actor.user_id))
        if actor.tenant_id is not None:
            slug = await session.scalar(select(Tenant.slug).where(Tenant.id == actor.tenant_id))
    return Me(
        kind=actor.kind,
        role=str(actor.role),
        tenant=slug,
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        email=email,
        api_key_id=actor.api_key_id,
        permissions=sorted(a.value for a in PERMISSIONS[actor.role]),
    )
