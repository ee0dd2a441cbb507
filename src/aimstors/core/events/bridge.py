"""Postgres LISTEN/NOTIFY bridge of the event bus, so every daemon sees events from every worker.

Publishing sends ``pg_notify('aimstors_events', json)`` for each event, one statement per batch, over the
process's pool. Receiving holds a dedicated asyncpg connection that ``LISTEN``\\s, reconnecting after a loss;
the process skips its own notifications (it delivered those locally already).

NOTIFY payloads must stay under 8,000 bytes: an event whose JSON is larger is sent with its longest text values
shortened and ``"truncated": true`` in its data (or, failing that, with its data reduced to that flag), so a
consumer knows to fetch the full record through the API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url

from aimstors.core.db import Database
from aimstors.core.events.event import DomainEvent

if TYPE_CHECKING:
    from aimstors.core.events.bus import EventBus

__all__ = ["CHANNEL", "MAX_PAYLOAD_BYTES", "PgEventBridge", "notify_payload"]

log = logging.getLogger("aimstors.events")

CHANNEL = "aimstors_events"
MAX_PAYLOAD_BYTES = 7900  # Postgres refuses 8,000 and more; leave room for the envelope

_NOTIFY = text("SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def notify_payload(origin: str, event: DomainEvent, *, limit: int = MAX_PAYLOAD_BYTES) -> str:
    """The NOTIFY payload for ``event`` from process ``origin``, at most ``limit`` bytes of UTF-8."""
    body = event.to_dict()
    payload = _dumps({"o": origin, "e": body})
    if len(payload.encode()) <= limit:
        return payload
    data: dict[str, Any] = dict(body["data"])
    data["truncated"] = True
    # Shorten the longest strings first (the text of a message, a long name) until it fits.
    for key in sorted((k for k, v in data.items() if isinstance(v, str)), key=lambda k: -len(data[k])):
        body["data"] = data
        overflow = len(_dumps({"o": origin, "e": body}).encode()) - limit
        if overflow <= 0:
            break
        value: str = data[key]
        keep = max(0, len(value.encode()) - overflow - 8)
        data[key] = value.encode()[:keep].decode(errors="ignore")
    body["data"] = data
    payload = _dumps({"o": origin, "e": body})
    if len(payload.encode()) <= limit:
        return payload
    body["data"] = {"truncated": True}
    return _dumps({"o": origin, "e": body})


class PgEventBridge:
    """Forwards events to and from other processes on the same Postgres database."""

    def __init__(self, db: Database, *, retry_seconds: float = 2.0) -> None:
        self.db = db
        self.origin = secrets.token_hex(6)
        self.retry_seconds = retry_seconds
        self.connected = asyncio.Event()
        self._bus: EventBus | None = None
        self._task: asyncio.Task[None] | None = None

    async def send(self, events: Sequence[DomainEvent]) -> None:
        payloads = [notify_payload(self.origin, event) for event in events]
        async with self.db.engine.connect() as conn:
            await conn.execute(_NOTIFY, {"channel": CHANNEL, "payloads": payloads})
            await conn.commit()

    async def start(self, bus: EventBus) -> None:
        """Begin listening (a background task); waits briefly for the first connection."""
        self._bus = bus
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="events-listen")
            try:
                await asyncio.wait_for(self.connected.wait(), 5)
            except TimeoutError:
                log.warning("event notifications are not connected yet; retrying in the background")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            if message.get("o") == self.origin:
                return
            event = DomainEvent.from_dict(message["e"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed event notification")
            return
        if self._bus is not None:
            self._bus.deliver([event])

    async def _listen(self) -> None:
        dsn = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        warned = False
        while True:
            conn: Any = None
            try:
                conn = await asyncpg.connect(dsn, timeout=10, server_settings={"application_name": "aimstors-events"})
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._received)
                self.connected.set()
                if warned:
                    log.info("event notifications restored")
                    warned = False
                await lost.wait()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                if not warned:
                    log.warning("cannot listen for events of other processes (%s); retrying", type(exc).__name__)
                    warned = True
            finally:
                self.connected.clear()
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(self.retry_seconds)
