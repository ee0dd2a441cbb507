from __future__ import annotations

import hashlib
import re

import pytest

from aimstors.core.errors import AuthenticationFailed
from aimstors.core.security import generate_api_key, hash_api_key, parse_api_key, verify_api_key


def test_generated_key_shape_prefix_and_hash() -> None:
    key = generate_api_key()
    assert re.fullmatch(r"ak_[a-z2-7]{8}", key.prefix)
    assert re.fullmatch(r"ak_[a-z2-7]{8}_[A-Za-z0-9_-]{43}", key.secret)
    assert len(key.secret) == 55
    assert key.secret.startswith(key.prefix + "_")
    assert key.key_hash == hashlib.sha256(key.secret.encode()).hexdigest()
    assert parse_api_key(key.secret) == key.prefix


def test_repr_never_shows_the_secret() -> None:
    key = generate_api_key()
    assert key.secret not in repr(key)
    assert key.secret.split("_", 2)[2] not in repr(key)


def test_keys_are_unique() -> None:
    keys = [generate_api_key() for _ in range(200)]
    assert len({k.secret for k in keys}) == len({k.prefix for k in keys}) == 200


def test_verify_accepts_the_key_and_nothing_else() -> None:
    key = generate_api_key()
    other = generate_api_key()
    assert verify_api_key(key.secret, key.key_hash)
    assert verify_api_key(key.secret, key.key_hash.upper())
    assert not verify_api_key(other.secret, key.key_hash)
    assert not verify_api_key(key.secret[:-1] + ("A" if key.secret[-1] != "A" else "B"), key.key_hash)
    assert not verify_api_key(key.secret, "")
    assert not verify_api_key(key.secret, "not hex at all")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "ak_",
        "sk_live_abcdefgh",
        "ak_ABCDEFGH_" + "x" * 43,  # prefix is lowercase base32
        "ak_abcdefgh_" + "x" * 42,
        "ak_abcdefgh_" + "x" * 44,
        "ak_abcdefgh-" + "x" * 43,
        "ak_abcdefgh_" + "x" * 42 + "!",
        "Bearer ak_abcdefgh_" + "x" * 43,
    ],
)
def test_garbage_is_refused_without_echoing_it(garbage: str) -> None:
    with pytest.raises(AuthenticationFailed, match="API key is malformed") as excinfo:
        parse_api_key(garbage)
    if garbage:
        assert garbage not in str(excinfo.value)


def test_surrounding_whitespace_is_tolerated() -> None:
    key = generate_api_key()
    assert parse_api_key(f"  {key.secret}\n") == key.prefix
    assert verify_api_key(f"{key.secret}\n", key.key_hash)
    assert hash_api_key(key.secret) == key.key_hash
