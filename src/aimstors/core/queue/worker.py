"""The worker: claims batches of jobs, runs their handlers with a concurrency limit, settles them in batches.

One :class:`Worker` per process and set of queues (``aimstors worker --queues …``, or in ``aimstors serve``)::

    worker = Worker(db, registry, queues=["default"], concurrency=20)
    worker.install_signal_handlers()      # SIGTERM / SIGINT → stop()
    await worker.run()

How it works: a claim loop keeps up to ``concurrency + batch_size`` jobs in hand (running, or claimed and
waiting to start), claiming a batch whenever there is room for one. ``concurrency`` runner tasks take claimed
jobs in claim order and run their handlers. Outcomes are settled in batches by a flusher (at ``batch_size``
outcomes or after ``flush_interval``). A renewer extends the leases of every job in hand each
``lease_seconds / 3``; a job whose lease was lost (reclaimed by another worker after it expired) is not
started, and its outcome is ignored.

Wake-ups: Postgres NOTIFY (see :mod:`aimstors.core.queue.wakeups`), enqueues from this process, or the poll
interval, whichever comes first.

Stopping (:meth:`stop`, SIGTERM): no more claims; jobs claimed but not started are released at once (their
attempt not counted); running handlers get ``grace_seconds`` to finish, then are cancelled and recorded as
failed attempts; outcomes are flushed, and :meth:`run` returns. A second stop cuts the grace period short.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.errors import DatabaseUnavailable
from aimstors.core.queue.handlers import HandlerRegistry, JobContext
from aimstors.core.queue.records import ClaimedJob, Failure
from aimstors.core.queue.retries import Backoff
from aimstors.core.queue.store import JobStore
from aimstors.core.queue.wakeups import PgListener, subscribe_local, unsubscribe_local

__all__ = ["Worker", "WorkerStats"]

log = logging.getLogger("aimstors.queue")

MAX_ERROR_CHARS = 8000


@dataclass(slots=True)
class WorkerStats:
    """What one :meth:`Worker.run` did. ``lost`` counts jobs whose lease another worker took over."""

    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    released: int = 0
    lost: int = 0


def default_worker_id() -> str:
    """``host:pid:random``: unique per worker instance, readable in ``lease_owner``."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def describe_error(exc: BaseException) -> str:
    """``Type: message`` then the traceback, trimmed to ``MAX_ERROR_CHARS`` (kept from the end)."""
    head = f"{type(exc).__name__}: {exc}"
    trace = "".join(traceback.format_exception(exc))
    text = f"{head}\n\n{trace}"
    return text if len(text) <= MAX_ERROR_CHARS else head[:500] + "\n…\n" + trace[-(MAX_ERROR_CHARS - 600) :]


