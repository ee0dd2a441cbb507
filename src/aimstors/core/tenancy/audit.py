"""The append-only audit log: who did what, recorded in the same transaction as the change itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from aimstors.core.db import Database
from aimstors.core.db.models import AuditEntry
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import target_tenant

__all__ = ["AuditRecord", "list_audit", "record"]


async def record(
    target: AsyncSession | AsyncConnection,
    actor: Actor,
    tenant_id: int,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row in ``target``'s transaction: an ORM session, or a Core connection (an entry that must
    commit with a Core transaction, such as a ledger movement). ``details`` must hold no secrets, phone numbers
    or message bodies."""
    values = _values(actor, tenant_id, action, target_type, target_id, details)
    if isinstance(target, AsyncSession):
        target.add(AuditEntry(**values))
    else:
        await target.execute(insert(AuditEntry).values(**values))


def _values(
    actor: Actor,
    tenant_id: int,
    action: str,
    target_type: str | None,
    target_id: str | int | None,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "actor_user_id": actor.user_id,
        "actor_kind": "cli" if actor.is_system else actor.kind,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "details": details or {},
    }


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    created_at: dt.datetime
    actor_kind: str
    actor_user_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]


async def list_audit(db: Database, actor: Actor, tenant_slug: str, *, limit: int = 50) -> list[AuditRecord]:
    tenant = await target_tenant(db, actor, tenant_slug, Action.AUDIT_READ)
    async with db.session(tenant.scope) as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.tenant_id == tenant.id).order_by(AuditEntry.id.desc()).limit(limit)
        )
        return [
            AuditRecord(
                r.id,
                r.created_at,
                r.actor_kind,
                r.actor_user_id,
                r.action,
                r.target_type,
                r.target_id,
                r.details,
            )
            for r in rows
        ]
