"""What every route shares: the caller's token, JSON bodies, and responses with Meta's headers."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Request, Response
from litestar.types import Receive, Scope, Send

from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.ids import fbtrace_id, request_id

__all__ = [
    "ControlError",
    "bearer",
    "graph_error_parts",
    "graph_headers",
    "graph_response",
    "json_body",
    "json_response",
    "query",
    "raw_bearer",
    "read_body",
    "send_json",
    "unknown_path",
]

JSON = "application/json"
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_APP_USAGE = '{"call_count":0,"total_cputime":0,"total_time":0}'


class ControlError(Exception):
    """A bad request to the sandbox's own control API (answered ``{"error": {"message"}}``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def bearer(request: Request[Any, Any, Any]) -> str | None:
    """The Graph access token: ``Authorization: Bearer`` or the ``access_token`` query parameter."""
    header = request.headers.get("authorization")
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query_params.get("access_token")


def query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in request.query_params.items()}


async def json_body(request: Request[Any, Any, Any], *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return None
        raise GraphError(100, "The request body is empty; a JSON object was expected.")
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError:
        raise GraphError(100, "The request body is not valid JSON.") from None


@lru_cache(maxsize=256)
def _usage(waba_id: str) -> str:
    return _encoder.encode(
        {
            waba_id: [
                {
                    "type": "whatsapp",
                    "call_count": 1,
                    "total_cputime": 1,
                    "total_time": 1,
                    "estimated_time_to_regain_access": 0,
                }
            ]
        }
    ).decode()


def graph_headers(version: str | None, waba_id: str | None = None) -> dict[str, str]:
    """The headers Meta's Graph responses carry (per the spec's ``components.headers``)."""
    headers = {
        "x-fb-trace-id": fbtrace_id(),
        "x-fb-request-id": request_id(),
        "x-fb-rev": "1023982381",
        "facebook-api-version": version or "v23.0",
        "x-app-usage": _APP_USAGE,
        "Cache-Control": "private, no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
        "Access-Control-Allow-Origin": "*",
    }
    if waba_id:
        headers["x-business-use-case-usage"] = _usage(waba_id)
    return headers


def raw_bearer(scope: Scope) -> str | None:
    """:func:`bearer` for a raw ASGI scope."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip().decode("latin-1") or None
    query_string: bytes = scope.get("query_string", b"")
    if b"access_token=" in query_string:
        return parse_qs(query_string.decode("latin-1")).get("access_token", [None])[0]
    return None


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: Any = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(send: Send, body: Any, status: int, headers: dict[str, str]) -> None:
    """A JSON response on a raw ASGI ``send``."""
    content = _encoder.encode(body)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    raw.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
    start: Any = {"type": "http.response.start", "status": status, "headers": raw}
    await send(start)
    await send({"type": "http.response.body", "body": content, "more_body": False})


def unknown_path(method: str, path: str) -> GraphError:
    return GraphError(
        100,
        "",
        message=f"Unsupported {method.lower()} request. Unknown path components: {path}",
        error_type="GraphMethodException",
    )


def graph_error_parts(
    exc: GraphError, version: str | None, overrides: dict[int, int]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """HTTP status, Meta's envelope and headers for a Graph error (one mapping for both response paths)."""
    body = exc.envelope()
    headers = graph_headers(version)
    if exc.code == 190:
        headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{body["error"]["message"]}"'
    return exc.http_status(overrides), body, headers


def graph_response(body: Any, version: str | None, waba_id: str | None = None, status: int = 200) -> Response[bytes]:
    return Response(_encoder.encode(body), status_code=status, media_type=JSON, headers=graph_headers(version, waba_id))


def json_response(body: Any, status: int = 200) -> Response[bytes]:
    return Response(_encoder.encode(body), status_code=status, media_type=JSON)
