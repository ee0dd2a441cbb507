"""Webhook delivery, the way Meta does it: signed POSTs, batched, concurrent, retried with backoff.

Events (statuses, inbound messages, template updates) are scheduled with a delay. A background task moves
due events to a per-URL batch, and POSTs a batch when it holds ``batch_size`` events or its oldest event has
waited ``flush_interval``. Each body is Meta's ASCII-escaped JSON (:func:`webhook_body`, the bytes of
``meta_json_dumps``) signed with the app secret in ``X-Hub-Signature-256``. A non-2xx answer or a network
error is retried with exponential backoff up to ``max_attempts``, then the batch is dropped and counted. One
aiohttp session serves every POST.

Faults act here too: latency is added when an event is scheduled; dropped events are never posted;
duplicated ones are posted again in a later batch.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from aimstors.core.security import webhook_signature
from aimstors.core.security.webhook_signature import SIGNATURE_HEADER, sign
from aimstors.sandbox.config import CallbackConfig
from aimstors.sandbox.faults import Faults
from aimstors.sandbox.payloads import Event, envelope
from aimstors.sandbox.state import Clock

__all__ = ["Dispatcher", "Verification", "WebhookStats", "verify_webhook", "webhook_body"]

log = logging.getLogger(__name__)
DROPPED_KEPT = 1_000

USER_AGENT = "facebookexternalua"


def webhook_body(payload: Any) -> bytes:
    """The bytes Meta would send: compact ASCII-escaped JSON (``webhook_signature.meta_json_dumps``)."""
    return webhook_signature.meta_json_dumps(payload)


@dataclass(slots=True)
class WebhookStats:
    scheduled: int = 0
    posted_batches: int = 0
    posted_items: int = 0
    failed_attempts: int = 0
    retries: int = 0
    dropped_items: int = 0  # given up after max_attempts
    fault_dropped: int = 0
    fault_duplicated: int = 0
    # what the drop fault threw away (the last DROPPED_KEPT), so a test can tell a lost callback from a bug
    dropped: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=DROPPED_KEPT))
    no_destination: int = 0  # no webhook URL, or the app is not subscribed to the WABA
    in_flight_items: int = 0
    last_error: str | None = None

    def to_json(self, pending: int) -> dict[str, Any]:
        return {
            "pending": pending,
            "in_flight": self.in_flight_items,
            "scheduled": self.scheduled,
            "posted_batches": self.posted_batches,
            "posted_items": self.posted_items,
            "failed_attempts": self.failed_attempts,
            "retries": self.retries,
            "dropped_items": self.dropped_items,
            "fault_dropped": self.fault_dropped,
            "fault_duplicated": self.fault_duplicated,
            "dropped": list(self.dropped),
            "no_destination": self.no_destination,
            "last_error": self.last_error,
        }


@dataclass(slots=True, order=True)
class _Scheduled:
    due: float
    seq: int
    make: Callable[[int], Event] | None = field(compare=False)  # builds the event when it happens
    event: Event | None = field(compare=False, default=None)  # a duplicate, already built


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    status: int | None
    detail: str


class Dispatcher:
    """Schedules and delivers webhook events. Create in the server's loop; ``start``/``stop`` with the app."""

    def __init__(
        self,
        config: CallbackConfig,
        app_secret: str,
        clock: Clock,
        faults: Faults,
        destination: Callable[[str], str | None],
    ) -> None:
        self.config = config
        self.app_secret = app_secret
        self.clock = clock
        self.faults = faults
        self.destination = destination
        self.stats = WebhookStats()
        self._heap: list[_Scheduled] = []
        self._seq = itertools.count()
        self._ready: dict[str, list[Event]] = {}
        self._ready_since: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._semaphore = asyncio.Semaphore(config.concurrency)

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.config.concurrency * 2)
        self._session = aiohttp.ClientSession(connector=connector)
        self._runner = asyncio.create_task(self._run(), name="sandbox-webhooks")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        """Forget pending events and abandon deliveries in flight (their counters go with the old stats)."""
        self._heap.clear()
        self._ready.clear()
        self._ready_since.clear()
        for task in self._tasks:
            task.cancel()
        self.stats = WebhookStats()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the webhook dispatcher is not started")
        return self._session

    # -- scheduling ------------------------------------------------------------------------------------------

    def schedule(self, make: Callable[[int], Event], delay: float) -> None:
        """Have ``make(unix_seconds)`` happen after ``delay`` seconds (plus any latency fault) and post it."""
        due = asyncio.get_running_loop().time() + delay + self.faults.latency()
        heapq.heappush(self._heap, _Scheduled(due, next(self._seq), make))
        self.stats.scheduled += 1

    @property
    def pending(self) -> int:
        return len(self._heap) + sum(len(events) for events in self._ready.values())

    def idle(self) -> bool:
        return self.pending == 0 and self.stats.in_flight_items == 0

    async def _run(self) -> None:
        tick = max(0.002, min(self.config.flush_interval, 0.01))
        while True:
            await asyncio.sleep(tick)
            try:
                self._pump()
            except Exception:  # a bug here must not stop all webhooks; keep the loop alive
                log.exception("webhook dispatcher step failed")

    def _record_drop(self, event: Event) -> None:
        stats = self.stats
        stats.fault_dropped += 1
        item = event.item
        if event.kind == "status":
            summary = {"kind": "status", "id": item.get("id"), "status": item.get("status"),
                       "recipient_id": item.get("recipient_id")}  # fmt: skip
        elif event.kind == "message":
            summary = {"kind": "message", "id": item.get("message", {}).get("id")}
        else:
            summary = {"kind": event.kind}
        stats.dropped.append(summary)

    def _pump(self) -> None:
        now = asyncio.get_running_loop().time()
        wall = int(self.clock.now())
        heap = self._heap
        while heap and heap[0].due <= now:
            scheduled = heapq.heappop(heap)
            if scheduled.event is not None:
                self._enqueue(scheduled.event, now)
                continue
            assert scheduled.make is not None
            event = scheduled.make(wall)
            if self.faults.drop():
                self._record_drop(event)
                continue
            if self.faults.duplicate():
                self.stats.fault_duplicated += 1
                later = now + max(self.config.flush_interval * 2, 0.02)
                heapq.heappush(heap, _Scheduled(later, next(self._seq), None, event))
            self._enqueue(event, now)
        size = self.config.batch_size
        for url, events in self._ready.items():
            while len(events) >= size:
                self._post(url, events[:size])
                del events[:size]
                self._ready_since[url] = now
            if events and now - self._ready_since[url] >= self.config.flush_interval:
                self._post(url, events[:])
                events.clear()

    def _enqueue(self, event: Event, now: float) -> None:
        url = self.destination(event.waba_id)
        if url is None:
            self.stats.no_destination += 1
            return
        events = self._ready.get(url)
        if events is None:
            events = self._ready[url] = []
        if not events:
            self._ready_since[url] = now
        events.append(event)

    # -- delivery --------------------------------------------------------------------------------------------

    def _post(self, url: str, events: list[Event]) -> None:
        stats = self.stats  # a reset replaces self.stats; this delivery keeps counting on the old one
        stats.in_flight_items += len(events)
        task = asyncio.create_task(self._deliver(url, events, stats))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, events: list[Event], stats: WebhookStats) -> None:
        body = webhook_body(envelope(events, int(self.clock.now())))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.app_secret),
            "User-Agent": USER_AGENT,
        }
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        delay = self.config.retry_initial
        try:
            for attempt in range(1, self.config.max_attempts + 1):
                async with self._semaphore:
                    try:
                        async with self.session.post(url, data=body, headers=headers, timeout=timeout) as response:
                            await response.read()
                            if 200 <= response.status < 300:
                                stats.posted_batches += 1
                                stats.posted_items += len(events)
                                return
                            stats.last_error = f"HTTP {response.status}"
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        stats.last_error = type(exc).__name__
                stats.failed_attempts += 1
                if attempt < self.config.max_attempts:
                    stats.retries += 1
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.config.retry_max)
            stats.dropped_items += len(events)
            log.warning(
                "webhook batch of %d events dropped after %d attempts (%s)",
                len(events),
                self.config.max_attempts,
                stats.last_error,
            )
        finally:
            stats.in_flight_items -= len(events)

    async def verify(self, url: str, verify_token: str) -> Verification:
        return await verify_webhook(self.session, url, verify_token)


async def verify_webhook(session: aiohttp.ClientSession, url: str, verify_token: str) -> Verification:
    """Meta's verification handshake: ``GET url?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T``; the
    endpoint passes when it answers 200 with exactly the challenge."""
    challenge = str(secrets.randbelow(2**31))
    query = urlencode({"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token})
    target = f"{url}{'&' if '?' in url else '?'}{query}"
    try:
        async with session.get(target, timeout=aiohttp.ClientTimeout(total=10)) as response:
            text = await response.text()
            if response.status != 200:
                return Verification(False, response.status, f"the endpoint answered HTTP {response.status}")
            if text.strip() != challenge:
                return Verification(False, response.status, "the endpoint did not echo hub.challenge")
            return Verification(True, response.status, "verified")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Verification(False, None, f"the endpoint could not be reached ({type(exc).__name__})")
