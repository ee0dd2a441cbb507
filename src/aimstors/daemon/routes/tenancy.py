"""Tenants, users and memberships, API keys — each call confined to the caller's subtree by the services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter

from aimstors.core.security import Action, Role
from aimstors.core.tenancy import apikeys, tenants, users
from aimstors.daemon.auth import ActorDep
from aimstors.daemon.routes.deps import services_of


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    name: str | None = None
    kind: Literal["workspace", "reseller"] = "workspace"
    parent: str | None = None


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str | None = None
    name: str = ""
    tenant: str | None = None
    role: Role | None = None


class Grant(msgspec.Struct, forbid_unknown_fields=True):
    tenant: str
    role: Role


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    role: Role = Role.WORKSPACE_AGENT


class TenantController(Controller):
    path = "/api/v1/tenants"

    @get("/", opt={"action": Action.TENANT_READ})
    async def list_tenants(
        self, request: Request[Any, Any, Any], actor: ActorDep, kind: FromQuery[str | None] = None
    ) -> list[tenants.TenantInfo]:
        return await tenants.list_tenants(services_of(request).db, actor, kind=kind)

    @post("/", opt={"action": Action.TENANT_CREATE})
    async def create_tenant(
        self, request: Request[Any, Any, Any], actor: ActorDep, data: JSONBody[TenantCreate]
    ) -> tenants.TenantInfo:
        return await tenants.create_tenant(
            services_of(request).db, actor, slug=data.slug, name=data.name, kind=data.kind, parent_slug=data.parent
        )

    @get("/{slug:str}", opt={"action": Action.TENANT_READ})
    async def show_tenant(
        self, request: Request[Any, Any, Any], actor: ActorDep, slug: FromPath[str]
    ) -> tenants.TenantInfo:
        return await tenants.get_tenant(services_of(request).db, actor, slug)

    @get("/{slug:str}/api-keys", opt={"action": Action.APIKEY_READ})
    async def list_keys(
        self, request: Request[Any, Any, Any], actor: ActorDep, slug: FromPath[str]
    ) -> list[apikeys.ApiKeyInfo]:
        return await apikeys.list_api_keys(services_of(request).db, actor, tenant_slug=slug)

    @post("/{slug:str}/api-keys", opt={"action": Action.APIKEY_CREATE})
    async def create_key(
        self, request: Request[Any, Any, Any], actor: ActorDep, slug: FromPath[str], data: JSONBody[ApiKeyCreate]
    ) -> dict[str, Any]:
        info, secret = await apikeys.create_api_key(
            services_of(request).db, actor, tenant_slug=slug, name=data.name, role=data.role
        )
        return {"key": info, "secret": secret}


class UserController(Controller):
    path = "/api/v1/users"

    @get("/", opt={"action": Action.USER_READ})
    async def list_users(
        self, request: Request[Any, Any, Any], actor: ActorDep, tenant: FromQuery[str | None] = None
    ) -> list[users.UserInfo]:
        return await users.list_users(services_of(request).db, actor, tenant_slug=tenant)

    @post("/", opt={"action": Action.USER_CREATE})
    async def create_user(
        self, request: Request[Any, Any, Any], actor: ActorDep, data: JSONBody[UserCreate]
    ) -> users.UserInfo:
        return await users.create_user(
            services_of(request).db,
            actor,
            email=data.email,
            password=data.password,
            name=data.name,
            tenant_slug=data.tenant,
            role=data.role,
        )

    @post("/{email:str}/memberships", opt={"action": Action.USER_GRANT})
    async def grant(
        self, request: Request[Any, Any, Any], actor: ActorDep, email: FromPath[str], data: JSONBody[Grant]
    ) -> users.MembershipInfo:
        return await users.grant(services_of(request).db, actor, email=email, tenant_slug=data.tenant, role=data.role)

    @delete("/{email:str}/memberships/{tenant:str}", opt={"action": Action.USER_REVOKE}, status_code=204)
    async def revoke(
        self, request: Request[Any, Any, Any], actor: ActorDep, email: FromPath[str], tenant: FromPath[str]
    ) -> None:
        await users.revoke(services_of(request).db, actor, email=email, tenant_slug=tenant)


@delete("/api/v1/api-keys/{prefix:str}", opt={"action": Action.APIKEY_REVOKE}, status_code=200)
async def revoke_key(
    request: Request[Any, Any, Any], actor: ActorDep, prefix: Annotated[str, PathParameter(pattern=r"^ak_[a-z0-9]+$")]
) -> apikeys.ApiKeyInfo:
    return await apikeys.revoke_api_key(services_of(request).db, actor, prefix=prefix)
