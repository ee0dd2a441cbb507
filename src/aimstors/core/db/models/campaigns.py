"""Campaigns and their recipients. ``campaign_recipients`` is the campaign's queue: dispatchers claim pending rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk


class Campaign(Base):
    """A broadcast. States: draft → scheduled → running ⇄ paused → completed | cancelled | failed.

    Progress is never counted here: it is derived from the recipients' states. ``dispatchers`` holds the live
    dispatcher leases (owner → ISO expiry) so several processes can share the number's throughput; ``suppressed``
    counts the audience members left out when the recipients were materialised (opted out, marketing-limited).
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    phone_number_id: Mapped[int] = mapped_column(BigId, ForeignKey("phone_numbers.id", ondelete="RESTRICT"))
    template_id: Mapped[int] = mapped_column(BigId, ForeignKey("templates.id", ondelete="RESTRICT"))
    audience_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("audiences.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(300), default="all")  # the audience spec (all, tag:x, ...)
    category: Mapped[str] = mapped_column(String(32), default="")  # the template's pricing category, lower case
    state: Mapped[str] = mapped_column(String(16), default="draft")
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # placeholder → source (attr.x, literal)
    resend_policy: Mapped[str] = mapped_column(String(16), default="never")  # never | after_grace
    resend_grace_seconds: Mapped[int] = mapped_column(Integer, default=600)
    error_threshold_pct: Mapped[int] = mapped_column(Integer, default=20)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    suppressed: Mapped[dict[str, Any]] = mapped_column(default=dict)  # reason → contacts left out
    dispatchers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # owner → lease expiry (ISO)
    reservation_id: Mapped[int | None] = mapped_column(BigId)  # the ledger reserve transaction
    reserved: Mapped[int] = mapped_column(BigId, default=0)  # micro-credits held when it started
    released_at: Mapped[dt.datetime | None]  # what was left of the reservation went back
    scheduled_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_campaigns_tenant_id_state", "tenant_id", "state"),)


class CampaignRecipient(Base):
    """One row per (campaign, wa_id). States: pending → sending → sent → delivered → read,
    or failed(code), skipped(reason), unknown (outcome lost; settled by a status webhook).

    ``price`` is what the send will cost (from the rate card, when materialised); ``cost`` what was debited, once,
    when Meta accepted it (``charged_at``)."""

    __tablename__ = "campaign_recipients"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="SET NULL"))
    wa_id: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166 alpha-2 from the calling code
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # = biz_opaque_callback_data
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    wamid: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_detail: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    not_before: Mapped[dt.datetime | None]  # deferral (pair rate 131056, retry backoff)
    lease_expires_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]
    replied_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    price: Mapped[int] = mapped_column(BigId, default=0)  # micro-credits this send costs
    cost: Mapped[int] = mapped_column(BigId, default=0)  # micro-credits debited for this send
    charged_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "campaign_id", "wa_id"),
        Index("ix_campaign_recipients_tenant_id_wamid", "tenant_id", "wamid"),
        Index("ix_campaign_recipients_tenant_id_campaign_id_state", "tenant_id", "campaign_id", "state"),
        # The dispatcher's claim: pending rows of one campaign in id order.
        Index(
            "ix_campaign_recipients_pending",
            "campaign_id",
            "id",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        # Reconciliation: sends whose dispatcher's lease ran out (it died mid-send).
        Index(
            "ix_campaign_recipients_sending",
            "campaign_id",
            "lease_expires_at",
            postgresql_where=text("state = 'sending'"),
            sqlite_where=text("state = 'sending'"),
        ),
    )
