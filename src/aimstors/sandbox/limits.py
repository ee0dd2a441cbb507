"""Rate limits and the send histogram: per-number throughput (130429) and per-recipient pair rate (131056).

Both are sliding windows over monotonic time, counting *accepted* sends: a number may accept at most its
``throughput_mps`` messages in any one-second window, a (number, user) pair at most ``pair_rate_limit`` in any
``pair_rate_window``. The histogram counts accepted sends per number per wall-clock second, and the largest
count seen in any sliding one-second window, so a benchmark can check a client's pacing exactly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NumberUsage", "RateLimits"]


@dataclass(slots=True)
class NumberUsage:
    recent: deque[float] = field(default_factory=deque)  # monotonic times of accepts in the last second
    per_second: dict[int, int] = field(default_factory=dict)  # wall second -> accepts
    max_sliding: int = 0
    rejected: int = 0  # sends answered with 130429

    def to_json(self, limit: int) -> dict[str, Any]:
        return {
            "limit": limit,
            "accepted": sum(self.per_second.values()),
            "max_per_second": max(self.per_second.values(), default=0),
            "max_sliding_1s": self.max_sliding,
            "rejected_130429": self.rejected,
            "per_second": {str(k): v for k, v in sorted(self.per_second.items())},
        }


class RateLimits:
    def __init__(self, pair_limit: int, pair_window: float) -> None:
        self.pair_limit = pair_limit
        self.pair_window = pair_window
        self.reset()

    def reset(self) -> None:
        self.numbers: dict[str, NumberUsage] = {}
        self.pairs: dict[tuple[str, str], deque[float]] = {}

    def usage(self, phone_number_id: str) -> NumberUsage:
        usage = self.numbers.get(phone_number_id)
        if usage is None:
            usage = self.numbers[phone_number_id] = NumberUsage()
        return usage

    def throughput_full(self, phone_number_id: str, limit: int, now: float) -> bool:
        """True when the number already accepted ``limit`` sends in the second before ``now``."""
        usage = self.usage(phone_number_id)
        recent = usage.recent
        horizon = now - 1.0
        while recent and recent[0] <= horizon:
            recent.popleft()
        if len(recent) >= limit:
            usage.rejected += 1
            return True
        return False

    def pair_full(self, phone_number_id: str, wa_id: str, now: float) -> bool:
        recent = self.pairs.get((phone_number_id, wa_id))
        if recent is None:
            return False
        horizon = now - self.pair_window
        while recent and recent[0] <= horizon:
            recent.popleft()
        return len(recent) >= self.pair_limit

    def record(self, phone_number_id: str, wa_id: str, now: float, wall: float) -> None:
        usage = self.usage(phone_number_id)
        usage.recent.append(now)
        usage.max_sliding = max(usage.max_sliding, len(usage.recent))
        second = int(wall)
        usage.per_second[second] = usage.per_second.get(second, 0) + 1
        pair = self.pairs.get((phone_number_id, wa_id))
        if pair is None:
            pair = self.pairs[(phone_number_id, wa_id)] = deque()
        pair.append(now)
