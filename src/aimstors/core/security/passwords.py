"""Password hashes: argon2id (argon2-cffi), PHC-string encoded so the parameters travel with each hash.

A hash costs about 120 ms of CPU with the production parameters (argon2-cffi's defaults), so code running on
the event loop must use the ``*_async`` variants, which hash in a worker thread.

Every function takes an optional ``hasher``: tests pass a cheap one, e.g.
``PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)``. Production passes nothing. After a
successful login, call :func:`needs_rehash` and store a fresh hash when it says so; that is how parameter
upgrades roll out.

Password policy (minimum length and so on) belongs to the user service, not here.
"""

from __future__ import annotations

import asyncio
import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "DEFAULT_HASHER",
    "hash_password",
    "hash_password_async",
    "needs_rehash",
    "verify_password",
    "verify_password_async",
]

logger = logging.getLogger(__name__)

DEFAULT_HASHER = PasswordHasher()
"""argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters."""


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """The argon2id PHC string of ``password`` (``$argon2id$v=19$m=...``), with a fresh random salt."""
    return (hasher or DEFAULT_HASHER).hash(password)


def verify_password(password_hash: str | None, password: str, *, hasher: PasswordHasher | None = None) -> bool:
    """True when ``password`` matches ``password_hash``.

    ``password_hash`` may be ``None`` (an unknown user, or one without a password): the function then spends
    the same time hashing and returns False, so response times do not reveal which accounts exist. A stored
    hash that is not a valid argon2 string also gives False (and a warning in the log, without the hash).
    """
    hasher = hasher or DEFAULT_HASHER
    if password_hash is None:
        hasher.hash(password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except VerificationError:
        return False
    except InvalidHashError:
        logger.warning("a stored password hash is not a valid argon2 hash; the login is refused")
        return False


def needs_rehash(password_hash: str, *, hasher: PasswordHasher | None = None) -> bool:
    """True when ``password_hash`` was made with other parameters than ``hasher``'s (rehash after login)."""
    try:
        return (hasher or DEFAULT_HASHER).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


async def hash_password_async(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """:func:`hash_password` in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(hash_password, password, hasher=hasher)


async def verify_password_async(
    password_hash: str | None, password: str, *, hasher: PasswordHasher | None = None
) -> bool:
    """:func:`verify_password` in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(verify_password, password_hash, password, hasher=hasher)
