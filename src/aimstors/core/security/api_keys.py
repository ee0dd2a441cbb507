"""API keys: shown once, stored as a visible prefix and a SHA-256.

A key looks like ``ak_k3c9x2mq_<43 url-safe characters>``. Its first 11 characters (``ak_k3c9x2mq``) are
the *prefix*: stored in clear, unique, shown in listings, and used to find the key's row. The rest carries 256
random bits, so a fast hash is enough (a slow one would only slow every API call down); the row keeps
``sha256(full key)`` in hex, compared in constant time.

The prefix holds 40 random bits: a duplicate is unlikely but possible, so the caller inserts and, on a unique
violation of ``api_keys.prefix``, generates another key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from aimstors.core.errors import AuthenticationFailed

__all__ = ["KEY_PREFIX", "NewApiKey", "generate_api_key", "hash_api_key", "parse_api_key", "verify_api_key"]

KEY_PREFIX = "ak_"
_KEY = re.compile(r"(ak_[a-z2-7]{8})_[A-Za-z0-9_-]{43}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly generated key. Show ``secret`` to the user once; store ``prefix`` and ``key_hash``."""

    prefix: str
    secret: str = field(repr=False)
    key_hash: str


def hash_api_key(secret: str) -> str:
    """The SHA-256 of the full key, as 64 lowercase hex digits (what ``api_keys.key_hash`` stores)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_api_key() -> NewApiKey:
    """A new random key with its prefix and hash."""
    prefix = KEY_PREFIX + base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(prefix=prefix, secret=secret, key_hash=hash_api_key(secret))


def parse_api_key(secret: str) -> str:
    """The prefix of ``secret``, to look its row up; :class:`AuthenticationFailed` if it is not a key.

    The message never repeats the input, which may be someone's real key pasted in the wrong place.
    """
    match = _KEY.fullmatch(secret.strip())
    if match is None:
        raise AuthenticationFailed("API key is malformed", hint="keys look like ak_xxxxxxxx_... (55 characters)")
    return match.group(1)


def verify_api_key(secret: str, stored_hash: str) -> bool:
    """True when ``secret`` hashes to ``stored_hash``; constant time in the content of both."""
    expected = stored_hash.strip().lower()
    if not _HEX64.fullmatch(expected):
        return False
    return hmac.compare_digest(hash_api_key(secret.strip()), expected)
