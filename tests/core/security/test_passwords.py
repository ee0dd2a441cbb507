from __future__ import annotations

import asyncio
import threading

from argon2 import PasswordHasher

from aimstors.core.security import (
    hash_password,
    hash_password_async,
    needs_rehash,
    verify_password,
    verify_password_async,
)
from aimstors.core.security.passwords import DEFAULT_HASHER


def test_hash_is_argon2id_and_verifies(cheap_hasher: PasswordHasher) -> None:
    hashed = hash_password("correct horse", hasher=cheap_hasher)
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse", hasher=cheap_hasher)
    assert not verify_password(hashed, "correct horsE", hasher=cheap_hasher)


def test_same_password_hashes_differently(cheap_hasher: PasswordHasher) -> None:
    assert hash_password("pw", hasher=cheap_hasher) != hash_password("pw", hasher=cheap_hasher)


def test_unknown_user_and_corrupt_hash_are_refused(cheap_hasher: PasswordHasher) -> None:
    assert not verify_password(None, "anything", hasher=cheap_hasher)
    assert not verify_password("not-an-argon2-hash", "anything", hasher=cheap_hasher)


def test_needs_rehash_when_parameters_change(cheap_hasher: PasswordHasher) -> None:
    cheap = hash_password("pw", hasher=cheap_hasher)
    assert not needs_rehash(cheap, hasher=cheap_hasher)
    assert needs_rehash(cheap)  # production parameters are stronger
    assert needs_rehash("garbage", hasher=cheap_hasher)


def test_production_defaults_are_argon2_cffis() -> None:
    assert DEFAULT_HASHER.time_cost == PasswordHasher().time_cost
    assert DEFAULT_HASHER.memory_cost == PasswordHasher().memory_cost


class _RecordingHasher(PasswordHasher):
    """Remembers which threads hashed, to show the async variants leave the event loop's thread."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.threads: list[int] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.threads.append(threading.get_ident())
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.threads.append(threading.get_ident())
        return super().verify(hash, password)


async def test_async_variants_run_off_the_event_loop_thread() -> None:
    hasher = _RecordingHasher()
    loop_thread = threading.get_ident()
    hashed = await hash_password_async("pw", hasher=hasher)
    results = await asyncio.gather(
        verify_password_async(hashed, "pw", hasher=hasher),
        verify_password_async(hashed, "nope", hasher=hasher),
        verify_password_async(None, "pw", hasher=hasher),
    )
    assert results == [True, False, False]
    assert len(hasher.threads) == 4
    assert loop_thread not in hasher.threads