class Worker:
    """Runs registered handlers for the jobs of ``queues`` (see the module docstring for the life cycle)."""

    def __init__(
        self,
        db: Database,
        registry: HandlerRegistry,
        *,
        queues: Sequence[str] = ("default",),
        concurrency: int = 10,
        batch_size: int | None = None,
        lease_seconds: float = 30.0,
        poll_interval: float = 0.5,
        grace_seconds: float = 10.0,
        flush_interval: float = 0.05,
        backoff: Backoff | None = None,
        worker_id: str | None = None,
        listen: bool = True,
    ) -> None:
        if not queues:
            raise ValueError("a worker needs at least one queue")
        if concurrency < 1 or (batch_size is not None and batch_size < 1):
            raise ValueError("concurrency and batch_size must be at least 1")
        if lease_seconds <= 0 or poll_interval <= 0:
            raise ValueError("lease_seconds and poll_interval must be positive")
        self.db = db
        self.registry = registry
        self.queues = list(dict.fromkeys(queues))
        self.concurrency = concurrency
        self.batch_size = batch_size or concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.grace_seconds = grace_seconds
        self.flush_interval = flush_interval
        self.backoff = backoff or Backoff()
        self.worker_id = worker_id or default_worker_id()
        self.listen = listen
        self.store = JobStore(db)
        self.stats = WorkerStats()
        self._reclaim_interval = min(lease_seconds / 2, 5.0)
        self._claim_seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: PgListener | None = None
        self._stopping = False
        self._signals: list[signal.Signals] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._force = asyncio.Event()
        self._has_outcomes = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._settle_lock = asyncio.Lock()
        self._ready: asyncio.Queue[ClaimedJob | None] = asyncio.Queue()
        self._in_hand: dict[int, ClaimedJob] = {}  # claimed and not yet settled or released
        self._running = 0
        self._done: dict[str, list[int]] = defaultdict(list)
        self._failures: list[Failure] = []
        self._outcomes = 0  # len of _done's lists plus _failures, kept as a count for the hot path

    # ----------------------------------------------------------------------------------------------- control

    @property
    def is_running(self) -> bool:
        return self._loop is not None

    @property
    def listening(self) -> bool:
        """True while a Postgres ``LISTEN`` connection is up (wake-ups without waiting for the next poll)."""
        return self._listener is not None and self._listener.connected.is_set()

    def stop(self) -> None:
        """Stop claiming and shut down gracefully; call again to skip the rest of the grace period.
        Call it from the worker's event loop, as the handlers of :meth:`install_signal_handlers` do."""
        if self._stopping:
            self._force.set()
            return
        self._stopping = True
        self._wake.set()
        self._room.set()

    def wake(self, queue: str | None = None) -> None:
        """Claim now, not at the next poll (thread-safe); ignored for queues this worker does not serve."""
        loop = self._loop
        if loop is None or (queue is not None and queue not in self.queues) or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._wake.set)

    def install_signal_handlers(self) -> None:
        """Make SIGTERM and SIGINT call :meth:`stop` (Unix; from inside the running loop)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
            self._signals.append(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("worker %s: %s received, stopping", self.worker_id, sig.name)
        self.stop()

    async def run_until_idle(self) -> WorkerStats:
        """Run until no job of the worker's queues is due and none is in hand, then stop gracefully.
        Jobs scheduled for later (``run_at`` in the future, retries in backoff) are left for later."""
        return await self.run(until_idle=True)

    async def run(self, *, until_idle: bool = False) -> WorkerStats:
        """Work until :meth:`stop` (or with ``until_idle`` until nothing is due); returns the run's stats."""
        if self._loop is not None:
            raise RuntimeError("this worker is already running")
        self._loop = asyncio.get_running_loop()
        stop_requested = self._stopping  # stop() before run(): return at once, after the usual clean-up
        self._reset_state()
        self._stopping = stop_requested
        self.stats = WorkerStats()
        subscribe_local(self.db.url, self.wake)
        background = [
            asyncio.create_task(self._flush_loop(), name="queue-flush"),
            asyncio.create_task(self._renew_loop(), name="queue-renew"),
        ]
        if self.listen and not self.db.is_sqlite:
            self._listener = PgListener(self.db.url, self.wake)
            background.append(asyncio.create_task(self._listener.run(), name="queue-listen"))
        runners = [asyncio.create_task(self._runner(), name=f"queue-runner-{i}") for i in range(self.concurrency)]
        log.info(
            "worker %s started: queues %s, concurrency %d, batch %d",
            self.worker_id, ",".join(self.queues), self.concurrency, self.batch_size,
        )  # fmt: skip
        try:
            await self._claim_loop(until_idle)
        finally:
            self._stopping = True
            await self._shutdown(runners, background)
            unsubscribe_local(self.db.url, self.wake)
            loop = self._loop
            for sig in self._signals:
                loop.remove_signal_handler(sig)
            self._signals.clear()
            self._loop = None
            self._listener = None
            self._stopping = False
            log.info(
                "worker %s stopped: %d succeeded, %d failed, %d released, %d lost",
                self.worker_id, self.stats.succeeded, self.stats.failed, self.stats.released, self.stats.lost,
            )  # fmt: skip
        return self.stats

    # ------------------------------------------------------------------------------------------------ claims

    def _next_owner(self) -> str:
        self._claim_seq += 1
        return f"{self.worker_id}/{self._claim_seq}"

    async def _claim_loop(self, until_idle: bool) -> None:
        capacity = self.concurrency + self.batch_size
        last_reclaim = float("-inf")
        while not self._stopping:
            room = capacity - (self._ready.qsize() + self._running)
            if room < self.batch_size and (self._ready.qsize() > 0 or room <= 0):
                self._room.clear()
                await self._room.wait()
                continue
            limit = min(self.batch_size, room)
            self._wake.clear()  # before the claim, so a notification during it is not lost
            reclaim = time.monotonic() - last_reclaim >= self._reclaim_interval
            try:
                jobs = await self.store.claim(
                    self.queues, owner=self._next_owner(), limit=limit, lease_seconds=self.lease_seconds,
                    reclaim=reclaim,
                )  # fmt: skip
            except Exception as exc:
                _log_db_error(exc, "worker %s: claiming failed; retrying", self.worker_id)
                await self._sleep(max(self.poll_interval, 1.0))
                continue
            if reclaim:
                last_reclaim = time.monotonic()
            self.stats.claimed += len(jobs)
            for job in jobs:
                self._in_hand[job.id] = job
                self._ready.put_nowait(job)
            if len(jobs) == limit:
                await asyncio.sleep(0)  # let runners start; there is probably more to claim
                continue
            # A flush that settled the last jobs in hand while this claim ran sets the wake event: a retry it made
            # due may have been invisible to the claim, so claim once more before calling the queue idle.
            if until_idle and not jobs and not self._in_hand and not self._wake.is_set():
                return
            await self._sleep(self.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        """Wait for a wake-up (notification, local enqueue, stop, drained runners) or ``seconds``."""
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that races a wake-up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    # ------------------------------------------------------------------------------------------------ runners

    async def _runner(self) -> None:
        while True:
            job = await self._ready.get()
            if job is None:
                return
            if job.id not in self._in_hand or self._in_hand[job.id] is not job:
                continue  # lease lost while waiting: another worker has it now
            self._running += 1
            try:
                await self._execute(job)
            finally:
                self._running -= 1
                self._room.set()

    async def _execute(self, job: ClaimedJob) -> None:
        handler = self.registry.get(job.kind)
        if handler is None:
            known = ", ".join(self.registry.kinds()) or "none"
            self._record_failure(job, f"no handler registered for job kind {job.kind!r} (known kinds: {known})")
            return
        context = JobContext(job.id, job.kind, job.queue, job.payload, job.attempts, job.max_attempts, job.tenant_id)
        try:
            await handler(context)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            self._record_failure(
                job,
                f"interrupted: the worker stopped and the job did not finish within {self.grace_seconds}s",
            )
            raise
        except Exception as exc:
            log.warning(
                "job %d (%s) attempt %d/%d failed: %s",
                job.id, job.kind, job.attempts, job.max_attempts, type(exc).__name__,
            )  # fmt: skip
            log.debug("job %d failure detail", job.id, exc_info=exc)
            self._record_failure(job, describe_error(exc))
        else:
            self._done[job.lease_owner].append(job.id)
            self.stats.succeeded += 1
            self._outcome_recorded()

    def _record_failure(self, job: ClaimedJob, error: str) -> None:
        retry_at = utcnow() + dt.timedelta(seconds=self.backoff.delay(job.attempts))
        self._failures.append(Failure(job.id, job.lease_owner, error, retry_at))
        self.stats.failed += 1
        self._outcome_recorded()

    def _outcome_recorded(self) -> None:
        self._outcomes += 1
        self._has_outcomes.set()
        if self._outcomes >= self.batch_size:
            self._flush_now.set()

    # ------------------------------------------------------------------------------------ settling and leases

    async def _flush_loop(self) -> None:
        while True:
            await self._has_outcomes.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_interval):
                    await self._flush_now.wait()
            if not await self._flush():
                await asyncio.sleep(self.poll_interval)

    def _forget(self, job_id: int, owner: str) -> None:
        """Drop a job from the jobs in hand, unless it has been claimed again since (under a new token)."""
        held = self._in_hand.get(job_id)
        if held is not None and held.lease_owner == owner:
            del self._in_hand[job_id]

    async def _flush(self) -> bool:
        """Write the outcomes collected so far; False (outcomes kept for a retry) if the database failed."""
        async with self._settle_lock:
            self._has_outcomes.clear()
            self._flush_now.clear()
            done, failures = dict(self._done), self._failures
            self._done, self._failures, self._outcomes = defaultdict(list), [], 0
            if not done and not failures:
                return True
            try:
                await self.store.settle(done, failures)
            except (Exception, asyncio.CancelledError) as exc:
                # Keep the outcomes for the next flush; settling twice is harmless (it matches running jobs only).
                for owner, ids in done.items():
                    self._done[owner].extend(ids)
                self._failures.extend(failures)
                self._outcomes += sum(map(len, done.values())) + len(failures)
                self._has_outcomes.set()
                if isinstance(exc, asyncio.CancelledError):
                    raise
                _log_db_error(exc, "worker %s: recording job outcomes failed; retrying", self.worker_id)
                return False
            for owner, ids in done.items():
                for job_id in ids:
                    self._forget(job_id, owner)
            for failure in failures:
                self._forget(failure.job_id, failure.lease_owner)
            if not self._in_hand:
                self._wake.set()  # everything in hand is settled: claim again now (retries may be due)
            return True

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            async with self._settle_lock:
                held = _by_owner(self._in_hand.values())
                try:
                    kept = await self.store.renew(held, lease_seconds=self.lease_seconds)
                except Exception as exc:
                    _log_db_error(exc, "worker %s: renewing leases failed", self.worker_id)
                    continue
                lost = [(job_id, owner) for owner, ids in held.items() for job_id in ids if job_id not in kept]
                for job_id, owner in lost:
                    self._forget(job_id, owner)
                if lost:
                    self.stats.lost += len(lost)
                    log.warning("worker %s: lost the lease of %d job(s) to another worker", self.worker_id, len(lost))

    # ----------------------------------------------------------------------------------------------- shutdown

    async def _shutdown(self, runners: list[asyncio.Task[None]], background: list[asyncio.Task[None]]) -> None:
        waiting: list[ClaimedJob] = []
        while not self._ready.empty():
            job = self._ready.get_nowait()
            if job is not None and self._in_hand.get(job.id) is job:
                waiting.append(job)
        for _ in runners:
            self._ready.put_nowait(None)
        if waiting:
            try:
                self.stats.released += await self.store.release(_by_owner(waiting))
            except Exception as exc:
                _log_db_error(
                    exc, "worker %s: releasing %d job(s) failed; they return when their lease expires",
                    self.worker_id, len(waiting),
                )  # fmt: skip
            for job in waiting:
                self._forget(job.id, job.lease_owner)
        if any(not r.done() for r in runners):

            async def finished() -> None:
                await asyncio.gather(*runners, return_exceptions=True)

            async def forced() -> None:
                await self._force.wait()

            everyone, force = asyncio.create_task(finished()), asyncio.create_task(forced())
            await asyncio.wait({everyone, force}, timeout=self.grace_seconds, return_when=asyncio.FIRST_COMPLETED)
            force.cancel()
            still_running = [r for r in runners if not r.done()]
            if still_running:
                log.warning(
                    "worker %s: %d job(s) did not finish within the grace period; cancelling",
                    self.worker_id,
                    len(still_running),
                )
                for runner in still_running:
                    runner.cancel()
            await asyncio.gather(everyone, return_exceptions=True)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if not await self._flush():
            log.warning(
                "worker %s: could not record some outcomes; those jobs return when their lease expires",
                self.worker_id,
            )


def _log_db_error(exc: Exception, message: str, *args: object) -> None:
    """An expected outage (DatabaseUnavailable) as one warning line; anything else with its traceback."""
    if isinstance(exc, DatabaseUnavailable):
        log.warning(message + " (%s)", *args, exc.message)
    else:
        log.error(message, *args, exc_info=exc)


def _by_owner(jobs: Iterable[ClaimedJob]) -> dict[str, list[int]]:
    """Job ids grouped by the claim (lease token) that holds them."""
    held: dict[str, list[int]] = defaultdict(list)
    for job in jobs:
        held[job.lease_owner].append(job.id)
    return dict(held)
