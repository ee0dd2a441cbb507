"""The one work queue table (DESIGN §5). The claim SQL lives in ``aimstors.core.queue``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, UTCDateTime, created_at_column, id_column


class Job(Base):
    """A unit of asynchronous work. Status: queued → running → done | dead (retries go back to queued)."""

    __tablename__ = "jobs"

    id: Mapped[int] = id_column()
    queue: Mapped[str] = mapped_column(String(64), default="default")
    kind: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)  # higher runs first
    run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(256))
    last_error: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[int | None] = mapped_column(BigId)  # informational; the queue is a system table
    created_at: Mapped[dt.datetime] = created_at_column()
    finished_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index(
            "ix_jobs_running_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
        Index("uq_jobs_dedupe_key", "dedupe_key", unique=True),
        Index("ix_jobs_status_finished_at", "status", "finished_at"),
    )


# The claim: queued jobs of a queue in claim order (priority DESC, run_at), so a claim reads only the rows it
# takes, however long the backlog. Partial, so done rows never slow it down. Declared here, after the class,
# because the DESC column needs the mapped column.
Index(
    "ix_jobs_claim",
    Job.queue,
    Job.priority.desc(),
    Job.run_at,
    postgresql_where=text("status = 'queued'"),
    sqlite_where=text("status = 'queued'"),
)
