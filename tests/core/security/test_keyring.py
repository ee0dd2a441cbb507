from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimstors.core.errors import AuthenticationFailed, ConfigError
from aimstors.core.security import Keyring, generate_key_entry
from aimstors.core.settings import Settings


def key_entry(key_id: str, fill: int) -> str:
    """A deterministic keyring entry (32 bytes of ``fill``), so tests can name their keys."""
    return f"{key_id}:{base64.b64encode(bytes([fill]) * 32).decode()}"


ENTRY_A = key_entry("a", 0xA1)
ENTRY_B = key_entry("b", 0xB2)
CONTEXT = "whatsapp_accounts.access_token:42"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KEYRING = Keyring.from_entries([ENTRY_A])


@given(plaintext=st.text(), context=st.text(min_size=1))
def test_round_trip(plaintext: str, context: str) -> None:
    token = KEYRING.encrypt(plaintext, context)
    assert KEYRING.decrypt(token, context) == plaintext


def test_token_names_version_and_key_and_hides_plaintext() -> None:
    token = KEYRING.encrypt("EAAG-meta-access-token", CONTEXT)
    version, key_id, payload = token.split(".")
    assert (version, key_id) == ("v1", "a")
    assert "EAAG" not in token
    assert KEYRING.key_id_of(token) == "a"
    # 12-byte nonce + ciphertext + 16-byte tag
    assert len(_b64url_decode(payload)) == 12 + len("EAAG-meta-access-token") + 16


def test_same_plaintext_encrypts_differently_each_time() -> None:
    assert KEYRING.encrypt("same", CONTEXT) != KEYRING.encrypt("same", CONTEXT)


@given(data=st.data())
def test_flipping_any_byte_is_detected(data: st.DataObject) -> None:
    token = KEYRING.encrypt("secret value", CONTEXT)
    head, payload = token.rsplit(".", 1)
    raw = bytearray(_b64url_decode(payload))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(AuthenticationFailed) as excinfo:
        KEYRING.decrypt(f"{head}.{_b64url_encode(bytes(raw))}", CONTEXT)
    assert "secret value" not in str(excinfo.value)


def test_a_token_moved_to_another_row_does_not_decrypt() -> None:
    token = KEYRING.encrypt("secret value", "whatsapp_accounts.access_token:42")
    with pytest.raises(AuthenticationFailed, match="another record"):
        KEYRING.decrypt(token, "whatsapp_accounts.access_token:43")


def test_the_key_id_in_a_token_is_authenticated() -> None:
    # Same key bytes under two ids: relabelling a token must still fail.
    keyring = Keyring.from_entries([ENTRY_A, "c:" + ENTRY_A.split(":", 1)[1]])
    token = keyring.encrypt("secret value", CONTEXT)
    with pytest.raises(AuthenticationFailed):
        keyring.decrypt(token.replace("v1.a.", "v1.c.", 1), CONTEXT)


def test_rotation_new_key_first_old_key_still_decrypts() -> None:
    old = Keyring.from_entries([ENTRY_A])
    token = old.encrypt("secret value", CONTEXT)

    rotated = Keyring.from_entries([ENTRY_B, ENTRY_A])
    assert rotated.decrypt(token, CONTEXT) == "secret value"
    assert rotated.needs_rotation(token)

    fresh = rotated.reencrypt(token, CONTEXT)
    assert rotated.key_id_of(fresh) == "b"
    assert not rotated.needs_rotation(fresh)
    assert rotated.reencrypt(fresh, CONTEXT) == fresh
    assert Keyring.from_entries([ENTRY_B]).decrypt(fresh, CONTEXT) == "secret value"


def test_a_token_under_a_removed_key_names_the_key_id() -> None:
    token = Keyring.from_entries([ENTRY_A]).encrypt("secret value", CONTEXT)
    with pytest.raises(AuthenticationFailed, match="key 'a'") as excinfo:
        Keyring.from_entries([ENTRY_B]).decrypt(token, CONTEXT)
    assert "secrets rotate" in (excinfo.value.hint or "")


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "v2.a.AAAA", "v1.a.", "v1..AAAA", "v1.a.!!!!", "v1.a.AAAA", "v1.a b.AAAAAAAA"],
)
def test_garbage_tokens_fail_authentication(token: str) -> None:
    with pytest.raises(AuthenticationFailed):
        KEYRING.decrypt(token, CONTEXT)


SIXTEEN_BYTES = base64.b64encode(b"\x07" * 16).decode()


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("no-colon-here", "expected KEY_ID:BASE64_32_BYTES"),
        ("b:", "expected KEY_ID:BASE64_32_BYTES"),
        (":" + ENTRY_B.split(":", 1)[1], "expected KEY_ID:BASE64_32_BYTES"),
        ("b.1:" + ENTRY_B.split(":", 1)[1], "expected KEY_ID:BASE64_32_BYTES"),
        ("b:not*base64", "expected KEY_ID:BASE64_32_BYTES"),
        ("b:QUJD=x", "expected KEY_ID:BASE64_32_BYTES"),
        ("b:QUJDR", "not valid base64"),
        (f"b:{SIXTEEN_BYTES}", "32 bytes, not 16"),
    ],
)
def test_malformed_entries_name_the_index_never_the_key(entry: str, reason: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        Keyring.from_entries([ENTRY_A, entry])
    message = str(excinfo.value)
    assert message.startswith("secret_keys[1] is malformed")
    assert reason in message
    assert entry.partition(":")[2] not in message or not entry.partition(":")[2]
    assert ENTRY_A.split(":", 1)[1] not in message


def test_duplicate_key_ids_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"secret_keys\[1\] reuses the key id of secret_keys\[0\]"):
        Keyring.from_entries([ENTRY_A, key_entry("a", 0x11)])


def test_an_empty_keyring_is_refused_with_a_hint() -> None:
    with pytest.raises(ConfigError, match="no secret_keys") as excinfo:
        Keyring.from_settings(Settings(secret_keys=()))
    assert "aimstors init" in (excinfo.value.hint or "")


def test_from_settings_and_urlsafe_base64_are_accepted() -> None:
    urlsafe = "u:" + base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode()
    keyring = Keyring.from_settings(Settings(secret_keys=(ENTRY_B, urlsafe)))
    assert keyring.primary_key_id == "b"
    assert keyring.key_ids == ("b", "u")


def test_repr_shows_key_ids_not_keys() -> None:
    keyring = Keyring.from_entries([ENTRY_B, ENTRY_A])
    text = repr(keyring)
    assert text == "Keyring(primary='b', key_ids=('b', 'a'))"
    assert ENTRY_A.split(":", 1)[1] not in text


def test_generate_key_entry_makes_a_usable_fresh_key() -> None:
    entry = generate_key_entry("2026-01")
    assert entry.startswith("2026-01:")
    assert entry != generate_key_entry("2026-01")
    keyring = Keyring.from_entries([entry])
    assert keyring.decrypt(keyring.encrypt("x", CONTEXT), CONTEXT) == "x"


def test_generate_key_entry_refuses_an_unusable_id() -> None:
    with pytest.raises(ConfigError, match="key id"):
        generate_key_entry("has.dot")


def test_an_empty_context_is_a_bug() -> None:
    with pytest.raises(ValueError, match="context"):
        KEYRING.encrypt("x", "")
