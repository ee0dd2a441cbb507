"""Pacing one sending number: its throughput as a hard cap per sliding second, smoothed by a token bucket, with
additive increase / multiplicative decrease on 130429.

Meta caps each number's sends per second (80 by default, up to 1,000) and answers 130429 above it. The
:class:`Pacer` hands out send permits so that:

- no sliding one-second window ever holds more than ``rate`` permits (a hard cap, checked against the times of
  the permits actually handed out);
- within that, a token bucket spreads them evenly, holding at most ``burst_seconds`` worth, so the sends of a
  second are not bunched at its start — yet a dispatcher that stalled for a moment (a busy event loop, a slow
  commit) catches up instead of losing that throughput.

``rate`` starts at the number's throughput times ``headroom`` (jitter on the way to Meta squeezes sends together),
divided among the dispatcher processes sharing the number (:meth:`set_limit`). 130429 answers come in clusters
(every answer in flight at the moment carries one): a lone cluster is jitter — a stall on Meta's side that bunched
our evenly spaced sends — and is only retried; a second cluster within ``persist_seconds`` means the number is
really over its limit (another sender, a lower limit than reported), and cuts the rate by ``decrease``, again for
each further cluster. Every ``increase_every`` seconds without a cut adds ``increase`` of the ceiling back.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["HEADROOM", "Pacer"]

WINDOW = 1.0  # seconds
HEADROOM = 0.98
"""Share of a number's throughput aimed at by default: close to Meta's cap, never over it in any second."""


class Pacer:
    """Send permits for one number: ``await pacer.acquire()`` before each send."""

    def __init__(
        self,
        limit_mps: float,
        *,
        headroom: float = HEADROOM,
        burst_seconds: float = 0.02,
        decrease: float = 0.9,
        increase: float = 0.02,
        increase_every: float = 0.25,
        decrease_guard: float = 0.5,
        persist_seconds: float = 2.0,
        min_rate: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit_mps <= 0 or not 0 < headroom <= 1:
            raise ValueError("limit_mps must be positive and headroom in (0, 1]")
        self.limit_mps = float(limit_mps)
        self.headroom = headroom
        self.burst_seconds = burst_seconds
        self.decrease = decrease
        self.increase = increase
        self.increase_every = increase_every
        self.decrease_guard = decrease_guard
        self.persist_seconds = persist_seconds
        self.min_rate = min_rate
        self._clock = clock
        self.share = 1
        self.ceiling = self.limit_mps * headroom
        self.rate = self.ceiling
        self._tokens = 0.0
        self._last = clock()
        self._last_increase = self._last
        self._hold_until = 0.0
        self._guard_until = 0.0
        self._last_cluster = float("-inf")
        self._paused_until = 0.0
        self._sent: deque[float] = deque()  # times of the permits of the last second
        self._lock = asyncio.Lock()
        self.throttles = 0

    def set_limit(self, limit_mps: float, share: int = 1) -> None:
        """The number's throughput and how many dispatchers share it; the rate never exceeds the new ceiling."""
        self.limit_mps = max(1.0, float(limit_mps))
        self.share = max(1, share)
        self.ceiling = max(self.min_rate, self.limit_mps * self.headroom / self.share)
        self.rate = min(self.rate, self.ceiling)

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate * self.burst_seconds)

    @property
    def cap(self) -> int:
        """Most permits in any sliding second."""
        return max(1, int(self.rate))

    def _refill(self, now: float) -> None:
        if self.rate < self.ceiling and now >= self._hold_until and now - self._last_increase >= self.increase_every:
            steps = (now - self._last_increase) // self.increase_every
            self.rate = min(self.ceiling, self.rate + steps * self.increase * self.ceiling)
            self._last_increase = now
        elif self.rate >= self.ceiling:
            self._last_increase = now
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self) -> None:
        """Wait for a permit. Waiters are served in arrival order."""
        async with self._lock:
            sent = self._sent
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                while sent and sent[0] <= now - WINDOW:
                    sent.popleft()
                if self._tokens >= 1.0 and len(sent) < self.cap:
                    self._tokens -= 1.0
                    sent.append(now)
                    return
                wait = (1.0 - self._tokens) / self.rate if self._tokens < 1.0 else 0.0
                if len(sent) >= self.cap:
                    wait = max(wait, sent[0] + WINDOW - now)
                # Timers are not finer than ~1 ms; the refill is by elapsed time, so nothing is lost by waiting.
                await asyncio.sleep(max(wait, 0.001))

    def throttled(self) -> None:
        """Meta answered 130429: slow down if the number stays over its limit (see the module docstring)."""
        now = self._clock()
        self.throttles += 1
        if now < self._guard_until:
            return  # the same cluster
        persistent = now - self._last_cluster <= self.persist_seconds
        self._last_cluster = now
        self._guard_until = now + self.decrease_guard
        if not persistent:
            return
        self.rate = max(self.min_rate, self.rate * self.decrease)
        self._tokens = min(self._tokens, 0.0)
        self._hold_until = now + self.decrease_guard
        self._last_increase = self._hold_until

    def pause_for(self, seconds: float) -> None:
        """No permits for ``seconds`` (Meta unreachable: back off the whole number)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
