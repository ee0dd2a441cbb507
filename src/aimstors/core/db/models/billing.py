"""Ledger (append-only, double-entry, micro-units), usage events and daily metrics."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from aimstors.core.db.base import Base, BigId, created_at_column, id_column, tenant_fk, uuid_pk_column


class LedgerAccount(Base):
    """An account of the ledger, owned by a tenant (e.g. ``credits``, ``credits:reserved``, ``ai_credits``).

    The row holds no balance: balances are derived from entries. It is the lock target that serialises spends.
    """

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(64))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)  # only the platform's issuance account
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class LedgerTransaction(Base):
    """A balanced set of entries, applied at most once per (tenant, idempotency key)."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = id_column()
    # The tenant the movement is for (topup: the receiver; allocate: the sender); owns the idempotency key.
    tenant_id: Mapped[int] = tenant_fk()
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))  # detects a reused key with different content
    kind: Mapped[str] = mapped_column(String(32))  # topup | allocate | reserve | release | settle | spend
    memo: Mapped[str] = mapped_column(String(500), default="")
    actor_user_id: Mapped[int | None] = mapped_column(BigId)
    # release / settle: the reserve transaction whose hold they draw on (what remains = reserved − drawn).
    reservation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_transactions.id", ondelete="RESTRICT"))
    # reserve / release / settle: what remains of the reservation after this transaction, in micro-credits. Derived
    # (the reserved amount minus every draw so far), written once under the account lock, checked by verify(); it
    # makes "how much is left" one index probe instead of a sum over every draw of a long campaign.
    reservation_remaining: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_ledger_transactions_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_ledger_transactions_tenant_id_reservation_id_id", "tenant_id", "reservation_id", "id"),
    )


class LedgerEntry(Base):
    """One leg of a transaction. Never updated or deleted; the amounts of a transaction sum to zero."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_fk()
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    transaction_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_transactions.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-credits, signed
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        # Covering index: a balance is an index-only sum over entries after the latest checkpoint.
        Index("ix_ledger_entries_tenant_id_account_id_id_amount", "tenant_id", "account_id", "id", "amount"),
        Index("ix_ledger_entries_transaction_id", "transaction_id"),
    )


class LedgerCheckpoint(Base):
    """Balance of an account up to and including ``entry_id``; rebuildable from the entries."""

    __tablename__ = "ledger_checkpoints"

    tenant_id: Mapped[int] = tenant_fk()
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    entry_id: Mapped[int] = mapped_column(BigId)
    balance: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (PrimaryKeyConstraint("tenant_id", "account_id", "entry_id"),)


class UsageEvent(Base):
    """Something billable happened (a message by pricing category, AI tokens). Partitioned by month."""

    __tablename__ = "usage_events"

    id: Mapped[uuid.UUID] = uuid_pk_column()
    occurred_at: Mapped[dt.datetime] = created_at_column(primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    kind: Mapped[str] = mapped_column(String(32))  # message | ai_tokens
    category: Mapped[str] = mapped_column(String(32), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # micro-credits
    ref: Mapped[str | None] = mapped_column(String(128))  # wamid, execution id, ...
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        PrimaryKeyConstraint("id", "occurred_at"),
        Index("ix_usage_events_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )


class DailyMetric(Base):
    """A rollup of usage events per tenant, day and metric; rebuilt from ``usage_events`` by a worker."""

    __tablename__ = "tenant_daily_metrics"

    tenant_id: Mapped[int] = tenant_fk()
    day: Mapped[dt.date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (PrimaryKeyConstraint("tenant_id", "day", "metric"),)
