"""Async engine and tenant-scoped sessions for SQLite and Postgres."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from aimstors.core.db.base import RLS_ROLE
from aimstors.core.db.scope import Scope
from aimstors.core.errors import DatabaseUnavailable
from aimstors.core.settings import Settings

__all__ = ["Database", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
)

_SET_SCOPE = text("SELECT set_config('aimstors.tenant_ids', :ids, true)")
_SET_SCOPE_AND_ROLE = text(
    f"SELECT set_config('aimstors.tenant_ids', :ids, true), set_config('role', '{RLS_ROLE}', true)"
)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An engine with the house settings: SQLite in WAL with foreign keys and explicit BEGIN; Postgres pooled."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: errors and logs never carry values (phone numbers, message bodies, tokens).
        engine = create_async_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 15})

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself, so write transactions can ask for BEGIN IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,  # errors and logs never carry values (phone numbers, bodies, tokens)
        connect_args={"server_settings": {"application_name": "aimstors"}},
    )


class Database:
    """The process's connection to its database: engines plus scoped sessions.

    ``session(scope)`` opens one transaction in a tenant scope; ``session(scope, write=True)`` on SQLite starts it
    with ``BEGIN IMMEDIATE`` so a read-then-write never fails half-way on a busy database.

    On SQLite, write transactions of this process also take turns (:meth:`write_turn`): SQLite has one writer,
    and a connection that finds it busy sleeps in SQLite's busy handler (1, 2, 5, 10 … ms between tries) — on a
    daemon whose worker claims jobs, processes webhooks and settles campaigns at once, those sleeps were most of
    the time spent (processing webhooks: 7.5 s of 9 s waiting in ``BEGIN IMMEDIATE``). Queued on an asyncio
    lock instead, the next writer starts the moment the previous one commits. Other processes on the same file
    still meet SQLite's own lock.
    """

    def __init__(self, settings_or_url: Settings | str, *, pool_size: int = 10, echo: bool = False) -> None:
        if isinstance(settings_or_url, Settings):
            url = settings_or_url.database_url
            pool_size = settings_or_url.database_pool_size
            echo = settings_or_url.database_echo
        else:
            url = settings_or_url
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.dialect = self.engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self.write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)
        self._write_turns = _Turns()
        self._write_owner: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def write_turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Hold this process's turn to write a SQLite database (a no-op on Postgres, and inside a turn the
        current task already holds): see the class docstring. For writers outside :meth:`connect` and
        :meth:`session`, such as the webhook ingest's writer process. ``urgent`` turns go before every waiting
        ordinary one (the webhook ingest, whose answers Meta waits for, before inbound processing)."""
        task = asyncio.current_task()
        if not self.is_sqlite or task is None or self._write_owner is task:
            yield
            return
        await self._write_turns.acquire(urgent)
        self._write_owner = task
        try:
            yield
        finally:
            self._write_owner = None
            self._write_turns.release()

    async def apply_scope(self, conn: AsyncConnection | AsyncSession, scope: Scope) -> None:
        """Set the tenant scope for the current transaction (Postgres row-level security); no-op on SQLite."""
        if self.is_sqlite:
            return
        stmt = _SET_SCOPE if scope.is_system else _SET_SCOPE_AND_ROLE
        await conn.execute(stmt, {"ids": scope.setting()})

    @asynccontextmanager
    async def session(self, scope: Scope, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """One unit of work in ``scope``: commits on success, rolls back on any exception."""
        maker = self._write_sessions if write else self._sessions
        try:
            async with self._turn(write), maker() as session, session.begin():
                await self.apply_scope(session, scope)
                yield session
        except OperationalError as exc:
            raise DatabaseUnavailable(_describe_operational_error(exc)) from exc

    @asynccontextmanager
    async def connect(self, scope: Scope, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction, for hot paths that bypass the ORM."""
        engine = self.write_engine if write else self.engine
        try:
            async with self._turn(write), engine.begin() as conn:
                await self.apply_scope(conn, scope)
                yield conn
        except OperationalError as exc:
            raise DatabaseUnavailable(_describe_operational_error(exc)) from exc

    def _turn(self, write: bool) -> AbstractAsyncContextManager[None]:
        return self.write_turn() if write else nullcontext()

    async def dispose(self) -> None:
        await self.engine.dispose()


class _Turns:
    """A first-come, first-served lock with a fast lane: an urgent waiter goes before every ordinary one."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._ordinary: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._ordinary:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane = self._urgent if urgent else self._ordinary
        lane.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.release()  # the turn came just as the waiter was cancelled: pass it on
            elif turn in lane:
                lane.remove(turn)
            raise

    def release(self) -> None:
        """Hand the turn to the next waiter (urgent first), or free it."""
        for lane in (self._urgent, self._ordinary):
            while lane:
                turn = lane.popleft()
                if not turn.done():
                    turn.set_result(None)  # still held: it passes straight to that waiter
                    return
        self._held = False


def _describe_operational_error(exc: OperationalError) -> str:
    orig = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else "unknown error"
    if "no such table" in orig or "does not exist" in orig:
        return f"the database is not initialised ({orig}); run `aimstors db upgrade`"
    return f"database error: {orig}"
