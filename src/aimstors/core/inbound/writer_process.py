"""Webhook ingest: the group-committed transactions run in a writer process of their own.

Why a process: the daemon's event loop is the ingest's bottleneck (HTTP parsing, signatures, answers: ~100 µs a
delivery on this machine). A writer *thread* still shares the loop's interpreter lock for its Python work and
every lock hand-off: measured here, a stored delivery cost the serving process ~190 µs of CPU that way against
~100 µs answered without storage, and the loop could not keep 5,000 deliveries/s with p99 under 50 ms. In its
own process the writer runs on the other core, and the serving process only writes each batch to a pipe and
reads one answer back: side by side on the same machine, a stored delivery now costs it no more CPU than an
unstored one (batched answers even save a little). Postgres through asyncpg in the loop cost it the same
~190 µs a delivery (SQLAlchemy, the driver's encoding, the round trips' callbacks), so it writes from a writer
process too.

- :class:`SqliteBatchWriter` is the transaction on a SQLite file (dedupe, events, their processing job), on a
  plain ``sqlite3`` connection with statements compiled once from the table definitions (see
  :class:`~aimstors.core.db.bulk.BulkInsert`) and the job built by the queue's own
  :func:`~aimstors.core.queue.job_rows`, so the rows are exactly what Core would write. It also checkpoints
  the WAL from a second connection in a second thread: left to the committing connection (SQLite's default),
  every ~1,000 pages one commit would copy the WAL into the database and sync it — tens of milliseconds during
  which every delivery waiting for that commit waits too. On Postgres, :class:`PostgresBatchWriter` runs
  :class:`~aimstors.core.inbound.event_store.AsyncEventStore`, the same transaction through SQLAlchemy.
- :class:`ProcessEventStore` is the daemon's side: it starts the writer when the ingest starts (``python -m`` this
  module, which imports only the storage code; the database URL goes over the pipe, never on a command line),
  sends it each batch (msgpack frames over its stdin) and awaits the answer (on its stdout) without blocking the
  loop. If the writer dies, the batch it held fails with ``DatabaseUnavailable`` (Meta is answered 503 and
  retries; the database rolls the unfinished transaction back) and the next batch starts a new writer. The
  writer ignores SIGINT and SIGTERM (a terminal's Ctrl-C or a service manager reaches the whole process group):
  it ends when the daemon closes its input, after the last batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sqlite3
import struct
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from typing import BinaryIO, Final

import msgspec
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect, make_url

from aimstors.core.db import Database
from aimstors.core.db.bulk import BulkInsert
from aimstors.core.db.engine import SQLITE_BUSY_TIMEOUT_MS, SQLITE_PRAGMAS
from aimstors.core.errors import DatabaseUnavailable
from aimstors.core.inbound.event_store import AsyncEventStore, Receipt, SeenLookup, events_insert, plan
from aimstors.core.queue import job_rows, wake_local
from aimstors.core.queue.claims import JOBS

__all__ = ["CHECKPOINT_INTERVAL", "PostgresBatchWriter", "ProcessEventStore", "SqliteBatchWriter", "writer_main"]

log = logging.getLogger("aimstors.webhooks")

CHECKPOINT_INTERVAL: Final = 0.25
"""Seconds between the writer's background WAL checkpoints while it writes. Each checkpoint slows the commits
around it a little; four small ones a second cost the paced run's worst 100 ms about 25-30 ms, against 40-47 ms
for one large one a second (at 5,000 deliveries/s, ~10,000 WAL pages a second)."""
WAL_RESTART_FRAMES: Final = 65_536
"""A WAL longer than this many pages (256 MB) is started over before the next batch (see ``_restart_wal``):
~20-40 ms for that batch, about every 10 s under 5,000 deliveries/s."""
RESTART_WAIT_MS: Final = 20  # how long that restart waits for readers of an older snapshot
BEGIN_RETRY: Final = 0.0005
"""Seconds between tries for the write lock while another process holds it (see ``SqliteBatchWriter._begin``)."""

_SQLITE: Final[Dialect] = sqlite.dialect()


class _Hello(msgspec.Struct, array_like=True):
    """Daemon → writer, first: where to write, and how far back duplicates are looked for."""

    url: str
    dedupe_seconds: float


class _Batch(msgspec.Struct, array_like=True):
    """Daemon → writer: the batch's time and its deliveries (SHA-256 → body)."""

    now: dt.datetime
    deliveries: Mapping[str, bytes]


class _Answer(msgspec.Struct, array_like=True, omit_defaults=True):
    """Writer → daemon: each digest's event id and whether it was a duplicate, when the earlier copies were
    received, and the queue that got a processing job; or the error that rolled the batch back."""

    ids: dict[str, tuple[bytes, bool]] = {}
    earlier: dict[str, dt.datetime] = {}
    queue: str | None = None
    error: str | None = None


_ENCODE: Final = msgspec.msgpack.Encoder().encode
_HELLO: Final = msgspec.msgpack.Decoder(_Hello)
_BATCH: Final = msgspec.msgpack.Decoder(_Batch)
_ANSWER: Final = msgspec.msgpack.Decoder(_Answer)


