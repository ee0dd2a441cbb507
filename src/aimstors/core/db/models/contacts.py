"""Contacts, their tags, and audiences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk


class Contact(Base):
    """A person the business talks to, keyed by (tenant, wa_id): E.164 digits without '+'."""

    __tablename__ = "contacts"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    wa_id: Mapped[str | None] = mapped_column(String(32))
    bsuid: Mapped[str | None] = mapped_column(String(128))  # business-scoped user id, when Meta sends no wa_id
    profile_name: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opted_out_at: Mapped[dt.datetime | None]
    opt_out_source: Mapped[str | None] = mapped_column(String(32))  # keyword | meta | manual | import
    marketing_limited_until: Mapped[dt.datetime | None]  # set by 131049; suppressed until then
    last_inbound_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "wa_id"),
        Index("ix_contacts_tenant_id_bsuid", "tenant_id", "bsuid"),
        Index("ix_contacts_tenant_id_last_inbound_at", "tenant_id", "last_inbound_at"),
    )


class ContactTag(Base):
    __tablename__ = "contact_tags"

    tenant_id: Mapped[int] = tenant_fk()
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "contact_id", "tag"),
        Index("ix_contact_tags_tenant_id_tag", "tenant_id", "tag"),
    )


class Audience(Base):
    """A named audience: static list, segment (filters), CSV, Google Sheet, or campaign retargeting."""

    __tablename__ = "audiences"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # static | segment | csv | sheet | retarget
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class AudienceMember(Base):
    __tablename__ = "audience_members"

    tenant_id: Mapped[int] = tenant_fk()
    audience_id: Mapped[int] = mapped_column(BigId, ForeignKey("audiences.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    added_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (PrimaryKeyConstraint("tenant_id", "audience_id", "contact_id"),)
