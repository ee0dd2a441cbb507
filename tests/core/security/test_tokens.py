from __future__ import annotations

import datetime as dt

import jwt
import pytest

from aimstors.core.errors import AuthenticationFailed, ConfigError
from aimstors.core.security import (
    Role,
    TokenClaims,
    check_token_version,
    generate_token_secret,
    issue_token,
    verify_token,
)

SECRET = "s" * 32
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _issue(**overrides: object) -> str:
    args: dict[str, object] = {
        "user_id": 7,
        "tenant_id": 9,
        "role": Role.WORKSPACE_ADMIN,
        "token_version": 3,
        "ttl_seconds": 3600,
        "now": NOW,
    }
    args.update(overrides)
    return issue_token(SECRET, **args)  # type: ignore[arg-type]


def test_round_trip_carries_every_claim() -> None:
    claims = verify_token(SECRET, _issue(), now=NOW)
    assert claims == TokenClaims(
        user_id=7,
        tenant_id=9,
        role=Role.WORKSPACE_ADMIN,
        token_version=3,
        issued_at=NOW,
        expires_at=NOW + dt.timedelta(hours=1),
        jti=claims.jti,
    )
    raw = jwt.decode(_issue(), options={"verify_signature": False})
    assert raw["sub"] == "7" and raw["tv"] == 3 and raw["role"] == "workspace_admin"
    assert len(raw["jti"]) >= 16


def test_every_token_has_its_own_jti() -> None:
    assert verify_token(SECRET, _issue(), now=NOW).jti != verify_token(SECRET, _issue(), now=NOW).jti


def test_expiry_is_exact() -> None:
    token = _issue(ttl_seconds=60)
    verify_token(SECRET, token, now=NOW + dt.timedelta(seconds=59))
    with pytest.raises(AuthenticationFailed, match="token expired"):
        verify_token(SECRET, token, now=NOW + dt.timedelta(seconds=60))


def test_default_clock_is_now() -> None:
    fresh = issue_token(SECRET, user_id=1, tenant_id=1, role="super_admin", token_version=0, ttl_seconds=60)
    assert verify_token(SECRET, fresh).role is Role.SUPER_ADMIN
    with pytest.raises(AuthenticationFailed, match="expired"):
        verify_token(SECRET, _issue())  # issued in 2026-03 for an hour


def test_token_from_the_future_is_refused() -> None:
    with pytest.raises(AuthenticationFailed, match="not valid yet"):
        verify_token(SECRET, _issue(), now=NOW - dt.timedelta(minutes=5))


def test_bumping_token_version_revokes() -> None:
    claims = verify_token(SECRET, _issue(token_version=3), now=NOW)
    check_token_version(claims, 3)
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        check_token_version(claims, 4)


def test_wrong_secret_is_a_bad_signature() -> None:
    with pytest.raises(AuthenticationFailed, match="signature is invalid"):
        verify_token("t" * 32, _issue(), now=NOW)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..."])
def test_garbled_tokens_are_malformed(token: str) -> None:
    with pytest.raises(AuthenticationFailed, match="malformed"):
        verify_token(SECRET, token, now=NOW)


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_other_algorithms_are_refused() -> None:
    payload = jwt.decode(_issue(), options={"verify_signature": False})
    unsigned = jwt.encode(payload, None, algorithm="none")
    hs512 = jwt.encode(payload, SECRET, algorithm="HS512")
    for token in (unsigned, hs512):
        with pytest.raises(AuthenticationFailed, match="HS256"):
            verify_token(SECRET, token, now=NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tv": None}, "'tv' claim"),
        ({"tenant_id": "9"}, "'tenant_id' is not an integer"),
        ({"tv": True}, "'tv' is not an integer"),
        ({"sub": "alice"}, "'sub' is not a user id"),
        ({"role": "root"}, "'role' is not a known role"),
    ],
)
def test_well_signed_but_ill_shaped_claims_are_refused(change: dict[str, object], message: str) -> None:
    payload = jwt.decode(_issue(), options={"verify_signature": False})
    for name, value in change.items():
        if value is None:
            del payload[name]
        else:
            payload[name] = value
    with pytest.raises(AuthenticationFailed, match=message):
        verify_token(SECRET, jwt.encode(payload, SECRET, algorithm="HS256"), now=NOW)


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_short_secrets_are_a_config_error(secret: str) -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        issue_token(secret, user_id=1, tenant_id=1, role="super_admin", token_version=0, ttl_seconds=60)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        verify_token(secret, _issue(), now=NOW)


def test_generated_secret_is_long_enough_and_random() -> None:
    secret = generate_token_secret()
    assert len(secret) >= 64
    assert secret != generate_token_secret()
    verify_token(
        secret,
        issue_token(secret, user_id=1, tenant_id=1, role="super_admin", token_version=0, ttl_seconds=60, now=NOW),
        now=NOW,
    )


def test_caller_bugs_raise_value_error() -> None:
    with pytest.raises(ValueError):
        _issue(role="root")
    with pytest.raises(ValueError):
        _issue(ttl_seconds=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        _issue(now=dt.datetime(2026, 3, 1))
