"""AI agents, knowledge bases, documents and chunks; third-party integrations (Google) with encrypted tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100))
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    temperature: Mapped[float] = mapped_column(Float, default=0.7)
    tools: Mapped[list[Any]] = mapped_column(default=list)
    max_tool_depth: Mapped[int] = mapped_column(Integer, default=3)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class KnowledgeBase(Base):
    __tablename__ = "knowledge_bases"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class AgentKnowledgeBase(Base):
    __tablename__ = "agent_knowledge_bases"

    tenant_id: Mapped[int] = tenant_fk()
    agent_id: Mapped[int] = mapped_column(BigId, ForeignKey("agents.id", ondelete="CASCADE"))
    knowledge_base_id: Mapped[int] = mapped_column(BigId, ForeignKey("knowledge_bases.id", ondelete="CASCADE"))

    __table_args__ = (PrimaryKeyConstraint("tenant_id", "agent_id", "knowledge_base_id"),)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    knowledge_base_id: Mapped[int] = mapped_column(BigId, ForeignKey("knowledge_bases.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(2048))
    mime_type: Mapped[str] = mapped_column(String(100), default="text/plain")
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_documents_tenant_id_knowledge_base_id", "tenant_id", "knowledge_base_id"),)


class Chunk(Base):
    __tablename__ = "chunks"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    document_id: Mapped[int] = mapped_column(BigId, ForeignKey("documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("tenant_id", "document_id", "ordinal"),)


class Integration(Base):
    """A connected third-party account (Google Sheets/Drive OAuth); credentials encrypted at rest."""

    __tablename__ = "integrations"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    provider: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    credentials_enc: Mapped[str | None] = mapped_column(Text)  # keyring ciphertext of a JSON document
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "provider", "name"),)
