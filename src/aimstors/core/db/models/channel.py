"""WhatsApp connections: business accounts (WABA) and their phone numbers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk


class WhatsAppAccount(Base):
    """A WhatsApp Business Account connected to a tenant; its access token is encrypted at rest."""

    __tablename__ = "whatsapp_accounts"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    waba_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    business_id: Mapped[str | None] = mapped_column(String(64))
    access_token_enc: Mapped[str | None] = mapped_column(Text)  # keyring ciphertext, never plaintext
    connection_method: Mapped[str] = mapped_column(String(32), default="manual")  # manual | embedded_signup
    status: Mapped[str] = mapped_column(String(32), default="active")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "waba_id"),)


class PhoneNumber(Base):
    """A sending number. ``phone_number_id`` is Meta's id; inbound events are routed to the tenant by it."""

    __tablename__ = "phone_numbers"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("whatsapp_accounts.id", ondelete="CASCADE"))
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_number: Mapped[str] = mapped_column(String(32))
    verified_name: Mapped[str | None] = mapped_column(String(200))
    quality_rating: Mapped[str | None] = mapped_column(String(16))
    messaging_tier: Mapped[str | None] = mapped_column(String(32))
    throughput_mps: Mapped[int] = mapped_column(Integer, default=80)
    status: Mapped[str] = mapped_column(String(32), default="connected")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_phone_numbers_tenant_id_account_id", "tenant_id", "account_id"),)
