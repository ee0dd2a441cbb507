"""The ledger: append-only, double-entry accounts of credits in integer micro-units (DESIGN §2, §3).

Every movement is one transaction of two entries that sum to zero, between accounts owned by tenants (see
:mod:`~aimstors.core.ledger.accounts` for the account names). Balances are derived from the entries, with
checkpoints so a balance never sums more than about ``CHECKPOINT_EVERY`` rows. Every operation takes an
idempotency key, is applied at most once per (tenant, key), and refuses to overdraw — also under concurrency.

    amount = credits_to_micro("12.5")                      # 12_500_000 micro-credits; never floats
    await topup(db, workspace_id, amount, key="invoice-311", memo="March top-up")
    hold = await reserve(db, workspace_id, amount, key="campaign-9:reserve")
    await settle(db, workspace_id, hold.transaction_id, 40_000, key="campaign-9:msg-1")
    await release(db, workspace_id, hold.transaction_id, key="campaign-9:release")   # the rest
    await balance(db, workspace_id)                        # available micro-credits

Errors (all :class:`~aimstors.core.errors.AimstorsError`): ``InvalidInput`` (bad amount, key, currency or
account name), ``NotFound`` (unknown tenant or reservation, no platform tenant), ``PermissionDenied``
(allocation outside the sender's subtree), ``InsufficientFunds``, ``DuplicateRequest`` (a key reused for a
different request). A refused operation writes nothing.

The platform root — home of the ``<currency>:issuance`` and ``<currency>:revenue`` accounts — is the tenant
with ``kind='platform'``, looked up once per :class:`~aimstors.core.db.Database` (:func:`platform_root_id`).
"""

from __future__ import annotations

from aimstors.core.ledger.accounts import CURRENCIES, Currency, platform_root_id
from aimstors.core.ledger.amounts import MICRO, credits_to_micro, micro_to_credits
from aimstors.core.ledger.balances import balance, balances
from aimstors.core.ledger.checkpoints import (
    CHECKPOINT_EVERY,
    Checkpoint,
    checkpoint,
    checkpoint_all,
    rebuild_checkpoints,
)
from aimstors.core.ledger.history import HistoryEntry, history
from aimstors.core.ledger.postings import OnPosted, Receipt
from aimstors.core.ledger.reservations import release, remaining, reserve, settle, spend_from_reservation
from aimstors.core.ledger.transfers import allocate, spend, topup
from aimstors.core.ledger.verification import Problem, VerifyReport, verify

__all__ = [
    "CHECKPOINT_EVERY",
    "CURRENCIES",
    "MICRO",
    "Checkpoint",
    "Currency",
    "HistoryEntry",
    "OnPosted",
    "Problem",
    "Receipt",
    "VerifyReport",
    "allocate",
    "balance",
    "balances",
    "checkpoint",
    "checkpoint_all",
    "credits_to_micro",
    "history",
    "micro_to_credits",
    "platform_root_id",
    "rebuild_checkpoints",
    "release",
    "remaining",
    "reserve",
    "settle",
    "spend",
    "spend_from_reservation",
    "topup",
    "verify",
]
