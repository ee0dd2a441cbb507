"""Ledger accounts: their names, lazy race-safe creation, and the row locks that serialise movements.

Every tenant may hold, per currency (``credits``, ``ai_credits``):

- ``<currency>``            what it can spend or allocate (never negative);
- ``<currency>:reserved``   what is held for running work (campaigns) until settled or released (never negative).

The platform root tenant (the one tenant with ``kind='platform'``) also holds, per currency:

- ``<currency>:issuance``   where top-ups come from; the only accounts allowed to go negative, so that every
                            movement is a balanced set of entries and the sum of all entries is always zero;
- ``<currency>:revenue``    where spends go.

Account rows carry no balance (balances are derived from entries); a row is the lock target that serialises
movements out of it. See :func:`lock_accounts` for the locking rules.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db import Database, Scope
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.ledger import tables as t

__all__ = [
    "CURRENCIES",
    "Account",
    "AccountRef",
    "Currency",
    "account_currency",
    "available_account",
    "ensure_accounts",
    "find_account",
    "issuance_account",
    "lock_accounts",
    "platform_root_id",
    "require_account_name",
    "require_currency",
    "reserved_account",
    "revenue_account",
]

Currency = Literal["credits", "ai_credits"]
CURRENCIES: tuple[Currency, ...] = ("credits", "ai_credits")
_SUFFIXES = ("", ":reserved", ":issuance", ":revenue")
ACCOUNT_NAMES = frozenset(f"{currency}{suffix}" for currency in CURRENCIES for suffix in _SUFFIXES)


def require_currency(currency: str) -> Currency:
    """``currency`` if it is one the ledger knows, else :class:`InvalidInput`."""
    for known in CURRENCIES:
        if currency == known:
            return known
    raise InvalidInput(f"unknown currency {currency!r}; expected one of: {', '.join(CURRENCIES)}")


def require_account_name(name: str) -> str:
    """``name`` if it is a ledger account name (e.g. ``credits:reserved``), else :class:`InvalidInput`."""
    if name not in ACCOUNT_NAMES:
        raise InvalidInput(f"unknown ledger account {name!r}; expected one of: {', '.join(sorted(ACCOUNT_NAMES))}")
    return name


def available_account(currency: Currency) -> str:
    return currency


def reserved_account(currency: Currency) -> str:
    return f"{currency}:reserved"


def issuance_account(currency: Currency) -> str:
    return f"{currency}:issuance"


def revenue_account(currency: Currency) -> str:
    return f"{currency}:revenue"


def account_currency(name: str) -> Currency:
    """The currency an account name belongs to (``ai_credits:reserved`` → ``ai_credits``)."""
    return require_currency(name.split(":", 1)[0])


def _allows_negative(name: str) -> bool:
    return name.endswith(":issuance")


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account by owner and name, before its row is known."""

    tenant_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    tenant_id: int
    name: str
    allow_negative: bool

    @property
    def ref(self) -> AccountRef:
        return AccountRef(self.tenant_id, self.name)


_COLUMNS = (t.accounts.c.id, t.accounts.c.tenant_id, t.accounts.c.name, t.accounts.c.allow_negative)


async def find_account(conn: AsyncConnection, tenant_id: int, name: str) -> Account | None:
    """The account row, or None when it was never used."""
    row = (
        await conn.execute(select(*_COLUMNS).where(t.accounts.c.tenant_id == tenant_id, t.accounts.c.name == name))
    ).one_or_none()
    return None if row is None else Account(row.id, row.tenant_id, row.name, bool(row.allow_negative))


async def _select_accounts(conn: AsyncConnection, refs: Sequence[AccountRef]) -> dict[AccountRef, Account]:
    stmt = select(*_COLUMNS).where(
        or_(*(and_(t.accounts.c.tenant_id == r.tenant_id, t.accounts.c.name == r.name) for r in refs))
    )
    found = {}
    for row in await conn.execute(stmt):
        account = Account(row.id, row.tenant_id, row.name, bool(row.allow_negative))
        found[account.ref] = account
    return found


