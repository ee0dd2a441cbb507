"""The tenancy matrix: every route, called by every role of one tenant against another tenant's resources.

A route is described once (:class:`Route`: method, URL template, the action its guard declares); the matrix calls
it as each :class:`Caller` against every tenant outside the caller's reach, two ways:

* naming the foreign tenant (``{tenant}`` = its slug) with the foreign tenant's resource ids, and
* naming a workspace the caller *may* act on with the foreign tenant's resource ids (a guessed id must not
  reach across tenants).

Each call must answer 403 ``permission_denied`` when the caller's role lacks the route's action, else 404
``not_found``. A snapshot taken before and after proves nothing was written. Then, as a positive control, each
route is called once by an owner of the resources, which must succeed, so a route whose template is wrong cannot
pass by answering 404 to everyone.

URL templates use ``{tenant}`` and resource names (``{contact}``, ``{reply}``, ...) that the test's ``resources``
map gives per tenant. To cover a new route, add a :class:`Route` to the list the matrix test passes in.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from aimstors.core.db import Scope
from aimstors.core.db.models import Tenant
from aimstors.core.security import Action, Actor, Role, has_permission
from aimstors.core.tenancy import apikeys

from .conftest import PEOPLE, Daemon

# Calls in flight at once: the negative calls change nothing, so their order does not matter.
CONCURRENCY = 8


@dataclass(frozen=True)
class Route:
    """One API route. ``url`` may hold ``{tenant}`` and resource placeholders; ``body`` is sent as JSON."""

    method: str
    url: str
    action: Action
    body: Any = None

    @property
    def placeholders(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.url) if name}

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


@dataclass(frozen=True)
class Caller:
    """A credential: its role, its own tenant, the workspace it acts on by default, and every slug it may reach."""

    name: str
    token: str
    role: Role
    own: str
    home: str | None
    reach: frozenset[str] = field(default_factory=frozenset)


async def tenant_paths(daemon: Daemon) -> dict[str, tuple[str, str]]:
    """``slug -> (path, kind)`` for every tenant."""
    async with daemon.services.db.session(Scope.system()) as session:
        rows = await session.execute(select(Tenant.slug, Tenant.path, Tenant.kind))
        return {slug: (path, kind) for slug, path, kind in rows}


async def callers(daemon: Daemon, *, api_keys: Sequence[tuple[str, Role]] = ()) -> list[Caller]:
    """A caller per person of the daemon fixture, plus an API key per ``(workspace slug, role)`` asked for."""
    tenants = await tenant_paths(daemon)

    def describe(name: str, token: str, role: Role, own: str) -> Caller:
        path = tenants[own][0]
        reach = frozenset(slug for slug, (p, _) in tenants.items() if p.startswith(path))
        workspaces = sorted(s for s in reach if tenants[s][1] == "workspace")
        home = own if tenants[own][1] == "workspace" else (workspaces[0] if workspaces else None)
        return Caller(name, token, role, own, home, reach)

    found = [describe(email, await daemon.login(email), role, slug) for email, slug, role in PEOPLE]
    for slug, role in api_keys:
        _, secret = await apikeys.create_api_key(
            daemon.services.db, Actor.system(), tenant_slug=slug, name=f"matrix {role}", role=role
        )
        found.append(describe(f"api key {role}@{slug}", secret, role, slug))
    return found


def _expected(caller: Caller, route: Route) -> tuple[int, str]:
    if not has_permission(caller.role, route.action):
        return 403, "permission_denied"
    return 404, "not_found"


async def _call(client: httpx.AsyncClient, caller: Caller, route: Route, url: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {caller.token}"}
    return await client.request(route.method, url, json=route.body, headers=headers)


async def assert_isolated(
    daemon: Daemon,
    routes: Sequence[Route],
    people: Sequence[Caller],
    resources: Mapping[str, Mapping[str, object]],
    *,
    snapshot: Callable[[], Awaitable[object]] | None = None,
    controls: bool = True,
) -> int:
    """Run the matrix; AssertionError lists every call that answered otherwise. Returns the number of calls made.

    ``resources`` maps each seeded tenant's slug to its resource ids by placeholder name. ``snapshot`` returns
    whatever must not change (e.g. the foreign tenants' rows); it is compared before and after the negative calls.
    """
    before = await snapshot() if snapshot else None
    planned = [
        (caller, route, url)
        for caller in people
        for route in routes
        for foreign, ids in resources.items()
        if foreign not in caller.reach
        for url in _attempts(caller, route, foreign, ids)
    ]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def check(caller: Caller, route: Route, url: str) -> str | None:
        async with gate:
            response = await _call(client, caller, route, url)
        status, code = _expected(caller, route)
        got_code = _code(response)
        if (response.status_code, got_code) == (status, code):
            return None
        return (
            f"{caller.name:36} {route.method:6} {url:60} -> {response.status_code} {got_code}, expected {status} {code}"
        )

    async with httpx.AsyncClient(base_url=daemon.url, timeout=30) as client:
        failures = [f for f in await asyncio.gather(*(check(*p) for p in planned)) if f]
        after = await snapshot() if snapshot else None
        assert not failures, "tenancy matrix failures:\n" + "\n".join(failures)
        assert before == after, "a refused call changed data"
        if controls:
            await _positive_controls(client, routes, people, resources)
    return len(planned)


def _attempts(caller: Caller, route: Route, foreign: str, ids: Mapping[str, object]) -> list[str]:
    """The URLs by which ``caller`` tries to reach tenant ``foreign``'s resources through ``route``."""
    if "tenant" not in route.placeholders:
        # The route acts on the caller's own tenant: only a workspace caller can aim it at foreign ids.
        return [route.url.format(**ids)] if caller.home == caller.own else []
    urls = [route.url.format(tenant=foreign, **ids)]
    if route.placeholders - {"tenant"} and caller.home is not None:
        urls.append(route.url.format(tenant=caller.home, **ids))
    return urls


async def _positive_controls(
    client: httpx.AsyncClient, routes: Sequence[Route], people: Sequence[Caller], resources: Mapping[str, Any]
) -> None:
    """Each route once, by a caller whose own workspace owns the resources and whose role holds the action."""
    failures: list[str] = []
    for route in routes:
        owner = next(
            (c for c in people if c.own in resources and c.own == c.home and has_permission(c.role, route.action)),
            None,
        )
        if owner is None:
            continue
        url = route.url.format(tenant=owner.own, **resources[owner.own])
        response = await _call(client, owner, route, url)
        if response.status_code >= 400:
            failures.append(f"{owner.name} {route.method} {url} -> {response.status_code} {response.text[:200]}")
    assert not failures, "positive controls failed (is the URL template right?):\n" + "\n".join(failures)


def _code(response: httpx.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None
