"""What the client raises. Every error the daemon answers with arrives as an :class:`ApiError` carrying the
envelope's ``code``, ``message`` and ``hint``; a daemon that cannot be reached is a :class:`ConnectionFailed`.

    ClientError
    ├── ConnectionFailed        the daemon could not be reached (refused, timed out, stream gave up)
    └── ApiError                the daemon answered with an error envelope
        ├── InvalidRequest      400 / 422: the request was malformed or its values were wrong
        ├── AuthenticationError 401: no, a wrong, an expired or a revoked credential
        ├── Forbidden           403: the credential's role may not do this
        ├── NotFoundError       404: no such thing in the caller's reach
        └── ConflictError       409: already exists, or the state does not allow it
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ClientError",
    "ConflictError",
    "ConnectionFailed",
    "Forbidden",
    "InvalidRequest",
    "NotFoundError",
    "error_from_response",
]


class ClientError(Exception):
    """Base of everything the client raises."""


class ConnectionFailed(ClientError):
    """The daemon could not be reached, or a stream gave up reconnecting."""


class ApiError(ClientError):
    """The daemon answered with an error: ``status`` (HTTP), ``code`` and ``message`` from its envelope."""

    def __init__(
        self, status: int, code: str, message: str, *, hint: str | None = None, details: list[Any] | None = None
    ) -> None:
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details or []


class InvalidRequest(ApiError):
    """400 or 422: the request or one of its values was refused; ``message`` names what."""


class AuthenticationError(ApiError):
    """401: the credential is missing, wrong, expired or revoked."""


class Forbidden(ApiError):
    """403: the credential's role may not do this."""


class NotFoundError(ApiError):
    """404: nothing by that name or id within the caller's reach."""


class ConflictError(ApiError):
    """409: the thing already exists, or its state does not allow the change."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: Forbidden,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequest,
}


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error response: its envelope if it has one, else the status and a bit of the body."""
    cls = _BY_STATUS.get(response.status_code, ApiError)
    try:
        body = response.json()
        error = body["error"]
        return cls(
            response.status_code,
            str(error["code"]),
            str(error["message"]),
            hint=error.get("hint"),
            details=error.get("details") if isinstance(error.get("details"), list) else None,
        )
    except (ValueError, KeyError, TypeError):
        text = response.text.strip().replace("\n", " ")[:200]
        return cls(response.status_code, "http_error", f"HTTP {response.status_code}: {text or response.reason_phrase}")
