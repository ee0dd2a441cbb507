"""Where encrypted secrets live in the database, and re-encrypting them all under the newest key.

Every encrypted column is listed in :data:`ENCRYPTED_COLUMNS`; a ciphertext is bound to its row by the context
``"<table>.<column>:<row id>"`` so it cannot be copied to another row. ``rotate`` re-encrypts every value whose
key is not the keyring's primary key, one table at a time, each in one transaction: a failure leaves every
value decryptable (old and new keys are both in the keyring while it runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, select, update

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Integration, WhatsAppAccount
from aimstors.core.security.keyring import Keyring

__all__ = ["ENCRYPTED_COLUMNS", "RotationReport", "rotate", "secret_context"]

# (table, column) of every column that holds a keyring ciphertext.
ENCRYPTED_COLUMNS: list[tuple[Table, str]] = [
    (WhatsAppAccount.__table__, "access_token_enc"),  # type: ignore[list-item]
    (Integration.__table__, "credentials_enc"),  # type: ignore[list-item]
]


def secret_context(table: str, column: str, row_id: int) -> str:
    """The associated-data context binding a ciphertext to one row's column."""
    return f"{table}.{column}:{row_id}"


@dataclass(frozen=True, slots=True)
class RotationReport:
    table: str
    column: str
    total: int
    reencrypted: int


async def rotate(db: Database, keyring: Keyring, *, batch_size: int = 500) -> list[RotationReport]:
    """Re-encrypt every stored secret under ``keyring.primary_key_id``; returns counts per column."""
    reports: list[RotationReport] = []
    for table, column in ENCRYPTED_COLUMNS:
        col = table.c[column]
        total = changed = 0
        last_id = 0
        while True:
            async with db.connect(Scope.system(), write=True) as conn:
                rows = (
                    await conn.execute(
                        select(table.c.id, col)
                        .where(col.is_not(None), table.c.id > last_id)
                        .order_by(table.c.id)
                        .limit(batch_size)
                    )
                ).all()
                for row_id, token in rows:
                    total += 1
                    if keyring.needs_rotation(token):
                        new = keyring.reencrypt(token, secret_context(table.name, column, row_id))
                        await conn.execute(update(table).where(table.c.id == row_id).values({column: new}))
                        changed += 1
            if len(rows) < batch_size:
                break
            last_id = rows[-1][0]
        reports.append(RotationReport(table.name, column, total, changed))
    return reports
