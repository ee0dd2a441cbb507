"""Who is calling: bearer session tokens (JWT) or API keys → an ``Actor``; and the guard on every route.

Every API route declares the action it performs in ``opt={"action": Action.X}``; the guard authenticates the
caller and checks the role against the permission matrix before the handler runs. Services then check the target
tenant against the actor's subtree, so a client-supplied tenant id alone never grants anything.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from aimstors.core.errors import AuthenticationFailed, PermissionDenied
from aimstors.core.security import Action, Actor, has_permission, verify_token
from aimstors.core.services import Services
from aimstors.core.tenancy.actors import actor_for_claims
from aimstors.core.tenancy.apikeys import actor_for_api_key

__all__ = ["ActorDep", "authenticate", "current_actor", "requires_action"]

# Handlers declare ``actor: ActorDep`` to receive the authenticated caller.
ActorDep = NamedDependency[Actor]

_ACTOR_KEY = "aimstors_actor"


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The actor behind the request's bearer credential (cached for the request)."""
    cached = connection.scope.get("state", {}).get(_ACTOR_KEY)
    if isinstance(cached, Actor):
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise AuthenticationFailed("missing bearer credential", hint="send Authorization: Bearer <token or API key>")
    credential = credential.strip()
    services: Services = connection.app.state.services
    if credential.startswith("ak_"):
        actor = await actor_for_api_key(services.db, credential)
    else:
        claims = verify_token(services.settings.jwt_secret, credential)
        actor = await actor_for_claims(services.db, claims)
    connection.scope.setdefault("state", {})[_ACTOR_KEY] = actor
    return actor


async def requires_action(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: the caller is authenticated and its role holds the route's action."""
    actor = await authenticate(connection)
    action = handler.opt.get("action")
    if action is None:
        return
    if not has_permission(actor.role, Action(action)):
        raise PermissionDenied(f"role {actor.role} may not {action}")


async def current_actor(request: Request[Any, Any, Any]) -> Actor:
    """Dependency: the authenticated actor (the guard has already resolved it)."""
    return await authenticate(request)