async def ensure_accounts(conn: AsyncConnection, refs: Iterable[AccountRef]) -> dict[AccountRef, Account]:
    """Get or create the accounts, race-safe: insert … on conflict do nothing, then select.

    Raises :class:`NotFound` when an owning tenant does not exist (or is outside the transaction's scope).
    """
    wanted = list(dict.fromkeys(refs))
    for ref in wanted:
        require_account_name(ref.name)
    found = await _select_accounts(conn, wanted)
    missing = [ref for ref in wanted if ref not in found]
    if not missing:
        return found
    tenant_ids = {ref.tenant_id for ref in missing}
    present = set((await conn.execute(select(t.tenants.c.id).where(t.tenants.c.id.in_(tenant_ids)))).scalars())
    for tenant_id in sorted(tenant_ids - present):
        raise NotFound(f"tenant {tenant_id} does not exist")
    # In a fixed order, so two transactions creating the same accounts cannot wait on each other in a cycle.
    values = [
        {"tenant_id": ref.tenant_id, "name": ref.name, "allow_negative": _allows_negative(ref.name)}
        for ref in sorted(missing, key=lambda r: (r.tenant_id, r.name))
    ]
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(dialect_insert(t.accounts).on_conflict_do_nothing(index_elements=["tenant_id", "name"]), values)
    found.update(await _select_accounts(conn, missing))
    return found


async def lock_accounts(conn: AsyncConnection, *, debited: Sequence[Account], touched: Sequence[Account]) -> None:
    """Lock account rows for a movement, before any entry is written (Postgres; SQLite's write lock suffices).

    - A debited account that may not go negative is locked ``FOR NO KEY UPDATE``: movements out of one account
      run one at a time, so a balance check and the entries that follow it cannot interleave with another's.
    - Every other account the movement writes to is locked ``FOR KEY SHARE``: credits into one account run
      side by side (the platform's revenue account receives every spend), yet a checkpoint, which locks the
      account ``FOR UPDATE``, waits for them, so no entry can commit below a checkpoint's ``entry_id``.

    Exclusive locks are taken first and in id order, so two movements cannot deadlock on each other; shared
    locks only ever wait on a checkpoint, which holds a single lock.
    """
    if conn.dialect.name == "sqlite":
        return
    exclusive = sorted({a.id for a in debited if not a.allow_negative})
    shared = sorted({a.id for a in [*debited, *touched]} - set(exclusive))
    if exclusive:
        await conn.execute(
            select(t.accounts.c.id)
            .where(t.accounts.c.id.in_(exclusive))
            .order_by(t.accounts.c.id)
            .with_for_update(key_share=True)
        )
    if shared:
        await conn.execute(
            select(t.accounts.c.id)
            .where(t.accounts.c.id.in_(shared))
            .order_by(t.accounts.c.id)
            .with_for_update(read=True, key_share=True)
        )


_platform_roots: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()


async def platform_root_id(db: Database) -> int:
    """Id of the platform root: the one tenant with ``kind='platform'``, looked up once per :class:`Database`.

    The lookup runs in the system scope (it reads a single id) because a tenant-scoped transaction cannot see
    the root before the root is in its scope. Raises :class:`NotFound` when there is no platform tenant and
    :class:`Conflict` when there are several.
    """
    cached = _platform_roots.get(db)
    if cached is not None:
        return cached
    async with db.connect(Scope.system()) as conn:
        ids: list[int] = list(
            (
                await conn.execute(
                    select(t.tenants.c.id).where(t.tenants.c.kind == "platform").order_by(t.tenants.c.id).limit(2)
                )
            ).scalars()
        )
    if not ids:
        raise NotFound("there is no platform tenant (kind='platform'); the ledger's issuance and revenue live there")
    if len(ids) > 1:
        raise Conflict(f"several platform tenants exist ({ids[0]}, {ids[1]}, …); the tenant tree has one root")
    _platform_roots[db] = ids[0]
    return ids[0]
