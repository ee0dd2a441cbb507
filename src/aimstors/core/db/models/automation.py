"""Workflows (immutable versions), executions and their steps (partitioned by month on Postgres)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk, uuid_pk_column


class Workflow(Base):
    __tablename__ = "workflows"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    active_version: Mapped[int | None] = mapped_column(Integer)  # the published version number, if any
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class WorkflowVersion(Base):
    """Every save is a new immutable version of the JSON document."""

    __tablename__ = "workflow_versions"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    workflow_id: Mapped[int] = mapped_column(BigId, ForeignKey("workflows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column()
    checksum: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "workflow_id", "version"),)


class Execution(Base):
    __tablename__ = "executions"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    workflow_version_id: Mapped[int] = mapped_column(BigId, ForeignKey("workflow_versions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | waiting | succeeded | failed
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    steps_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = created_at_column()
    finished_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_executions_tenant_id_started_at", "tenant_id", "started_at"),)


class ExecutionStep(Base):
    __tablename__ = "execution_steps"

    id: Mapped[uuid.UUID] = uuid_pk_column()
    created_at: Mapped[dt.datetime] = created_at_column(primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    execution_id: Mapped[int] = mapped_column(BigId, ForeignKey("executions.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        PrimaryKeyConstraint("id", "created_at"),
        Index("ix_execution_steps_tenant_id_execution_id", "tenant_id", "execution_id"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )
