"""Durable webhook ingest with group commit: many deliveries, one transaction, then every answer.

The daemon hands each verified delivery to :meth:`WebhookIngest.submit` and answers Meta once it returns: by
then the raw bytes are in ``webhook_events`` and a ``webhook.process`` job for them is in ``jobs``, committed in
the same transaction. Concurrent submissions are batched by a writer task — it takes what is waiting (up to
``max_batch``), waits for more if the batch is not full until its oldest delivery has waited ``max_wait``
seconds (deliveries that queued behind the previous commit go at once), has the batch written (events and
one processing job, see :mod:`aimstors.core.inbound.event_store`), and resolves each caller. Committing per
request caps SQLite at ~900 deliveries/s on a 2-core machine; batching lifts that close to the HTTP ceiling.

Duplicates (a body whose SHA-256 was stored within ``dedupe_window``) are answered without a second row or job:
recognised from a per-process memory of recent digests, from requests still in flight, or from the table.

Work that shares the process (inbound processing, when one process runs both) yields to the ingest through
:meth:`WebhookIngest.yield_to_deliveries` while it is :attr:`~WebhookIngest.behind`: Meta waits for the answers,
processing can wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from aimstors.core.db import Database
from aimstors.core.errors import AimstorsError, DatabaseUnavailable
from aimstors.core.inbound.event_store import EventStore, Receipt, event_store_for

__all__ = ["MAX_BODY_BYTES", "IngestUnavailable", "Receipt", "WebhookIngest"]

log = logging.getLogger("aimstors.webhooks")

MAX_BODY_BYTES: Final = 3 * 1024 * 1024
"""Meta's webhook payloads are at most 3 MB; anything larger is refused (400) and not stored."""

MAX_BATCH: Final = 1000  # one multi-row INSERT: 9 parameters a row, well under SQLite's 32,766
BEHIND_SLACK: Final = 0.010
"""A batch whose oldest delivery waited this much longer than ``max_wait`` means the ingest is falling behind."""
BEHIND_HOLD: Final = 0.100
"""How long work that yields to the ingest (see :meth:`WebhookIngest.yield_to_deliveries`) holds back after that."""
LOOP_PROBE: Final = 0.020
"""How often the ingest checks that its event loop answers on time (a late wake-up by more than ``BEHIND_SLACK``
means the loop is saturated: deliveries wait before they even reach the ingest)."""


class IngestUnavailable(AimstorsError):
    """The ingest is not running (the process is starting or shutting down): Meta will retry."""

    code = "ingest_unavailable"
    exit_code = 10
    http_status = 503


@dataclass(slots=True)
class _Pending:
    body: bytes
    sha256: str
    future: asyncio.Future[Receipt] = field(repr=False)
    since: float = 0.0  # loop time when submitted
    repeats: list[asyncio.Future[Receipt]] = field(default_factory=list, repr=False)  # same body, meanwhile

    def settle(self, receipt: Receipt | None, error: BaseException | None = None) -> None:
        """Answer the submitter and every repeat (a duplicate of what was stored); callers that went away
        (cancelled futures) are skipped."""
        for index, future in enumerate([self.future, *self.repeats]):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
                future.exception()  # retrieved: a caller that went away must not warn
            elif receipt is not None:
                future.set_result(receipt if index == 0 else Receipt(receipt.event_id, receipt.received_at, True))


class WebhookIngest:
    """Stores verified webhook deliveries durably, group-committed. Start it, submit, stop it.

    ``writers`` transactions may run at once: 1 through a writer process (see
    :mod:`~aimstors.core.inbound.writer_process`) or on SQLite, which has one writer anyway; otherwise a few.
    """

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 256,
        max_wait: float = 0.005,
        dedupe_window: dt.timedelta = dt.timedelta(days=7),
        recent_size: int = 100_000,
        writers: int | None = None,
    ) -> None:
        if not 1 <= max_batch <= MAX_BATCH or max_wait < 0 or recent_size < 0:
            raise ValueError(f"max_batch must be from 1 to {MAX_BATCH}; max_wait and recent_size >= 0")
        self.db = db
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.dedupe_window = dedupe_window
        self.recent_size = recent_size
        self._events = event_store_for(db, dedupe_window=dedupe_window)
        self.writers = 1 if self._events.one_batch_at_a_time else (writers or 4)
        self.batches = 0  # transactions committed, for tests and the bench
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        # digest -> (event id's bytes, received at): no object the garbage collector tracks, so that a full
        # collection does not walk 100,000 remembered deliveries (~100 ms a pass, measured under load)
        self._recent: OrderedDict[str, tuple[bytes, dt.datetime]] = OrderedDict()
        self._inflight: dict[str, _Pending] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = False
        self._behind_until = 0.0  # loop time until which the ingest counts as falling behind
        self._yielding = asyncio.Lock()
        self._probe: asyncio.Task[None] | None = None

    @property
    def event_store(self) -> EventStore:
        """Where batches are written (the SQLite writer process, or the Postgres engine)."""
        return self._events

    @property
    def running(self) -> bool:
        return self._accepting

    async def start(self) -> None:
        if self._tasks:
            return
        self._accepting = True
        await self._events.start()
        self._tasks = [asyncio.create_task(self._write_loop(), name=f"webhook-ingest-{i}") for i in range(self.writers)]

    @property
    def behind(self) -> bool:
        """Recently, deliveries waited longer than ``max_wait`` for their commit, or the event loop woke up late:
        this process is busier than its deliveries allow."""
        return self._accepting and asyncio.get_running_loop().time() < self._behind_until

    def _mark_behind(self) -> None:
        self._behind_until = asyncio.get_running_loop().time() + BEHIND_HOLD

    async def yield_to_deliveries(self, longest: float = 0.25) -> float:
        """For work that shares this process's event loop and SQLite's write lock with the ingest (inbound
        processing, when one process runs both): wait while the ingest is :attr:`behind`, at most ``longest``
        seconds once it is this caller's turn (callers pass one at a time), so Meta's deliveries are answered
        first and that work still gets a turn every ``longest`` seconds. Returns the seconds waited."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        if self._probe is None and self._accepting:  # only a process with work that yields needs the probe
            self._probe = asyncio.create_task(self._watch_loop(), name="webhook-ingest-probe")
        async with self._yielding:
            deadline = loop.time() + longest
            while self.behind and (now := loop.time()) < deadline:  # noqa: ASYNC110 - a deadline that moves on
                await asyncio.sleep(min(self._behind_until, deadline) - now)
        return loop.time() - began

    async def _watch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LOOP_PROBE)
            if loop.time() - before > LOOP_PROBE + BEHIND_SLACK:
                self._mark_behind()

    async def stop(self) -> None:
        """Refuse new deliveries, commit the ones already submitted, then stop the writers."""
        self._accepting = False
        for _ in self._tasks:
            self._queue.put_nowait(None)
        tasks, self._tasks = self._tasks, []
        if self._probe is not None:
            self._probe.cancel()
            tasks.append(self._probe)
            self._probe = None
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._events.close()

    async def submit(self, body: bytes, sha256: str | None = None) -> Receipt:
        """Make ``body`` durable with its processing job; returns once committed (or a duplicate's receipt).

        Raises :class:`IngestUnavailable` when not running and ``DatabaseUnavailable`` when the commit failed;
        in both cases nothing was stored and Meta should be answered 5xx, so it retries.
        """
        if not self._accepting:
            raise IngestUnavailable("webhook ingest is not running", hint="the daemon is starting or stopping")
        digest = sha256 or hashlib.sha256(body).hexdigest()
        known = self._recent.get(digest)
        if known is not None:
            return Receipt(uuid.UUID(bytes=known[0]), known[1], True)
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        pending = self._inflight.get(digest)
        if pending is not None:
            pending.repeats.append(future)
        else:
            pending = self._inflight[digest] = _Pending(body, digest, future, future.get_loop().time())
            self._queue.put_nowait(pending)
        # Each caller awaits its own future: one that goes away (client disconnect) cancels only its own answer,
        # never the commit nor the answers of others.
        return await future

    # ------------------------------------------------------------------------------------------------ writers

    async def _write_loop(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = self._drain(batch)
            # Wait for company only while the oldest delivery has waited less than max_wait: deliveries that
            # queued up behind the previous commit go with the next one at once.
            wait = first.since + self.max_wait - asyncio.get_running_loop().time()
            if wait < -BEHIND_SLACK:
                self._mark_behind()
            if not stop and len(batch) < self.max_batch and wait > 0:
                await asyncio.sleep(wait)
                stop = self._drain(batch)
            await self._commit(batch)
            if stop:
                return

    def _drain(self, batch: list[_Pending]) -> bool:
        """Move waiting deliveries into ``batch`` (up to the limit); True if a stop marker was met."""
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return False
            if item is None:
                return True
            batch.append(item)
        return False

    async def _commit(self, batch: Sequence[_Pending]) -> None:
        try:
            receipts = await self._store(batch)
        except Exception as exc:
            error: BaseException = exc
            if not isinstance(exc, AimstorsError):
                log.error("storing %d webhook deliveries failed: %s", len(batch), type(exc).__name__)
                log.debug("webhook ingest failure", exc_info=exc)
                error = DatabaseUnavailable(f"could not store the webhook ({type(exc).__name__})")
            for item in batch:
                self._inflight.pop(item.sha256, None)
                item.settle(None, error)
            return
        self.batches += 1
        for item in batch:
            receipt = receipts[item.sha256]
            self._remember(item.sha256, receipt)
            self._inflight.pop(item.sha256, None)
            item.settle(receipt)

    def _remember(self, digest: str, receipt: Receipt) -> None:
        if self.recent_size == 0:
            return
        self._recent[digest] = (receipt.event_id.bytes, receipt.received_at)
        self._recent.move_to_end(digest)
        while len(self._recent) > self.recent_size:
            self._recent.popitem(last=False)

    async def _store(self, batch: Sequence[_Pending]) -> dict[str, Receipt]:
        return await self._events.store({item.sha256: item.body for item in batch})
