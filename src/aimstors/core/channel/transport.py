"""The HTTP transport under the Cloud API client.

At Meta's 1,000 messages/s and ~100 ms latency about 100 sends are in flight at once, so the transport keeps
one :class:`aiohttp.ClientSession` whose connector holds many keep-alive connections (measured here: aiohttp
~13,000 req/s at 64 in flight, httpx's async pool ~780). Every Graph call, frequent or not, goes through the
same :class:`Transport` so there is one place for timeouts, connection reuse and failure classification.

Failures are classified by what is known about the request:

- no connection could be made (refused, DNS, connect timeout) → :class:`CloudApiUnreachable`: nothing was sent;
- anything later (read timeout, total timeout, reset, server closed the connection) →
  :class:`SendOutcomeUnknown`: Meta may have acted on it.

Tests and other backends implement :class:`Transport` (one ``request`` coroutine and ``close``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from aimstors.core.channel.errors import CloudApiUnreachable, SendOutcomeUnknown

__all__ = ["AiohttpTransport", "HttpResponse", "MultipartField", "Transport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete HTTP answer: status, headers (lower-cased names) and the raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class MultipartField:
    """One part of a ``multipart/form-data`` body; ``filename``/``content_type`` make it a file part."""

    name: str
    value: str | bytes
    filename: str | None = None
    content_type: str | None = None


class Transport(Protocol):
    """Sends one HTTP request and returns the whole answer, or raises :class:`CloudApiUnreachable` /
    :class:`SendOutcomeUnknown`. It never raises for an HTTP error status: the caller reads ``status``.
    ``request_timeout`` (seconds) overrides the transport's default deadline for this request."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        multipart: Sequence[MultipartField] | None = None,
        request_timeout: float | None = None,
    ) -> HttpResponse: ...

    async def close(self) -> None: ...


@dataclass
class AiohttpTransport:
    """:class:`Transport` on one aiohttp session, created on first use inside the running event loop.

    ``max_connections`` bounds concurrent connections (requests beyond it wait for a free one, they are not
    refused); ``timeout`` is the default whole-request deadline in seconds; ``connect_timeout`` bounds the
    connection attempt alone, so a dead host is told apart from a slow answer.
    """

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_connections: int = 256
    keepalive_timeout: float = 60.0
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                limit_per_host=self.max_connections,
                keepalive_timeout=self.keepalive_timeout,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.connect_timeout),
                raise_for_status=False,
                # The Graph API sets no cookie we need, and one client serves many tenants: keep none (it also
                # spares a cookie-jar lookup and update on every request).
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        multipart: Sequence[MultipartField] | None = None,
        request_timeout: float | None = None,
    ) -> HttpResponse:
        session = self._get_session()
        data: bytes | aiohttp.FormData | None = body
        if multipart is not None:
            data = _form_data(multipart)
        options: dict[str, Any] = {}
        if request_timeout is not None:
            options["timeout"] = aiohttp.ClientTimeout(
                total=request_timeout, sock_connect=min(request_timeout, self.connect_timeout)
            )
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                params=params or None,
                data=data,
                allow_redirects=False,
                **options,
            ) as response:
                payload = await response.read()
                return HttpResponse(
                    status=response.status,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=payload,
                )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            log.debug("cloud api: cannot connect for %s %s: %s", method, _path(url), type(exc).__name__)
            raise CloudApiUnreachable(
                f"cannot connect to the WhatsApp Cloud API ({type(exc).__name__}); nothing was sent",
                hint="check meta_graph_url and the network; repeating the request is safe",
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.debug("cloud api: no answer for %s %s: %s", method, _path(url), type(exc).__name__)
            raise SendOutcomeUnknown(
                f"no answer from the WhatsApp Cloud API ({type(exc).__name__}); "
                "the request may or may not have been accepted",
                hint="do not resend blindly: its status webhook (biz_opaque_callback_data) settles it",
            ) from exc

    async def close(self) -> None:
        """Close the session and its pooled connections; the transport can be used again afterwards."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _form_data(fields: Sequence[MultipartField]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for part in fields:
        if part.filename is not None or part.content_type is not None:
            form.add_field(part.name, part.value, filename=part.filename, content_type=part.content_type)
        else:
            form.add_field(part.name, part.value)
    return form


def _path(url: str) -> str:
    """The URL without its query string, which may carry secrets (``client_secret``, ``code``)."""
    return url.split("?", 1)[0]
