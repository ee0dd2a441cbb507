"""Secrets at rest: AES-256-GCM under a keyring of versioned keys.

A keyring is built from the ``secret_keys`` setting, a list of ``KEY_ID:BASE64_32_BYTES`` entries. The first
entry encrypts; every entry decrypts, so a key is rotated by putting a new one first, running
``aimstors secrets rotate`` (which calls :meth:`Keyring.reencrypt` on every stored secret), then removing the
old one.

A ciphertext is a text token, safe to store in a ``TEXT`` column and to print::

    v1.<key_id>.<base64url(nonce | ciphertext | tag), unpadded>

Each encryption is bound to a caller-given *context*, such as ``"whatsapp_accounts.access_token:42"``. The
context is authenticated (GCM associated data) but not stored, so a token copied into another row or column
does not decrypt there. Use the table, column and primary key of the row that holds the token.

Nonces are 96 random bits, which is safe for about 2**32 encryptions under one key; rotate long before that.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aimstors.core.errors import AuthenticationFailed, ConfigError

if TYPE_CHECKING:
    from aimstors.core.settings import Settings

__all__ = ["TOKEN_VERSION", "Keyring", "generate_key_entry"]

TOKEN_VERSION = "v1"  # noqa: S105 (a format version, not a password)
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

# Key ids travel inside tokens, between dots, and inside `KEY_ID:...` entries.
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_ENTRY_FORMAT = "expected KEY_ID:BASE64_32_BYTES, KEY_ID of letters, digits, '_' or '-' (at most 32)"
_ENTRY_HINT = "generate a fresh entry with `aimstors init` or keep the existing keys"


def generate_key_entry(key_id: str) -> str:
    """A new ``KEY_ID:BASE64`` keyring entry with 32 random bytes, ready for the ``secret_keys`` setting."""
    if not _KEY_ID.fullmatch(key_id):
        raise ConfigError(f"key id {key_id!r} is not valid: use letters, digits, '_' or '-' (at most 32)")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _parse_entry(index: int, entry: str) -> tuple[str, bytes]:
    # Messages name the entry by index and never echo it: the entry contains the key.
    where = f"secret_keys[{index}]"
    key_id, sep, encoded = entry.strip().partition(":")
    key_id, encoded = key_id.strip(), encoded.strip()
    if not sep or not _KEY_ID.fullmatch(key_id) or not _B64.fullmatch(encoded):
        raise ConfigError(f"{where} is malformed: {_ENTRY_FORMAT}", hint=_ENTRY_HINT)
    try:
        key = base64.b64decode(encoded.translate(str.maketrans("-_", "+/")), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where} is malformed: the key is not valid base64", hint=_ENTRY_HINT) from None
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"{where} is malformed: the key must decode to {KEY_BYTES} bytes, not {len(key)}",
            hint=_ENTRY_HINT,
        )
    return key_id, key


class Keyring:
    """Versioned AES-256-GCM keys. Build with :meth:`from_settings` or :meth:`from_entries`.

    The keys themselves are never exposed: not in ``repr``, not in error messages.
    """

    __slots__ = ("_ciphers", "_key_ids")

    def __init__(self, keys: Iterable[tuple[str, bytes]]) -> None:
        """Keys as ``(key_id, 32 raw bytes)`` pairs, the encrypting key first."""
        self._ciphers: dict[str, AESGCM] = {}
        self._key_ids: tuple[str, ...] = ()
        for index, (key_id, key) in enumerate(keys):
            if not _KEY_ID.fullmatch(key_id):
                raise ConfigError(f"secret_keys[{index}] is malformed: {_ENTRY_FORMAT}", hint=_ENTRY_HINT)
            if len(key) != KEY_BYTES:
                raise ConfigError(f"secret_keys[{index}] is malformed: the key must be {KEY_BYTES} bytes")
            if key_id in self._ciphers:
                first = self._key_ids.index(key_id)
                raise ConfigError(
                    f"secret_keys[{index}] reuses the key id of secret_keys[{first}]: key ids must be unique"
                )
            self._ciphers[key_id] = AESGCM(key)
            self._key_ids += (key_id,)
        if not self._key_ids:
            raise ConfigError(
                "no secret_keys configured: secrets cannot be encrypted",
                hint="run `aimstors init`, or set AIMSTORS_SECRET_KEYS to KEY_ID:BASE64_32_BYTES",
            )

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> Keyring:
        """Parse ``KEY_ID:BASE64_32_BYTES`` entries; :class:`ConfigError` names a bad entry's index."""
        return cls(_parse_entry(index, entry) for index, entry in enumerate(entries))

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """The keyring of ``settings.secret_keys``; :class:`ConfigError` when it is empty or malformed."""
        return cls.from_entries(settings.secret_keys)

    @property
    def primary_key_id(self) -> str:
        """The id of the key new secrets are encrypted under (the first entry)."""
        return self._key_ids[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id, the encrypting one first."""
        return self._key_ids

    def __repr__(self) -> str:
        return f"Keyring(primary={self.primary_key_id!r}, key_ids={self._key_ids!r})"

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt ``plaintext`` under the primary key, bound to ``context`` (``"table.column:row_id"``)."""
        _check_context(context)
        key_id = self.primary_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, plaintext.encode("utf-8"), _associated_data(key_id, context))
        return f"{TOKEN_VERSION}.{key_id}.{_b64url_encode(nonce + sealed)}"

    def decrypt(self, token: str, context: str) -> str:
        """The plaintext of ``token``, which must have been encrypted with the same ``context``.

        Raises :class:`AuthenticationFailed` when the token is malformed, was altered, belongs to another
        context, or was encrypted under a key id that is no longer in the keyring.
        """
        _check_context(context)
        key_id, payload = _split(token)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise AuthenticationFailed(
                f"secret was encrypted under key {key_id!r}, which is not in the keyring",
                hint="put that key back in secret_keys; remove old keys only after `aimstors secrets rotate`",
            )
        try:
            raw = _b64url_decode(payload)
        except (binascii.Error, ValueError):
            raise AuthenticationFailed("secret token is malformed") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise AuthenticationFailed("secret token is malformed")
        try:
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(key_id, context))
        except InvalidTag:
            raise AuthenticationFailed(
                "secret token failed authentication: it was altered, or belongs to another record"
            ) from None
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        """The id of the key ``token`` was encrypted under; :class:`AuthenticationFailed` if malformed."""
        return _split(token)[0]

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` was encrypted under a key other than the primary one."""
        return self.key_id_of(token) != self.primary_key_id

    def reencrypt(self, token: str, context: str) -> str:
        """``token`` re-encrypted under the primary key, or ``token`` itself when it already is."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, context), context)


def _check_context(context: str) -> None:
    # An empty context would make every token of every row interchangeable; that is a bug in the caller.
    if not context:
        raise ValueError("a secret needs a context naming where it is stored, e.g. 'table.column:row_id'")


def _associated_data(key_id: str, context: str) -> bytes:
    # The header is authenticated too, so the version and key id cannot be swapped; key ids hold no dots, so
    # the encoding is unambiguous.
    return f"{TOKEN_VERSION}.{key_id}.{context}".encode()


def _split(token: str) -> tuple[str, str]:
    version, _, rest = token.partition(".")
    key_id, _, payload = rest.partition(".")
    if version != TOKEN_VERSION:
        raise AuthenticationFailed("secret token is malformed or of an unknown version")
    if not _KEY_ID.fullmatch(key_id) or not payload:
        raise AuthenticationFailed("secret token is malformed")
    return key_id, payload