# ------------------------------------------------------------------------------------------------ the writer


class SqliteBatchWriter:
    """Stores batches of deliveries in one transaction each on a SQLite file (the writer process runs one)."""

    failures: Final = (sqlite3.Error,)  # a batch that failed with these is answered as failed, not a crash

    def __init__(self, path: str, *, dedupe_window: dt.timedelta) -> None:
        self.path = path
        self.dedupe_window = dedupe_window
        self._conn = self._open(autocheckpoint=False)
        self._events = events_insert(_SQLITE)
        self._jobs = BulkInsert(JOBS, _SQLITE, on_conflict_do_nothing="dedupe_key")
        self._wal_frames = 0  # the WAL's length at the last background checkpoint
        self._written = threading.Event()  # set by a commit, cleared by the checkpoint that follows it
        self._closed = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="wal-checkpoint", daemon=True)
        self._checkpointer.start()

    def _open(self, *, autocheckpoint: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        if not autocheckpoint:
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpoint thread does it, off the commit path
        return conn

    def store(self, deliveries: Mapping[str, bytes], now: dt.datetime) -> tuple[dict[str, Receipt], str | None]:
        """Store ``deliveries`` (SHA-256 → body) in one transaction: the fate of each, and the queue that got a
        processing job (None when every delivery was a duplicate)."""
        conn = self._conn
        if self._wal_frames > WAL_RESTART_FRAMES:
            self._restart_wal()
        lookup = SeenLookup.of(_SQLITE, deliveries, now - self.dedupe_window)
        self._begin()
        try:
            seen = lookup.rows(conn.execute(lookup.statement, lookup.parameters).fetchall())
            fates, rows, job = plan(deliveries, lookup.times, seen, now)
            if job is not None:
                conn.execute(*self._events(rows))
                conn.execute(*self._jobs(job_rows([job], now)))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._written.set()
        return fates, (job.queue if job is not None else None)

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, tried again every :data:`BEGIN_RETRY` while another process writes (a worker
        process processing webhooks), up to the usual busy timeout. SQLite's own busy handler sleeps 1, 2, 5 …
        100 ms between tries: against a worker whose transactions follow each other closely, the ingest kept
        missing the gaps between them and fell seconds behind."""
        conn = self._conn
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        conn.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                        raise
                time.sleep(BEGIN_RETRY)
        finally:
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def _restart_wal(self) -> None:
        """Start the WAL over from its beginning. Under steady writes the background checkpoints never find it
        fully copied at a moment when no commit follows, so SQLite never restarts it by itself and the file
        would grow for as long as the load lasts. Those checkpoints have copied nearly all of it already, so
        this one is short; if a reader holds an old snapshot it gives up at once and is tried again later."""
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        try:
            busy, _frames, _done = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error:
            busy = 1
        finally:
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not busy:
            self._wal_frames = 0

    def _checkpoint_loop(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._closed.wait(CHECKPOINT_INTERVAL):
                if not self._written.is_set():
                    continue
                self._written.clear()
                if conn is None:
                    conn = self._open(autocheckpoint=True)
                with contextlib.suppress(sqlite3.Error):  # busy: the next interval tries again
                    _busy, frames, _done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self._wal_frames = frames
        finally:
            if conn is not None:
                conn.close()

    def close(self) -> None:
        self._closed.set()
        self._checkpointer.join()
        self._conn.close()


_FRAME: Final = struct.Struct("!I")  # each message on the pipes: its length, then msgpack


def _write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(_FRAME.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(_FRAME.size)
    if len(header) < _FRAME.size:
        return None
    return stream.read(_FRAME.unpack(header)[0])


def _answer(fates: Mapping[str, Receipt], queue: str | None) -> _Answer:
    return _Answer(
        ids={digest: (fate.event_id.bytes, fate.duplicate) for digest, fate in fates.items()},
        earlier={digest: fate.received_at for digest, fate in fates.items() if fate.duplicate},
        queue=queue,
    )


def _failure(exc: BaseException) -> _Answer:
    # The message's first line only: a driver's detail lines can quote parameters (bodies, phone numbers).
    lines = str(exc).splitlines()
    return _Answer(error=f"database error: {lines[0][:200] if lines else type(exc).__name__}")


class PostgresBatchWriter:
    """Stores batches in one transaction each through :class:`AsyncEventStore` (the same transaction the daemon
    would run itself), on an event loop of the writer process's own."""

    failures: Final = (Exception,)  # DatabaseUnavailable, or the driver's error: the batch was rolled back

    def __init__(self, url: str, *, dedupe_window: dt.timedelta) -> None:
        self._loop = asyncio.new_event_loop()
        self._db = Database(url, pool_size=2)
        self._store = AsyncEventStore(self._db, dedupe_window=dedupe_window)

    def store(self, deliveries: Mapping[str, bytes], now: dt.datetime) -> tuple[dict[str, Receipt], str | None]:
        return self._loop.run_until_complete(self._store.store_batch(deliveries, now))

    def close(self) -> None:
        self._loop.run_until_complete(self._db.dispose())
        self._loop.close()


def writer_main() -> None:
    """The writer process: read where to write (the first frame), then store each batch read from stdin and
    answer on stdout; exit on an empty frame or end of input (the daemon went away)."""
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_IGN)  # the daemon ends us by closing stdin, once its last batch is in
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    hello = _read_frame(stdin)
    if not hello:
        return
    settings = _HELLO.decode(hello)
    window = dt.timedelta(seconds=settings.dedupe_seconds)
    url = make_url(settings.url)
    writer: SqliteBatchWriter | PostgresBatchWriter
    if url.get_backend_name() == "sqlite":
        writer = SqliteBatchWriter(str(url.database), dedupe_window=window)
    else:
        writer = PostgresBatchWriter(settings.url, dedupe_window=window)
    try:
        _write_frame(stdout, b"ready")
        while message := _read_frame(stdin):
            batch = _BATCH.decode(message)
            try:
                answer = _answer(*writer.store(batch.deliveries, batch.now))
            except writer.failures as exc:
                answer = _failure(exc)
            _write_frame(stdout, _ENCODE(answer))
    except BrokenPipeError:
        pass
    finally:
        writer.close()


