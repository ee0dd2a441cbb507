"""How long a failed job waits before its next attempt: exponential backoff with jitter, capped."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """``delay(attempts) = min(cap, base * 2**attempts)``, spread by ±``jitter`` (a fraction) so jobs that
    failed together do not all retry in the same instant. Defaults: ~2 s, 4 s, 8 s, 16 s … up to an hour."""

    base_seconds: float = 1.0
    cap_seconds: float = 3600.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.cap_seconds < 0 or not 0 <= self.jitter < 1:
            raise ValueError("backoff needs base and cap >= 0 and a jitter fraction in [0, 1)")

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th attempt failed."""
        raw = min(self.cap_seconds, self.base_seconds * 2.0 ** min(max(attempts, 0), 60))
        # Not security-sensitive: jitter only spreads retries out.
        spread = 1.0 + self.jitter * (2.0 * random.random() - 1.0)  # noqa: S311
        return min(self.cap_seconds, raw * spread)
