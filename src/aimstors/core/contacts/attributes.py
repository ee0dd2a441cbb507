"""Contact attributes: a JSON object of the business's own fields, changed by merge patches.

A patch sets each key it names; a key set to ``None`` (JSON null) is deleted. The result must stay small enough to
travel with every contact (limits below), so a runaway import or script cannot bloat every row it touches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aimstors.core.errors import InvalidInput

__all__ = ["MAX_ATTRIBUTES", "MAX_ATTRIBUTES_BYTES", "MAX_KEY_LENGTH", "check_attribute_name", "merge_attributes"]

MAX_KEY_LENGTH = 64
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTES_BYTES = 16 * 1024


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput("attribute names must be non-empty strings")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"attribute name {key[:20]!r}… is too long (at most {MAX_KEY_LENGTH} characters)")
    if key != key.strip() or any(not c.isprintable() for c in key):
        raise InvalidInput(f"attribute name {key!r} has surrounding spaces or control characters")
    return key


def check_attribute_name(key: object) -> str:
    """``key`` if it can name an attribute; InvalidInput saying why not."""
    return _check_key(key)


def merge_attributes(current: Mapping[str, Any], patch: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``current`` with ``patch`` applied; returns the new attributes and the sorted names that changed.

    InvalidInput names the offending key, or the limit that the result would exceed.
    """
    merged = dict(current)
    changed: list[str] = []
    for key, value in patch.items():
        _check_key(key)
        if value is None:
            if key in merged:
                del merged[key]
                changed.append(key)
        elif merged.get(key, _MISSING) != value:
            merged[key] = value
            changed.append(key)
    if len(merged) > MAX_ATTRIBUTES:
        raise InvalidInput(f"a contact can have at most {MAX_ATTRIBUTES} attributes; this would make {len(merged)}")
    try:
        size = len(json.dumps(merged, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"attribute values must be JSON values ({exc})") from None
    if size > MAX_ATTRIBUTES_BYTES:
        raise InvalidInput(f"attributes would take {size} bytes; the limit is {MAX_ATTRIBUTES_BYTES}")
    return merged, sorted(changed)


_MISSING = object()
