"""Local copies of message templates, one per (account, name, language)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk


class Template(Base):
    __tablename__ = "templates"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("whatsapp_accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))  # MARKETING | UTILITY | AUTHENTICATION
    status: Mapped[str] = mapped_column(String(32), default="DRAFT")  # DRAFT | PENDING | APPROVED | ...
    meta_id: Mapped[str | None] = mapped_column(String(64))
    parameter_format: Mapped[str] = mapped_column(String(16), default="POSITIONAL")
    components: Mapped[list[Any]] = mapped_column(default=list)
    quality_score: Mapped[str | None] = mapped_column(String(16))
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "account_id", "name", "language"),)
