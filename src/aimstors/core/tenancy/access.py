"""Which tenant a call acts on, checked once: the target by slug or the caller's own, within its reach.

Services that work on one tenant's data start with :func:`target_tenant`, then open a session in
``Scope.tenant(target.id)`` so Postgres row-level security backs up their own ``tenant_id`` filters. A tenant outside
the actor's subtree is reported exactly like one that does not exist, so a caller learns nothing about other
tenants.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Tenant
from aimstors.core.errors import InvalidInput, NotFound
from aimstors.core.security import Action, Actor, authorize

__all__ = ["TenantRef", "target_tenant"]


@dataclass(frozen=True, slots=True)
class TenantRef:
    """The tenant a call acts on (enough to scope a session and name it in results)."""

    id: int
    slug: str
    path: str
    kind: str

    @property
    def scope(self) -> Scope:
        """The session scope for this tenant's data."""
        return Scope.tenant(self.id)


async def target_tenant(
    db: Database,
    actor: Actor,
    slug: str | None,
    action: Action,
    *,
    kinds: Collection[str] | None = None,
    what: str = "this",
) -> TenantRef:
    """The tenant named by ``slug`` (or the actor's own when ``slug`` is None), checked for ``action``.

    Raises NotFound for an unknown slug *and* for a tenant outside the actor's subtree; PermissionDenied when the
    actor's role lacks ``action``; InvalidInput when the tenant's kind is not in ``kinds`` (``what`` names the data,
    e.g. "contacts", in that message).
    """
    # The tenant tree is platform metadata, not tenant data: reading one row of it needs no tenant scope.
    async with db.session(Scope.system()) as session:
        if slug is not None:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
        elif actor.tenant_id is not None:
            tenant = await session.get(Tenant, actor.tenant_id)
        else:
            raise InvalidInput("this credential belongs to no tenant; name one with 'tenant'")
    if tenant is None or not tenant.path.startswith(actor.tenant_path):
        raise NotFound(f"no tenant {slug!r}" if slug is not None else "the credential's tenant no longer exists")
    authorize(actor, action, tenant.path)
    if kinds is not None and tenant.kind not in kinds:
        raise InvalidInput(
            f"{tenant.slug!r} is a {tenant.kind}; {what} data lives in a {' or '.join(sorted(kinds))}",
            hint="name a workspace with 'tenant'",
        )
    return TenantRef(tenant.id, tenant.slug, tenant.path, tenant.kind)
