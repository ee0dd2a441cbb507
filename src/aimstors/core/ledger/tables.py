"""Core table handles of the ledger's models, for the SQLAlchemy Core statements of the hot paths."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from aimstors.core.db.models.billing import LedgerAccount, LedgerCheckpoint, LedgerEntry, LedgerTransaction
from aimstors.core.db.models.tenancy import Tenant

__all__ = ["accounts", "checkpoints", "entries", "tenants", "transactions"]

accounts = cast(Table, LedgerAccount.__table__)
transactions = cast(Table, LedgerTransaction.__table__)
entries = cast(Table, LedgerEntry.__table__)
checkpoints = cast(Table, LedgerCheckpoint.__table__)
tenants = cast(Table, Tenant.__table__)
