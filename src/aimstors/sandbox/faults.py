"""Fault injection: what goes wrong, on purpose, in one run.

A :class:`FaultConfig` comes from the config or ``POST /_sandbox/faults``; :class:`Faults` holds the one in
force and makes the random decisions (seeded when the config has a seed). Fractions are 0..1 per event.

Send side: ``send_5xx`` answers a fraction of sends with Meta's 500 (131000) or 503 (2) and sends nothing;
``send_timeout`` handles a fraction of sends normally (the message goes out, its statuses follow) but holds
the response for ``timeout_seconds``, beyond a client's timeout: the lost-response case a client must report
as "outcome unknown" and settle from the status webhook's ``biz_opaque_callback_data``; ``rate_limit_burst``
answers the next N sends with 130429.
Callback side: ``callback_latency`` adds a random delay in ``[min, max]`` seconds to each status and inbound
event, ``duplicate`` sends a fraction of events twice, ``reorder`` delivers a fraction of messages' statuses
in reverse (read before delivered before sent), ``drop`` never sends a fraction of events.
"""

from __future__ import annotations

import random

import msgspec

__all__ = ["FaultConfig", "Faults"]


class FaultConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    callback_latency: tuple[float, float] = (0.0, 0.0)
    duplicate: float = 0.0
    reorder: float = 0.0
    drop: float = 0.0
    send_5xx: float = 0.0
    send_timeout: float = 0.0
    timeout_seconds: float = 30.0
    rate_limit_burst: int = 0
    gemini_rate_limit_burst: int = 0  # the next N generateContent calls get 429 RESOURCE_EXHAUSTED

    @property
    def active(self) -> bool:
        return self != FaultConfig()


class Faults:
    """The faults in force and the decisions they make. Counters of injected faults feed inspection."""

    def __init__(self, config: FaultConfig, seed: int | None = None) -> None:
        self._random = random.Random(seed)  # noqa: S311 - simulation, not security
        self.injected: dict[str, int] = {}
        self.set(config)

    def set(self, config: FaultConfig) -> None:
        self.config = config
        self.rate_limit_left = config.rate_limit_burst
        self.gemini_rate_limit_left = config.gemini_rate_limit_burst
        self._any_send = config.send_5xx > 0 or config.send_timeout > 0 or config.rate_limit_burst > 0

    def _count(self, name: str) -> None:
        self.injected[name] = self.injected.get(name, 0) + 1

    def _hit(self, fraction: float, name: str) -> bool:
        if fraction > 0 and self._random.random() < fraction:
            self._count(name)
            return True
        return False

    def send_fault(self) -> str | None:
        """``"timeout"``, ``"5xx"``, ``"rate_limit"`` or None for one send request."""
        if not self._any_send:
            return None
        if self.rate_limit_left > 0:
            self.rate_limit_left -= 1
            self._count("rate_limit")
            return "rate_limit"
        if self._hit(self.config.send_timeout, "timeout"):
            return "timeout"
        if self._hit(self.config.send_5xx, "5xx"):
            return "5xx"
        return None

    def gemini_rate_limited(self) -> bool:
        if self.gemini_rate_limit_left > 0:
            self.gemini_rate_limit_left -= 1
            self._count("gemini_rate_limit")
            return True
        return False

    def latency(self) -> float:
        low, high = self.config.callback_latency
        if high <= 0:
            return 0.0
        return self._random.uniform(low, high)

    def duplicate(self) -> bool:
        return self._hit(self.config.duplicate, "duplicate")

    def reorder(self) -> bool:
        return self._hit(self.config.reorder, "reorder")

    def drop(self) -> bool:
        return self._hit(self.config.drop, "drop")

    def choice_5xx(self) -> int:
        return 131000 if self._random.random() < 0.5 else 2
