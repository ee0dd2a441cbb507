"""One JSON error envelope for the whole API: ``{"error": {"code", "message", "hint"?}}``."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

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


def _describe(detail: Any) -> str | None:
    """One validation problem in words: where (body, field or parameter) and what."""
    if not isinstance(detail, dict) or not detail.get("message"):
        return None
    key, source = detail.get("key"), detail.get("source")
    source = getattr(source, "value", source)  # an enum for query, path and header parameters
    if source == "body":
        where = "request body" if key in (None, "data") else f"body field `{key}`"
    else:
        where = f"{source or 'request'} parameter `{key}`"
    return f"{where}: {detail['message']}"


def _validation(_request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    # The message names what was wrong (Litestar's own names only the route, query string included).
    details = exc.extra if isinstance(exc.extra, list) else []
    problems = [p for p in (_describe(d) for d in details) if p]
    message = "invalid request: " + "; ".join(problems) if problems else "invalid request"
    return error_response(400, "invalid_request", message, details=details)


def _http(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    codes = {
        400: "invalid_request",
        401: "authentication_failed",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
    }
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), exc.detail)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AimstorsError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
}
