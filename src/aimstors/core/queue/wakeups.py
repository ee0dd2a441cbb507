"""Waking idle workers when jobs arrive, so they need not wait for their next poll.

Two sources, both best effort (polling is always the fallback):

- in-process: :func:`wake_local` after an enqueue signals every worker of this process on the same database;
- Postgres: :class:`PgListener` holds a raw asyncpg connection that ``LISTEN``\\s on the queue channel, where
  every enqueue transaction sends ``pg_notify`` with the queue's name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from aimstors.core.queue.claims import CHANNEL

__all__ = ["PgListener", "subscribe_local", "unsubscribe_local", "wake_local"]

log = logging.getLogger("aimstors.queue")

WakeCallback = Callable[[str], None]
_local: dict[str, set[WakeCallback]] = {}


def subscribe_local(url: str, callback: WakeCallback) -> None:
    """Call ``callback(queue)`` whenever this process enqueues into the database at ``url``."""
    _local.setdefault(url, set()).add(callback)


def unsubscribe_local(url: str, callback: WakeCallback) -> None:
    callbacks = _local.get(url)
    if callbacks is not None:
        callbacks.discard(callback)
        if not callbacks:
            del _local[url]


def wake_local(url: str, queues: Iterable[str]) -> None:
    """Tell this process's workers on ``url`` that ``queues`` have new jobs."""
    callbacks = _local.get(url)
    if not callbacks:
        return
    for queue in set(queues):
        for callback in list(callbacks):
            callback(queue)


# URL query parameters that mean the same to asyncpg as a DSN; any other (SQLAlchemy dialect options such as
# ``prepared_statement_cache_size``) would reach the server as an unknown setting, so it is dropped.
_DSN_PARAMS = frozenset({"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "ssl",
                         "connect_timeout", "target_session_attrs", "options", "host", "port", "passfile"})  # fmt: skip


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg wants, from an SQLAlchemy ``postgresql+asyncpg://`` URL."""
    url = make_url(sqlalchemy_url)
    query = {key: value for key, value in url.query.items() if key in _DSN_PARAMS}
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


class PgListener:
    """``LISTEN`` on the jobs channel over a dedicated connection and call ``on_notify(queue)`` for each
    notification; reconnects after a lost connection. Run :meth:`run` as a task and cancel it to stop."""

    def __init__(self, url: str, on_notify: WakeCallback, *, retry_seconds: float = 5.0) -> None:
        self._dsn = asyncpg_dsn(url)
        self._on_notify = on_notify
        self._retry_seconds = retry_seconds
        self.connected = asyncio.Event()

    def _callback(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_notify(payload)

    async def run(self) -> None:
        warned = False
        while True:
            conn: Any = None
            try:
                conn = await asyncpg.connect(self._dsn, timeout=10, server_settings={"application_name": "aimstors"})
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._callback)
                self.connected.set()
                if warned:
                    log.info("job notifications restored")
                    warned = False
                await lost.wait()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                if not warned:
                    log.warning("cannot listen for job notifications (%s); polling only", type(exc).__name__)
                    warned = True
            finally:
                self.connected.clear()
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(self._retry_seconds)
