"""Tenant scope of a unit of work.

Every session is opened with a :class:`Scope`. Services filter their queries by ``scope.tenant_ids``; on Postgres
the same scope is also set per transaction (``aimstors.tenant_ids``) and enforced by row-level security, so a query
that forgets its filter still sees only the scope's tenants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Scope"]


@dataclass(frozen=True, slots=True)
class Scope:
    """``tenant_ids=None`` is the system scope (workers, migrations, the local operator); else a tenant set."""

    tenant_ids: frozenset[int] | None

    @classmethod
    def system(cls) -> Scope:
        return cls(None)

    @classmethod
    def tenant(cls, tenant_id: int) -> Scope:
        return cls(frozenset({tenant_id}))

    @classmethod
    def tenants(cls, tenant_ids: Iterable[int]) -> Scope:
        return cls(frozenset(tenant_ids))

    @property
    def is_system(self) -> bool:
        return self.tenant_ids is None

    def allows(self, tenant_id: int | None) -> bool:
        return self.tenant_ids is None or (tenant_id is not None and tenant_id in self.tenant_ids)

    def setting(self) -> str:
        """Value of the ``aimstors.tenant_ids`` Postgres setting for this scope."""
        if self.tenant_ids is None:
            return "*"
        return ",".join(str(t) for t in sorted(self.tenant_ids)) or "0"
