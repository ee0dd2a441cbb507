"""Writing a batch of webhook deliveries: dedupe, insert the raw events, enqueue their processing job — one
transaction, in one of two ways.

- :class:`~aimstors.core.inbound.writer_process.ProcessEventStore` (a SQLite file, or Postgres): a writer
  process of its own, so storing does not compete with the event loop that serves the deliveries (see that
  module). On Postgres that process runs an :class:`AsyncEventStore`.
- :class:`AsyncEventStore`: SQLAlchemy's async engine in this process, as everywhere else (an in-memory SQLite
  database, which no other process can open).

Both insert the events with one multi-row ``INSERT`` at the driver level: values shared by the batch (its time,
its status) are converted once, not per row.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast

import msgspec
from sqlalchemy import BigInteger, Select, String, Table, and_, column, select, values
from sqlalchemy.engine import Dialect, make_url

from aimstors.core.db import Database, Scope
from aimstors.core.db.bulk import BulkInsert
from aimstors.core.db.models import WebhookEvent
from aimstors.core.ids import uuid7
from aimstors.core.inbound.jobs import PROCESS_KIND, WEBHOOK_QUEUE, EventRef, process_payload
from aimstors.core.queue import JobSpec, enqueue_many

__all__ = [
    "EVENTS",
    "AsyncEventStore",
    "EventStore",
    "Receipt",
    "SeenLookup",
    "event_store_for",
    "event_time",
    "events_insert",
    "plan",
    "seen_query",
]

EVENTS: Final[Table] = cast(Table, WebhookEvent.__table__)
_c = EVENTS.c
_SHARED: Final = ("received_at", "tenant_id", "status", "processed_at", "error")  # the same for a whole batch


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of a delivery: stored as ``event_id``, or a ``duplicate`` of that stored event."""

    event_id: uuid.UUID
    received_at: dt.datetime
    duplicate: bool


class EventStore(Protocol):
    one_batch_at_a_time: bool  # True: the ingest runs one writer task (its batches queue up instead)

    async def start(self) -> None: ...

    async def store(self, deliveries: Mapping[str, bytes]) -> dict[str, Receipt]:
        """Store ``deliveries`` (SHA-256 → body, distinct) in one transaction; the fate of each digest."""
        ...

    async def close(self) -> None: ...


def event_store_for(db: Database, *, dedupe_window: dt.timedelta) -> EventStore:
    """The store for ``db``: the writer process, unless the database is a SQLite one in memory."""
    if not db.is_sqlite or make_url(db.url).database not in (None, "", ":memory:"):
        from aimstors.core.inbound.writer_process import ProcessEventStore

        return ProcessEventStore(db, dedupe_window=dedupe_window)
    return AsyncEventStore(db, dedupe_window=dedupe_window)


# ----------------------------------------------------------------------------------------------- shared parts


@functools.cache
def events_insert(dialect: Dialect) -> BulkInsert:
    return BulkInsert(EVENTS, dialect, shared=_SHARED)


class _Timed(msgspec.Struct):
    timestamp: str | int = 0


class _Value(msgspec.Struct):
    statuses: list[_Timed] = []
    messages: list[_Timed] = []


class _Change(msgspec.Struct):
    value: _Value | None = None


class _Entry(msgspec.Struct):
    time: int = 0
    changes: list[_Change] = []


class _Body(msgspec.Struct):
    entry: list[_Entry] = []


_TIMED: Final = msgspec.json.Decoder(_Body)  # reads only the times; the rest of the document is skipped


def event_time(body: bytes) -> int:
    """The latest event time in a delivery (Unix seconds): its statuses' and messages' ``timestamp`` and its
    entries' ``time``; 0 when it has none or a shape nobody has seen. A function of the bytes alone, so a
    re-delivery (the same bytes) has the same time: the dedupe index is ordered by it."""
    try:
        parsed = _TIMED.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return 0
    latest = 0
    for entry in parsed.entry:
        latest = max(latest, entry.time)
        for change in entry.changes:
            if change.value is None:
                continue
            for item in (*change.value.statuses, *change.value.messages):
                stamp = item.timestamp
                if isinstance(stamp, str):
                    stamp = int(stamp) if stamp.isdigit() and len(stamp) < 19 else 0
                latest = max(latest, stamp)
    return latest if 0 <= latest < 2**62 else 0


def seen_query(wanted: Sequence[tuple[int, str]], since: dt.datetime) -> Select[tuple[uuid.UUID, dt.datetime, str]]:
    """The events stored since ``since`` with one of the ``wanted`` (event time, SHA-256) pairs: earlier copies.
    One index search a delivery, however many distinct times the batch holds."""
    pairs = values(column("event_time", BigInteger), column("body_sha256", String), name="wanted").data(list(wanted))
    found = pairs.cte("wanted")
    on = and_(_c.event_time == found.c.event_time, _c.body_sha256 == found.c.body_sha256)
    return (
        select(_c.id, _c.received_at, _c.body_sha256).select_from(found).join(EVENTS, on).where(_c.received_at >= since)
    )


