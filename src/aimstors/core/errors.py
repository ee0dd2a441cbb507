"""The one exception hierarchy of aimstors.

Every error a user can see derives from :class:`AimstorsError`. Each interface maps it once: the CLI prints
``message`` to stderr and exits with ``exit_code``; the daemon answers with one JSON envelope carrying ``code``
and ``http_status``. Messages name the problem and never contain secrets, phone numbers or message bodies.

    AimstorsError
    ├── ConfigError            settings missing or malformed
    ├── InvalidInput           the caller's input is wrong (names the field)
    ├── NotFound               no such thing *in the caller's tenant scope*
    ├── PermissionDenied       the actor's role may not do this
    ├── Conflict               already exists / state does not allow it
    │   └── DuplicateRequest   an idempotency key was reused with different content
    ├── InsufficientFunds      a spend or transfer would overdraw an account
    ├── AuthenticationFailed   bad password, token, API key or signature
    └── DatabaseUnavailable    the database cannot be reached or is not migrated
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AimstorsError",
    "AuthenticationFailed",
    "ConfigError",
    "Conflict",
    "DatabaseUnavailable",
    "DuplicateRequest",
    "InsufficientFunds",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
]


class AimstorsError(Exception):
    """Base of every user-facing error."""

    code: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data


class InvalidInput(AimstorsError):
    code = "invalid_input"
    exit_code = 3
    http_status = 422


class NotFound(AimstorsError):
    code = "not_found"
    exit_code = 4
    http_status = 404


class PermissionDenied(AimstorsError):
    code = "permission_denied"
    exit_code = 5
    http_status = 403


class Conflict(AimstorsError):
    code = "conflict"
    exit_code = 6
    http_status = 409


class DuplicateRequest(Conflict):
    code = "duplicate_request"


class InsufficientFunds(AimstorsError):
    code = "insufficient_funds"
    exit_code = 7
    http_status = 402


class ConfigError(AimstorsError):
    code = "config_error"
    exit_code = 8
    http_status = 500


class AuthenticationFailed(AimstorsError):
    code = "authentication_failed"
    exit_code = 9
    http_status = 401


class DatabaseUnavailable(AimstorsError):
    code = "database_unavailable"
    exit_code = 10
    http_status = 503
