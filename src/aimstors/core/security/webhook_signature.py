"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``.

Verify over the exact bytes received, before any parsing. Meta signs its own serialisation of the payload,
which escapes every non-ASCII character as ``\\uXXXX`` (lowercase hex), so decoding the JSON and encoding it
again gives other bytes and a signature that never matches.

:func:`meta_json_dumps` produces that serialisation, for the sandbox (which signs webhooks the way Meta does)
and for tests. It also escapes ``/`` as ``\\/``, as Facebook's JSON encoder does in URLs; the reference notes
confirm only the ``\\uXXXX`` escaping, and nothing depends on the slashes: verification uses the bytes that
arrive.

Errors (both :class:`AuthenticationFailed`)::

    SignatureMissing   no header, or an empty one     -> 401
    SignatureInvalid   malformed, or does not match   -> 403
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from aimstors.core.errors import AuthenticationFailed, ConfigError

__all__ = [
    "SIGNATURE_HEADER",
    "SignatureInvalid",
    "SignatureMissing",
    "meta_escape_json",
    "meta_json_dumps",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEADER = re.compile(r"sha256=([0-9a-fA-F]{64})")


class SignatureMissing(AuthenticationFailed):
    """The request carries no ``X-Hub-Signature-256``: not from Meta, or the app secret is not set there."""

    code = "signature_missing"
    http_status = 401


class SignatureInvalid(AuthenticationFailed):
    """The signature is malformed or does not match the body under our app secret."""

    code = "signature_invalid"
    http_status = 403


def _mac(body: bytes, secret: str) -> str:
    if not secret:
        # An empty key would make every signature forgeable; refuse rather than verify against it.
        raise ConfigError("meta_app_secret is not set: webhook signatures cannot be checked")
    return hmac.digest(secret.encode("utf-8"), body, "sha256").hex()  # OpenSSL's one-shot HMAC


def sign(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body`` (``sha256=`` + lowercase hex)."""
    return _PREFIX + _mac(body, secret)


def verify(body: bytes, header_value: str | None, secret: str) -> None:
    """Return if ``header_value`` signs exactly ``body`` under ``secret``; compares in constant time.

    Raises :class:`SignatureMissing` for an absent or empty header, :class:`SignatureInvalid` for a malformed
    or wrong one, and :class:`ConfigError` when ``secret`` is empty.
    """
    expected = _mac(body, secret)
    if header_value is None or not header_value.strip():
        raise SignatureMissing(f"webhook request has no {SIGNATURE_HEADER} header")
    match = _HEADER.fullmatch(header_value.strip())
    if match is None:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} is malformed (expected sha256=<64 hex digits>)")
    if not hmac.compare_digest(match.group(1).lower(), expected):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the request body")


def meta_escape_json(text: str) -> str:
    """``text`` (a JSON document) escaped the way Meta serialises webhooks: pure ASCII, ``\\uXXXX`` in
    lowercase hex for every non-ASCII character and DEL (surrogate pairs above U+FFFF), ``/`` written as
    ``\\/``.

    Existing escape sequences are kept as they are, so applying it twice changes nothing. ``ValueError`` when
    ``text`` cannot be JSON (a backslash before a non-ASCII character).
    """
    out: list[str] = []
    escaped = False  # the previous character was an unescaped backslash
    for char in text:
        if escaped:
            if not char.isascii():
                raise ValueError("not JSON: a backslash before a non-ASCII character")
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "/":
            out.append("\\/")
        elif char < "\x7f":
            out.append(char)
        else:  # non-ASCII, and DEL as Python's json does
            out.append(_u_escape(char))
    return "".join(out)


def meta_json_dumps(obj: Any) -> bytes:
    """``obj`` as compact JSON bytes escaped like Meta's webhook bodies (see :func:`meta_escape_json`)."""
    # json.dumps(ensure_ascii=True) already writes lowercase \uXXXX (with surrogate pairs above U+FFFF), so only
    # the slash is left to escape: the same bytes as meta_escape_json, about 8x faster on large batches.
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def _u_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
