"""First-run setup: migrate, the platform root, a default workspace and the first super admin. Safe to re-run."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.migrate import current_revision, head_revision, upgrade
from aimstors.core.db.models import Membership, Tenant, User
from aimstors.core.errors import Conflict
from aimstors.core.security import Actor, Role, hash_password_async
from aimstors.core.tenancy.audit import record
from aimstors.core.tenancy.tenants import create_tenant, ensure_platform_root
from aimstors.core.tenancy.users import normalise_email

__all__ = ["DEFAULT_WORKSPACE", "InitReport", "initialise"]

DEFAULT_WORKSPACE = "default"


@dataclass(slots=True)
class InitReport:
    """What ``initialise`` did; ``created`` is empty on a second run."""

    revision: str
    created: list[str] = field(default_factory=list)
    admin_email: str = ""
    admin_created: bool = False


async def initialise(db: Database, *, admin_email: str, admin_password: str) -> InitReport:
    actor = Actor.system()
    created: list[str] = []
    if await _needs_upgrade(db):
        await upgrade(db)
        created.append(f"schema at revision {head_revision()}")
    report = InitReport(revision=head_revision(), created=created, admin_email=normalise_email(admin_email))
    root, root_created = await ensure_platform_root(db)
    if root_created:
        created.append("platform root tenant 'platform'")
    async with db.session(Scope.system()) as session:
        has_default = await session.scalar(select(Tenant.id).where(Tenant.slug == DEFAULT_WORKSPACE))
    if has_default is None:
        try:
            await create_tenant(db, actor, slug=DEFAULT_WORKSPACE, name="Default workspace", kind="workspace")
            created.append(f"workspace {DEFAULT_WORKSPACE!r}")
        except Conflict:  # created concurrently by another `init`
            pass
    async with db.session(Scope.system(), write=True) as session:
        user = await session.scalar(select(User).where(User.email == report.admin_email))
        if user is None:
            user = User(
                email=report.admin_email,
                name="Administrator",
                password_hash=await hash_password_async(admin_password),
            )
            session.add(user)
            await session.flush()
            session.add(Membership(tenant_id=root.id, user_id=user.id, role=str(Role.SUPER_ADMIN)))
            await record(
                session,
                actor,
                root.id,
                "user.create",
                target_type="user",
                target_id=user.id,
                details={"role": str(Role.SUPER_ADMIN), "via": "init"},
            )
            created.append(f"super admin {report.admin_email}")
            report.admin_created = True
    return report


async def _needs_upgrade(db: Database) -> bool:
    try:
        return await current_revision(db) != head_revision()
    except Exception:
        return True
