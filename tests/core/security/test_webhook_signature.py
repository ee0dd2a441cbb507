from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimstors.core.errors import AuthenticationFailed, ConfigError
from aimstors.core.security import (
    SIGNATURE_HEADER,
    SignatureInvalid,
    SignatureMissing,
    meta_escape_json,
    meta_json_dumps,
    webhook_signature,
)

APP_SECRET = "0123456789abcdef0123456789abcdef"

# An inbound text message as Meta sends it, with non-ASCII text, an emoji and a URL.
INBOUND = {
    "object": "whatsapp_business_account",
    "entry": [{
        "id": "102290129340398",
        "changes": [{
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                "contacts": [{"profile": {"name": "Zoë Ångström"}, "wa_id": "16505551234"}],
                "messages": [{
                    "from": "16505551234",
                    "id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdBNjM5RjU5RDFCQkUzNTc4OAA=",
                    "timestamp": "1749416383",
                    "type": "text",
                    "text": {"body": "äöå — does it come in blue? 😀 https://example.com/p/1"},
                }],
            },
        }],
    }],
}  # fmt: skip


def test_sign_is_the_hex_hmac_of_the_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    expected = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert webhook_signature.sign(body, APP_SECRET) == f"sha256={expected}"
    assert SIGNATURE_HEADER == "X-Hub-Signature-256"


def test_right_signature_verifies() -> None:
    body = meta_json_dumps(INBOUND)
    webhook_signature.verify(body, webhook_signature.sign(body, APP_SECRET), APP_SECRET)
    upper = "sha256=" + webhook_signature.sign(body, APP_SECRET).removeprefix("sha256=").upper()
    webhook_signature.verify(body, upper, APP_SECRET)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header_is_signature_missing_401(header: str | None) -> None:
    with pytest.raises(SignatureMissing) as excinfo:
        webhook_signature.verify(b"{}", header, APP_SECRET)
    assert isinstance(excinfo.value, AuthenticationFailed)
    assert excinfo.value.http_status == 401


def test_wrong_signature_is_signature_invalid_403() -> None:
    body = meta_json_dumps(INBOUND)
    wrong = webhook_signature.sign(body, "another app's secret")
    with pytest.raises(SignatureInvalid, match="does not match") as excinfo:
        webhook_signature.verify(body, wrong, APP_SECRET)
    assert isinstance(excinfo.value, AuthenticationFailed)
    assert excinfo.value.http_status == 403
    assert APP_SECRET not in str(excinfo.value)


def test_one_changed_byte_fails() -> None:
    body = meta_json_dumps(INBOUND)
    header = webhook_signature.sign(body, APP_SECRET)
    with pytest.raises(SignatureInvalid):
        webhook_signature.verify(body.replace(b"16505551234", b"16505551235", 1), header, APP_SECRET)


@pytest.mark.parametrize(
    "header",
    ["sha1=" + "a" * 40, "sha256=" + "a" * 63, "sha256=" + "g" * 64, "a" * 64, "sha256=ä" + "a" * 63],
)
def test_malformed_header_is_signature_invalid(header: str) -> None:
    with pytest.raises(SignatureInvalid, match="malformed"):
        webhook_signature.verify(b"{}", header, APP_SECRET)


def test_empty_app_secret_is_a_config_error_not_a_pass() -> None:
    body = b"{}"
    forged = "sha256=" + hmac.new(b"", body, hashlib.sha256).hexdigest()
    with pytest.raises(ConfigError, match="meta_app_secret"):
        webhook_signature.verify(body, forged, "")


def test_meta_serialisation_escapes_non_ascii_and_slashes() -> None:
    body = meta_json_dumps(INBOUND)
    assert body.isascii()
    assert b"\\u00e4\\u00f6\\u00e5 \\u2014" in body  # lowercase hex, as Meta signs
    assert b"\\ud83d\\ude00" in body  # astral characters as surrogate pairs
    assert b"https:\\/\\/example.com\\/p\\/1" in body
    assert b'"Zo\\u00eb \\u00c5ngstr\\u00f6m"' in body
    assert b", " not in body and b": " not in body
    assert json.loads(body) == INBOUND


def test_non_ascii_body_signed_as_meta_signs_verifies_on_raw_bytes() -> None:
    raw = meta_json_dumps(INBOUND)
    header = webhook_signature.sign(raw, APP_SECRET)
    webhook_signature.verify(raw, header, APP_SECRET)


@pytest.mark.parametrize(
    "reserialise",
    [
        lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(),
        lambda obj: json.dumps(obj, separators=(",", ":")).encode(),  # ASCII, but slashes unescaped
        lambda obj: json.dumps(obj).encode(),
    ],
    ids=["utf8", "ascii-no-slash-escape", "default-json-dumps"],
)
def test_a_body_reserialised_differently_fails(reserialise: object) -> None:
    raw = meta_json_dumps(INBOUND)
    header = webhook_signature.sign(raw, APP_SECRET)
    decoded = json.loads(raw)
    again = reserialise(decoded)  # type: ignore[operator]
    assert json.loads(again) == decoded  # same document...
    with pytest.raises(SignatureInvalid):  # ...other bytes
        webhook_signature.verify(again, header, APP_SECRET)


def test_meta_escape_json_on_text() -> None:
    assert meta_escape_json('{"a":"ä/b"}') == '{"a":"\\u00e4\\/b"}'
    assert meta_escape_json('{"a":"x\\\\/y"}') == '{"a":"x\\\\\\/y"}'  # escaped backslash, then a slash
    assert meta_escape_json('{"a":"\\/"}') == '{"a":"\\/"}'  # already escaped: kept
    with pytest.raises(ValueError):
        meta_escape_json('"\\ä"')


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_meta_json_round_trips_and_escaping_is_idempotent(value: object) -> None:
    body = meta_json_dumps(value)
    assert body.isascii()
    assert json.loads(body) == value
    text = body.decode()
    assert meta_escape_json(text) == text
    assert meta_escape_json(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) == text
