"""Tolerant readers for webhook JSON: a missing or oddly typed field gives ``None``, never an exception.

Meta's payloads vary by version and sometimes by example (ids as numbers, timestamps as strings), and a
webhook that cannot be parsed is a webhook lost, so every field is read through these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["flag", "integer", "items", "mapping", "number", "text"]

_EMPTY: Mapping[str, Any] = {}


def text(data: Mapping[str, Any], key: str) -> str | None:
    """``data[key]`` as a string; numbers become their decimal text (some examples send ids as integers)."""
    value = data.get(key)
    if type(value) is str:  # the common case first: ~18 of these an event (parse_event 25.6 → 23.6 µs)
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return None


def integer(data: Mapping[str, Any], key: str) -> int | None:
    """``data[key]`` as an int; accepts Meta's string timestamps (``"1749416383"``)."""
    value = data.get(key)
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def flag(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``data[key]`` if it is an object, else an empty mapping."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else _EMPTY


def items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The objects of list ``data[key]`` (non-objects skipped); empty when absent."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]