# ------------------------------------------------------------------------------------------- the daemon's side


class ProcessEventStore:
    """Sends each batch to the writer process and awaits its answer, one batch at a time (see the module
    docstring)."""

    one_batch_at_a_time = True

    START_TIMEOUT: Final = 60.0

    def __init__(self, db: Database, *, dedupe_window: dt.timedelta) -> None:
        self.db = db
        self.dedupe_window = dedupe_window
        self._process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task[asyncio.subprocess.Process] | None = None
        self._turn = asyncio.Lock()

    @property
    def writer_pid(self) -> int | None:
        """The writer process's id while one runs."""
        return self._process.pid if self._process is not None and self._process.returncode is None else None

    async def start(self) -> None:
        """Start the writer in the background (its imports take ~0.5 s): the first delivery finds it ready."""
        if self._process is None and self._starting is None:
            self._starting = asyncio.create_task(self._start(), name="webhook-writer-start")
            self._starting.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def _writer(self) -> asyncio.subprocess.Process:
        """The running writer: the one starting, or a new one (after a failure, or without :meth:`start`)."""
        if self._process is not None:
            return self._process
        starting, self._starting = self._starting, None
        if starting is not None:
            return await starting
        return await self._start()

    async def _start(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert process.stdin is not None
        hello = _ENCODE(_Hello(self.db.url, self.dedupe_window.total_seconds()))
        process.stdin.write(_FRAME.pack(len(hello)) + hello)
        try:
            ready = await asyncio.wait_for(self._receive(process), self.START_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            ready = b""
        if ready != b"ready":
            await self._end(process)
            raise DatabaseUnavailable("the webhook writer process did not start")
        log.debug("webhook writer process %s started", process.pid)
        self._process = process  # only now: nobody else reads its answers while it starts
        return process

    @staticmethod
    async def _receive(process: asyncio.subprocess.Process) -> bytes:
        assert process.stdout is not None
        header = await process.stdout.readexactly(_FRAME.size)
        return await process.stdout.readexactly(_FRAME.unpack(header)[0])

    async def _discard(self) -> None:
        """Forget a writer that failed (killed if still running); the next batch starts a new one."""
        process, self._process = self._process, None
        if process is not None:
            await self._end(process)

    @staticmethod
    async def _end(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(process.wait(), 10)

    async def store(self, deliveries: Mapping[str, bytes]) -> dict[str, Receipt]:
        now = dt.datetime.now(dt.UTC)
        # One batch at a time on the pipe; on SQLite, other writers of this process wait and deliveries go first.
        async with self._turn, self.db.write_turn(urgent=True):
            process = await self._writer()
            assert process.stdin is not None
            message = _ENCODE(_Batch(now, deliveries))
            try:
                process.stdin.write(_FRAME.pack(len(message)) + message)
                await process.stdin.drain()
                answer = _ANSWER.decode(await self._receive(process))
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                await self._discard()
                log.error("the webhook writer process stopped; %d deliveries not stored", len(deliveries))
                raise DatabaseUnavailable("could not store the webhook (the writer process stopped)") from exc
        if answer.error is not None:
            raise DatabaseUnavailable(answer.error)
        if answer.queue is not None:
            wake_local(self.db.url, [answer.queue])
        earlier = answer.earlier
        return {
            digest: Receipt(uuid.UUID(bytes=event_id), earlier.get(digest, now), duplicate)
            for digest, (event_id, duplicate) in answer.ids.items()
        }

    async def close(self) -> None:
        """Let the writer finish and exit (it has no batch in hand: the ingest stopped submitting)."""
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting
            self._starting = None
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(ConnectionError):
                process.stdin.write(_FRAME.pack(0))
                await process.stdin.drain()
                process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


if __name__ == "__main__":
    writer_main()
