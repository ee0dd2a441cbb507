"""Tenants (a tree: platform → resellers → workspaces), users, memberships, API keys, branding, domains, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk


class Tenant(Base):
    """A node of the tenant tree. ``path`` is the materialised path of ids (``/1/4/9/``) for subtree queries."""

    __tablename__ = "tenants"

    id: Mapped[int] = id_column()
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))  # platform | reseller | workspace
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(512), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_tenants_parent_id", "parent_id"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_login_at: Mapped[dt.datetime | None]


class Membership(Base):
    """A user's role in one tenant. Roles of a reseller or the platform extend to the tenant's subtree."""

    __tablename__ = "memberships"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_memberships_user_id", "user_id"),
    )


class ApiKey(Base):
    """An API key: the secret is shown once; only its SHA-256 and a visible prefix are kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    last_used_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_api_keys_tenant_id_created_at", "tenant_id", "created_at"),)


class Branding(Base):
    """White-label branding of a reseller or workspace."""

    __tablename__ = "branding"

    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    display_name: Mapped[str] = mapped_column(String(200))
    logo_url: Mapped[str | None] = mapped_column(String(2048))
    primary_color: Mapped[str | None] = mapped_column(String(16))
    accent_color: Mapped[str | None] = mapped_column(String(16))
    support_email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = created_at_column()


class Domain(Base):
    """A custom domain of a reseller or workspace; serves branded endpoints once verified."""

    __tablename__ = "domains"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    verification_token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_domains_tenant_id", "tenant_id"),)


class AuditEntry(Base):
    """Append-only record of who did what. Never updated, never deleted by the application."""

    __tablename__ = "audit_log"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    actor_user_id: Mapped[int | None] = mapped_column(BigId)
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | api_key | system | cli
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_audit_log_tenant_id_created_at", "tenant_id", "created_at"),)


class Plan(Base):
    """A price plan owned by the platform or a reseller; ``margin_bps`` is a reseller's mark-up on its cost."""

    __tablename__ = "plans"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(100))
    margin_bps: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class RateCard(Base):
    """Price per unit in micro-credits for a category (and country, where given) under a plan."""

    __tablename__ = "rate_cards"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("plans.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))  # marketing | utility | authentication | service | ai_token
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166 alpha-2; "" = every other country
    unit_price: Mapped[int] = mapped_column(BigId)  # micro-credits
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "plan_id", "category", "country"),)


class TenantPlan(Base):
    """Which plan a tenant is billed on (set by its parent)."""

    __tablename__ = "tenant_plans"

    tenant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("plans.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = created_at_column()
