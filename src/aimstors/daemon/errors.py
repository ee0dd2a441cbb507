"""One JSON error envelope for the whole API: ``{"error": {"code", "message", "hint"?}}``."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from aimstors.core.errors import AimstorsError

__all__ = ["EXCEPTION_HANDLERS", "error_response"]


def error_response(status: int, code: str, message: str, hint: str | None = None, **extra: Any) -> Response[Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if hint:
        body["hint"] = hint
    body.update(extra)
    return Response({"error": body}, status_code=status, media_type=MediaType.JSON)


def _domain(_request: Request[Any, Any, Any], exc: AimstorsError) -> Response[Any]:
    return error_response(exc.http_status, exc.code, exc.message, exc.hint)


def _validation(_request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    details = exc.extra if isinstance(exc.extra, list) else None
    return error_response(400, "invalid_request", exc.detail or "invalid request", details=details or [])


def _http(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    codes = {401: "authentication_failed", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), exc.detail)


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    AimstorsError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
}
