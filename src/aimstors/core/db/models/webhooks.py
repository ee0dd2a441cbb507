"""Raw webhook deliveries from Meta, kept for processing and replay (partitioned by month on Postgres)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, uuid_pk_column


class WebhookEvent(Base):
    """One POST from Meta, stored byte for byte before it is acknowledged.

    ``tenant_id`` is unknown at ingest (routing happens on processing, by phone_number_id) so it is nullable here;
    the table is read only in the system scope.
    """

    __tablename__ = "webhook_events"

    id: Mapped[uuid.UUID] = uuid_pk_column()
    received_at: Mapped[dt.datetime] = created_at_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="SET NULL"))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))  # recognises duplicate deliveries
    # Meta's latest event time in the body (Unix seconds; 0 if it has none). A re-delivery is the same bytes, so
    # it has the same time: the dedupe index leads with it and new rows land at the index's end, not at random
    # pages all over it (which made every commit and checkpoint write ~one page per delivery).
    event_time: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | processed | failed | unroutable
    processed_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("id", "received_at"),
        Index("ix_webhook_events_event_time_body_sha256", "event_time", "body_sha256"),
        Index("ix_webhook_events_status_received_at", "status", "received_at"),
        {"postgresql_partition_by": "RANGE (received_at)"},
    )
