"""The HTTP connection under every client call: base URL, bearer credential, default tenant, error mapping."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from aimstors import __version__
from aimstors.client.errors import ConnectionFailed, error_from_response

__all__ = ["Connection", "segment"]

T = TypeVar("T")


class _RedactQueries(logging.Filter):
    """Drops query strings from the URLs that httpx logs at INFO for every request.

    Queries carry phone numbers and search text (``?phone=…``, ``?q=…``), which must not reach logs above DEBUG.
    The filter sits on the ``httpx`` logger, so it covers every httpx client of the process.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.levelno > logging.DEBUG and isinstance(args, tuple) and len(args) >= 2:
            url = args[1]
            if isinstance(url, httpx.URL) and url.query:
                record.args = (args[0], url.copy_with(query=None), *args[2:])
        return True


def _install_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactQueries) for f in httpx_logger.filters):
        httpx_logger.addFilter(_RedactQueries())


_install_redaction()


def segment(value: str) -> str:
    """``value`` escaped for use as one path segment."""
    return quote(value, safe="")


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


class Connection:
    """Shared by the client and its resource groups; one httpx connection pool per client."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        tenant: str | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self.tenant = tenant
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": f"aimstors-client/{__version__}"},
        )

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def tenant_params(self, tenant: str | None, **params: object) -> dict[str, str]:
        """Query parameters without the None values, plus ``tenant`` (explicit, else the client's default)."""
        chosen = tenant or self.tenant
        out = {k: _param(v) for k, v in params.items() if v is not None}
        if chosen is not None:
            out["tenant"] = chosen
        return out

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, object] | None = None
    ) -> httpx.Response:
        """Send a request; returns a 2xx response, raises ApiError for the daemon's errors, ConnectionFailed else."""
        headers = self.auth_headers()
        content = None
        if json is not None:
            content = msgspec.json.encode(json)
            headers["Content-Type"] = "application/json"
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            response = await self.http.request(method, path, content=content, params=query, headers=headers)
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"cannot reach the daemon at {self.http.base_url}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def call(
        self,
        method: str,
        path: str,
        result: type[T],
        *,
        json: Any = None,
        params: Mapping[str, object] | None = None,
    ) -> T:
        """:meth:`request`, then the body decoded as ``result``."""
        response = await self.request(method, path, json=json, params=params)
        return msgspec.json.decode(response.content, type=result)

    async def aclose(self) -> None:
        await self.http.aclose()
