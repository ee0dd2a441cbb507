"""Cursor pagination: a page of items and an opaque cursor that resumes after its last item.

Cursors are opaque to callers (base64url of a tagged key) so the ordering behind them can change without breaking
clients. A cursor carries the name of the listing it came from, so one listing's cursor is refused by another.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from aimstors.core.errors import InvalidInput

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "check_limit", "decode_id_cursor", "encode_id_cursor"]

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


def check_limit(limit: int) -> int:
    """``limit`` if it is a page size the API serves (1..MAX_LIMIT), else InvalidInput naming it."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def encode_id_cursor(listing: str, last_id: int) -> str:
    """The cursor that resumes ``listing`` after the row with id ``last_id``."""
    return base64.urlsafe_b64encode(f"{listing}:{last_id}".encode()).decode().rstrip("=")


def decode_id_cursor(listing: str, cursor: str) -> int:
    """The id a cursor of ``listing`` resumes after; InvalidInput for anything this API did not hand out."""
    failure = InvalidInput(
        "the cursor is not valid for this listing", hint="pass the next_cursor of a previous page unchanged"
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise failure from None
    tag, _, value = raw.partition(":")
    if tag != listing or not value.isdigit() or len(value) > 19:
        raise failure
    return int(value)
