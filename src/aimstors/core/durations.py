"""Durations as people type them: ``7d``, ``12h``, ``1d12h``, ``30m``, ``45s``, ``2w``.

Saved definitions (segments' "last inbound within 7d") keep the text, so they read back as written.
"""

from __future__ import annotations

import datetime as dt
import re

from aimstors.core.errors import InvalidInput

__all__ = ["format_duration", "parse_duration"]

_PART = re.compile(r"(\d+)([wdhms])")
_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_DURATION = dt.timedelta(days=36_500)


def parse_duration(text: str, *, field: str = "duration") -> dt.timedelta:
    """``text`` as a timedelta; InvalidInput naming ``field`` unless it is like ``7d``, ``12h`` or ``1d12h``."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InvalidInput(f"{field} {text!r} is not a duration", hint="e.g. 7d, 12h, 1d12h, 30m or 45s")
    seconds = sum(int(n) * _SECONDS[u] for n, u in parts)
    if not 0 < seconds <= MAX_DURATION.total_seconds():
        raise InvalidInput(f"{field} {text!r} must be more than zero and at most {MAX_DURATION.days} days")
    return dt.timedelta(seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    """The shortest text :func:`parse_duration` reads back as ``value`` (whole seconds)."""
    seconds = int(value.total_seconds())
    out = ""
    for unit in "wdhms":
        count, seconds = divmod(seconds, _SECONDS[unit])
        if count:
            out += f"{count}{unit}"
    return out or "0s"
