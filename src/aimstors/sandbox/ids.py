"""Identifiers shaped like Meta's: ``wamid.<base64>``, numeric media/template ids, fbtrace ids."""

from __future__ import annotations

import base64
import itertools
import os
import secrets

__all__ = ["conversation_id", "fbtrace_id", "numeric_id", "request_id", "wamid"]

_counter = itertools.count(int.from_bytes(os.urandom(4), "big"))


def wamid(wa_id: str) -> str:
    """A message id like Meta's: base64 of a small binary record holding the user's number and a unique part."""
    digits = wa_id.encode("ascii")[:32]
    unique = f"{next(_counter) & 0xFFFFFFFFFF:010X}{secrets.token_hex(4).upper()}".encode("ascii")
    record = b"\x1c\x18" + bytes([len(digits)]) + digits + b"\x15\x02\x00\x11\x18\x12" + unique + b"\x00"
    return "wamid." + base64.b64encode(record).decode("ascii")


def numeric_id() -> str:
    """A 16-digit numeric id (media, templates, businesses)."""
    return str(1_000_000_000_000_000 + secrets.randbelow(8_999_999_999_999_999))


def fbtrace_id() -> str:
    """A value like ``Az8or2yhqkZfEZ-_4Qn_Bam`` for ``error.fbtrace_id`` and the ``x-fb-trace-id`` header."""
    return "A" + secrets.token_urlsafe(16)[:22]


def request_id() -> str:
    """A value for ``x-fb-request-id``."""
    return secrets.token_urlsafe(15)


def conversation_id() -> str:
    """A 32-hex-digit conversation id as in status webhooks."""
    return secrets.token_hex(16)
