"""Webhook dedupe index led by Meta's event time, so that storing a delivery appends to it.

``webhook_events.event_time`` holds the latest event timestamp in the body (0 for rows stored before this
revision, and for bodies without one). The index on ``body_sha256`` alone is replaced by one on
``(event_time, body_sha256)``: with a random digest first, each stored delivery dirtied about one index page of
its own, on every commit and again at every WAL checkpoint.

A re-delivery of a body stored before this revision is stored again and then recognised at processing (messages
by wamid, statuses forward-only): nothing is applied twice.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_events", sa.Column("event_time", sa.BigInteger(), server_default="0", nullable=False))
    op.create_index("ix_webhook_events_event_time_body_sha256", "webhook_events", ["event_time", "body_sha256"])
    op.drop_index("ix_webhook_events_body_sha256", table_name="webhook_events")


def downgrade() -> None:
    op.create_index("ix_webhook_events_body_sha256", "webhook_events", ["body_sha256"])
    op.drop_index("ix_webhook_events_event_time_body_sha256", table_name="webhook_events")
    with op.batch_alter_table("webhook_events") as batch_op:
        batch_op.drop_column("event_time")
