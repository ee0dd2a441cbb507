"""Conversations, messages (partitioned by month on Postgres), notes and canned replies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk, uuid_pk_column


class Conversation(Base):
    """The thread between one business number and one contact; ``last_inbound_at`` opens the 24-hour window."""

    __tablename__ = "conversations"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    phone_number_id: Mapped[int] = mapped_column(BigId, ForeignKey("phone_numbers.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    assignee_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | pending | resolved
    labels: Mapped[list[Any]] = mapped_column(default=list)
    last_inbound_at: Mapped[dt.datetime | None]
    last_message_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "phone_number_id", "contact_id"),
        Index("ix_conversations_tenant_id_status_last_message_at", "tenant_id", "status", "last_message_at"),
        Index("ix_conversations_tenant_id_assignee_user_id", "tenant_id", "assignee_user_id"),
    )


class Message(Base):
    """One message in or out. Partitioned by ``created_at`` on Postgres, so the key includes it."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = uuid_pk_column()
    created_at: Mapped[dt.datetime] = created_at_column(primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    conversation_id: Mapped[int] = mapped_column(BigId, ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    type: Mapped[str] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))  # received | queued | sent | delivered | read | failed | unknown
    wamid: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column()
    sent_by_user_id: Mapped[int | None] = mapped_column(BigId)
    campaign_id: Mapped[int | None] = mapped_column(BigId)
    status_at: Mapped[dt.datetime | None]

    __table_args__ = (
        PrimaryKeyConstraint("id", "created_at"),
        Index("ix_messages_tenant_id_conversation_id_created_at", "tenant_id", "conversation_id", "created_at"),
        Index("ix_messages_tenant_id_wamid", "tenant_id", "wamid"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    conversation_id: Mapped[int] = mapped_column(BigId, ForeignKey("conversations.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_notes_tenant_id_conversation_id", "tenant_id", "conversation_id"),)


class CannedReply(Base):
    __tablename__ = "canned_replies"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    shortcut: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "shortcut"),)
