"""API session tokens: JWTs signed with HS256 under the ``jwt_secret`` setting.

Claims: ``sub`` (the user id, as a string), ``tenant_id`` and ``role`` (the membership the session runs
under), ``tv`` (the user's ``token_version`` when the token was issued), ``iat``, ``exp`` and a random
``jti``.

A signature and an expiry are not enough to end sessions early, so after :func:`verify_token` the caller loads
the user and calls :func:`check_token_version` with the user's current ``token_version``: bumping that column
(on logout-everywhere, password change, role change, deactivation) revokes every token issued before.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import jwt

from aimstors.core.errors import AuthenticationFailed, ConfigError
from aimstors.core.security.permissions import Role

__all__ = [
    "ALGORITHM",
    "MIN_SECRET_BYTES",
    "TokenClaims",
    "check_token_version",
    "generate_token_secret",
    "issue_token",
    "verify_token",
]

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
CLOCK_SKEW_SECONDS = 60  # tolerated for `iat` between processes; never for `exp`
_REQUIRED = ["sub", "tenant_id", "role", "tv", "iat", "exp", "jti"]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """The verified content of a session token. Times are timezone-aware UTC."""

    user_id: int
    tenant_id: int
    role: Role
    token_version: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    jti: str


def generate_token_secret() -> str:
    """A fresh random value for the ``jwt_secret`` setting (64 url-safe characters, 48 random bytes)."""
    return secrets.token_urlsafe(48)


def issue_token(
    secret: str,
    *,
    user_id: int,
    tenant_id: int,
    role: Role | str,
    token_version: int,
    ttl_seconds: int,
    now: dt.datetime | None = None,
) -> str:
    """A signed session token valid for ``ttl_seconds`` from ``now`` (default: the current time).

    Raises :class:`ConfigError` when ``secret`` is shorter than 32 bytes, ``ValueError`` for an unknown
    role or a non-positive lifetime.
    """
    _check_secret(secret)
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued = _epoch(now)
    claims = {
        "sub": str(user_id),
        "tenant_id": tenant_id,
        "role": Role(role).value,
        "tv": token_version,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, *, now: dt.datetime | None = None) -> TokenClaims:
    """The claims of ``token`` once its signature, shape and expiry check out at ``now``.

    Raises :class:`AuthenticationFailed` saying which check failed (malformed, bad signature, expired, ...).
    The token version is *not* checked here: see :func:`check_token_version`.
    """
    _check_secret(secret)
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # Time checks are done below against `now`, so tests and callers can pin the clock.
            options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise AuthenticationFailed("token signature is invalid") from None
    except jwt.InvalidAlgorithmError:
        raise AuthenticationFailed(f"token is not signed with {ALGORITHM}") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationFailed(f"token lacks the {exc.claim!r} claim") from None
    except jwt.DecodeError:
        raise AuthenticationFailed("token is malformed") from None
    except jwt.InvalidTokenError:
        raise AuthenticationFailed("token is invalid") from None
    claims = _claims(payload)
    current = _epoch(now)
    if current >= int(claims.expires_at.timestamp()):
        raise AuthenticationFailed("token expired", hint="log in again")
    if int(claims.issued_at.timestamp()) > current + CLOCK_SKEW_SECONDS:
        raise AuthenticationFailed("token is not valid yet (issued in the future)")
    return claims


def check_token_version(claims: TokenClaims, current_version: int) -> None:
    """Raise ``AuthenticationFailed("token revoked")`` unless the token carries the user's current version."""
    if claims.token_version != current_version:
        raise AuthenticationFailed("token revoked", hint="log in again")


def _check_secret(secret: str) -> None:
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"jwt_secret must be at least {MIN_SECRET_BYTES} bytes" + ("" if secret else " (it is not set)"),
            hint="run `aimstors init`, or set AIMSTORS_JWT_SECRET to a long random value",
        )


def _epoch(now: dt.datetime | None) -> int:
    if now is None:
        now = dt.datetime.now(dt.UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def _int_claim(payload: dict[str, Any], name: str) -> int:
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise AuthenticationFailed(f"token claim {name!r} is not an integer")
    return value


def _claims(payload: dict[str, Any]) -> TokenClaims:
    sub, role, jti = payload["sub"], payload["role"], payload["jti"]
    if not isinstance(sub, str) or not sub.isascii() or not sub.isdigit():
        raise AuthenticationFailed("token claim 'sub' is not a user id")
    if role not in Role.__members__.values():
        raise AuthenticationFailed("token claim 'role' is not a known role")
    if not isinstance(jti, str) or not jti:
        raise AuthenticationFailed("token claim 'jti' is not a string")
    return TokenClaims(
        user_id=int(sub),
        tenant_id=_int_claim(payload, "tenant_id"),
        role=Role(role),
        token_version=_int_claim(payload, "tv"),
        issued_at=dt.datetime.fromtimestamp(_int_claim(payload, "iat"), dt.UTC),
        expires_at=dt.datetime.fromtimestamp(_int_claim(payload, "exp"), dt.UTC),
        jti=jti,
    )
