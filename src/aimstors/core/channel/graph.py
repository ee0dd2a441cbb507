"""One Graph API call: URL, bearer token, JSON in and out, Meta's errors raised as typed exceptions.

Every part of the client (messages, media, templates, phone numbers, Embedded Signup) calls :meth:`GraphApi.call`,
so authentication, timeouts and error mapping live here once. The base URL and version come from settings
(``meta_graph_url``, ``meta_api_version``): the production code path and the sandbox differ only there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aimstors.core.channel.errors import InvalidResponse, MetaApiError, error_from_response
from aimstors.core.channel.transport import HttpResponse, MultipartField, Transport
from aimstors.core.errors import ConfigError

__all__ = ["GraphApi", "JsonObject"]

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]


@dataclass
class GraphApi:
    """Calls ``{graph_url}/{api_version}/{path}`` through ``transport``.

    ``access_token`` is the default token; each call may pass its own (one client can serve many WhatsApp
    accounts, each with its own token). Tokens are sent only in the ``Authorization`` header and never logged.
    """

    transport: Transport
    graph_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    access_token: str | None = None

    def url(self, path: str, *, versioned: bool = True) -> str:
        base = self.graph_url.rstrip("/")
        path = path.lstrip("/")
        return f"{base}/{self.api_version}/{path}" if versioned else f"{base}/{path}"

    def _headers(self, token: str | None) -> dict[str, str]:
        token = token or self.access_token
        if not token:
            raise ConfigError("no WhatsApp access token: pass one to the client or to the call")
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        multipart: Sequence[MultipartField] | None = None,
        request_timeout: float | None = None,
        authenticated: bool = True,
    ) -> JsonObject:
        """Make the call and return the JSON object Meta answered with.

        Raises the :class:`~aimstors.core.channel.errors.MetaApiError` subclass for Meta's error envelope,
        :class:`InvalidResponse` for a 2xx answer that is not a JSON object, and whatever the transport raises
        when there is no answer (:class:`SendOutcomeUnknown`, :class:`CloudApiUnreachable`).
        """
        # Unauthenticated calls (the Embedded Signup code exchange) carry no bearer token at all.
        headers = self._headers(token) if authenticated else {}
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        response = await self.transport.request(
            method,
            self.url(path),
            headers=headers,
            params=params,
            body=body,
            multipart=multipart,
            request_timeout=request_timeout,
        )
        return self._json(method, path, response)

    async def fetch(self, url: str, *, token: str | None = None, request_timeout: float | None = None) -> HttpResponse:
        """GET an absolute URL with the bearer token (media downloads); raises typed errors for non-2xx."""
        response = await self.transport.request(
            "GET", url, headers=self._headers(token), request_timeout=request_timeout
        )
        if not response.ok:
            raise self._error("GET", "<media url>", response)
        return response

    def _json(self, method: str, path: str, response: HttpResponse) -> JsonObject:
        if not response.ok:
            raise self._error(method, path, response)
        try:
            data = json.loads(response.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise InvalidResponse(
                f"Cloud API answered {method} {path} with HTTP {response.status} but no JSON object",
                status=response.status,
            )
        return data

    @staticmethod
    def _error(method: str, path: str, response: HttpResponse) -> MetaApiError:
        # Only ids and codes are logged: paths hold phone-number/WABA ids, never phone numbers or tokens.
        error = error_from_response(response.status, response.body)
        log.warning(
            "cloud api %s %s failed: HTTP %s code=%s subcode=%s fbtrace_id=%s",
            method,
            path,
            response.status,
            error.error_code,
            error.error_subcode,
            error.fbtrace_id,
        )
        return error