@functools.lru_cache(maxsize=2048)
def _seen_statement(dialect: Dialect, count: int) -> str:
    """:func:`seen_query` for ``count`` deliveries in ``dialect``'s SQL, compiled once per size (compiling it
    afresh cost the Postgres ingest ~110 µs of the event loop's time per delivery)."""
    query = seen_query([(0, "")] * count, dt.datetime.now(dt.UTC))
    return str(query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))


@functools.cache
def _seen_conversions(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]:
    """``dialect``'s conversions for the seen statement at the driver level: the window's start in, ids and
    times out (the ones SQLAlchemy applies when it runs a statement itself)."""

    def conversion(column: str, kind: str) -> Callable[[Any], Any]:
        impl = _c[column].type.dialect_impl(dialect)
        process = impl.bind_processor(dialect) if kind == "bind" else impl.result_processor(dialect, None)
        return process if process is not None else (lambda value: value)

    return conversion("received_at", "bind"), conversion("id", "result"), conversion("received_at", "result")


@dataclass(frozen=True, slots=True)
class SeenLookup:
    """The earlier copies of a batch, at the driver level: run ``statement`` with ``parameters``, then
    :meth:`rows` of what it returned. ``times`` is each digest's :func:`event_time`, for :func:`plan`."""

    dialect: Dialect
    times: dict[str, int]
    statement: str
    parameters: tuple[Any, ...]

    @classmethod
    def of(cls, dialect: Dialect, deliveries: Mapping[str, bytes], since: dt.datetime) -> SeenLookup:
        times = {digest: event_time(body) for digest, body in deliveries.items()}
        to_driver = _seen_conversions(dialect)[0]
        parameters = (*(value for digest, time in times.items() for value in (time, digest)), to_driver(since))
        return cls(dialect, times, _seen_statement(dialect, len(times)), parameters)

    def rows(self, found: Iterable[Sequence[Any]]) -> list[tuple[uuid.UUID, dt.datetime, str]]:
        """(event id, received at, digest) of each earlier copy found, as Python values."""
        _, to_id, to_time = _seen_conversions(self.dialect)
        return [(to_id(event_id), to_time(received_at), digest) for event_id, received_at, digest in found]


def plan(
    deliveries: Mapping[str, bytes], times: Mapping[str, int], seen: Sequence[Any], now: dt.datetime
) -> tuple[dict[str, Receipt], list[dict[str, Any]], JobSpec | None]:
    """The fate of each delivery, the rows to insert and the processing job (None when all are duplicates).
    ``times``: each digest's :func:`event_time`."""
    fates = {digest: Receipt(event_id, received_at, True) for event_id, received_at, digest in seen}
    rows: list[dict[str, Any]] = []
    for digest, body in deliveries.items():
        if digest in fates:
            continue
        event_id = uuid7()
        fates[digest] = Receipt(event_id, now, False)
        rows.append({"id": event_id, "received_at": now, "tenant_id": None, "body": body,
                     "body_sha256": digest, "event_time": times[digest], "status": "pending",
                     "processed_at": None, "error": None})  # fmt: skip
    if not rows:
        return fates, rows, None
    job = JobSpec(PROCESS_KIND, process_payload(EventRef(r["id"], now) for r in rows), queue=WEBHOOK_QUEUE)
    return fates, rows, job


# ---------------------------------------------------------------------------------------------------- Postgres


class AsyncEventStore:
    """Through SQLAlchemy's async engine, batches side by side on Postgres (its writer process runs one)."""

    def __init__(self, db: Database, *, dedupe_window: dt.timedelta) -> None:
        self.db = db
        self.dedupe_window = dedupe_window
        self.one_batch_at_a_time = db.is_sqlite  # SQLite has one writer anyway

    async def store(self, deliveries: Mapping[str, bytes]) -> dict[str, Receipt]:
        return (await self.store_batch(deliveries, dt.datetime.now(dt.UTC)))[0]

    async def store_batch(
        self, deliveries: Mapping[str, bytes], now: dt.datetime
    ) -> tuple[dict[str, Receipt], str | None]:
        """Store ``deliveries`` (SHA-256 → body) received at ``now`` in one transaction: the fate of each, and
        the queue that got a processing job (None when every delivery was a duplicate)."""
        async with self.db.connect(Scope.system(), write=True) as conn:
            lookup = SeenLookup.of(conn.dialect, deliveries, now - self.dedupe_window)
            seen = lookup.rows(await conn.exec_driver_sql(lookup.statement, lookup.parameters))
            fates, rows, job = plan(deliveries, lookup.times, seen, now)
            if job is not None:
                await conn.exec_driver_sql(*events_insert(conn.dialect)(rows))
                await enqueue_many(self.db, [job], conn=conn)
        return fates, (job.queue if job is not None else None)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
