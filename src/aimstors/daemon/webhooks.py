"""Meta's webhook endpoint: the verification handshake and durable ingest of deliveries.

``GET /webhooks/whatsapp``: Meta's subscription check — ``hub.mode=subscribe`` with our verify token gets its
``hub.challenge`` back as text; anything else 403.

``POST /webhooks/whatsapp``, in this order, storing nothing until the last step:

- no ``X-Hub-Signature-256`` → 401; a body over Meta's 3 MB → 400; a wrong signature (over the exact bytes
  received) → 403; a signed body that is not a JSON object → 400;
- else the raw bytes and their processing job are committed (group commit, see
  :class:`~aimstors.core.inbound.WebhookIngest`) and Meta gets 200 — ``{"status": "stored"}``, or
  ``"duplicate"`` for a delivery already stored. 503 when storage is unavailable, so Meta retries.

Errors use the API's envelope (``{"error": {"code", "message"}}``); every outcome is counted in
``aimstors_webhooks_received_total{outcome=…}`` and every request in the app's request counter and latency
histogram, like any other route.

This is the daemon's hottest path (thousands of deliveries a second on one event loop), so :class:`DaemonApp`
answers it before Litestar's routing, middleware and request parsing: measured on this machine, ~100 µs of CPU a
request through Litestar's ASGI route against ~45 µs here (see ``bench/webhooks.py``). It is not part of the
OpenAPI schema: it is Meta's endpoint, not the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import parse_qs

import msgspec
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import Receive, Scope, Send

from aimstors.core.errors import AimstorsError
from aimstors.core.inbound import MAX_BODY_BYTES, Receipt
from aimstors.core.security.webhook_signature import SIGNATURE_HEADER, SignatureMissing, verify
from aimstors.core.settings import Settings
from aimstors.daemon.metrics import Metrics

if TYPE_CHECKING:
    from typing import Protocol

    class Ingest(Protocol):
        async def submit(self, body: bytes, sha256: str | None = None) -> Receipt: ...


__all__ = ["WEBHOOK_PATH", "DaemonApp", "WebhookEndpoint"]

log = logging.getLogger("aimstors.webhooks")

WEBHOOK_PATH: Final = "/webhooks/whatsapp"
_SIGNATURE: Final = SIGNATURE_HEADER.lower().encode()
_IN_THREAD_BYTES: Final = 256 * 1024  # larger bodies are hashed and parsed off the event loop
_STORED: Final = b'{"status":"stored"}'
_DUPLICATE: Final = b'{"status":"duplicate"}'
_JSON: Final = b"application/json"
_OBJECT: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])  # checks the whole document, builds the top only


class WebhookEndpoint:
    """``/webhooks/whatsapp`` as a plain ASGI callable over the app's settings, ingest and metrics."""

    def __init__(self, settings: Settings, metrics: Metrics, ingest: Ingest | None) -> None:
        self.settings = settings
        self.ingest = ingest  # None when this process does not run the `api` role
        self._metrics = metrics
        # Labelled children looked up once, not per request.
        self._outcomes: dict[str, Any] = {}
        self._requests: dict[tuple[str, int], Any] = {}
        self._latency = metrics.latency.labels(WEBHOOK_PATH)

    def _count(self, outcome: str) -> None:
        child = self._outcomes.get(outcome)
        if child is None:
            child = self._outcomes[outcome] = self._metrics.webhooks.labels(outcome)
        child.inc()

    def _count_request(self, method: str, status: int) -> None:
        child = self._requests.get((method, status))
        if child is None:
            child = self._requests[method, status] = self._metrics.requests.labels(method, WEBHOOK_PATH, str(status))
        child.inc()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        method = str(scope.get("method", "GET"))
        status = 500
        try:
            if method == "POST":
                status = await self._receive(scope, receive, send)
            elif method in ("GET", "HEAD"):
                status = await self._verify(scope, send)
            else:
                message = f"{method} is not allowed; Meta uses GET and POST"
                status = await _error(send, 405, "method_not_allowed", message)
        except Exception as exc:  # a bug here must still answer (Meta retries 5xx) and never echo the body
            log.error("webhook request failed: %s", type(exc).__name__)
            log.debug("webhook request failure", exc_info=exc)
            with contextlib.suppress(Exception):  # unless the answer had already started
                await _error(send, 500, "internal_error", "the webhook could not be handled; Meta will retry it")
        finally:
            self._count_request(method, status)
            self._latency.observe(time.perf_counter() - start)

    async def _verify(self, scope: Scope, send: Send) -> int:
        """Echo ``hub.challenge`` when ``hub.mode`` is ``subscribe`` and ``hub.verify_token`` is ours; else 403."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        mode, token, challenge = (query.get(k, [None])[0] for k in ("hub.mode", "hub.verify_token", "hub.challenge"))
        expected = self.settings.meta_verify_token
        if (
            mode == "subscribe"
            and expected
            and token is not None
            and challenge is not None
            and hmac.compare_digest(token.encode(), expected.encode())
        ):
            self._count("verified")
            return await _respond(send, 200, challenge.encode(), b"text/plain; charset=utf-8")
        self._count("verification_refused")
        return await _error(send, 403, "verification_failed", "webhook verification failed: wrong mode or verify token")

    async def _receive(self, scope: Scope, receive: Receive, send: Send) -> int:
        header = next((v for k, v in scope["headers"] if k == _SIGNATURE), b"").decode("latin-1")
        if not header.strip():
            self._count("signature_missing")
            error = SignatureMissing(f"webhook request has no {SIGNATURE_HEADER} header")
            return await _error(send, 401, error.code, error.message)
        body = await _read_body(receive, MAX_BODY_BYTES)
        if body is None:
            self._count("too_large")
            return await _error(send, 400, "body_too_large", f"webhook body is larger than {MAX_BODY_BYTES} bytes")
        secret = self.settings.meta_app_secret
        try:
            if len(body) > _IN_THREAD_BYTES:
                digest = await asyncio.to_thread(_check, body, header, secret)
            else:
                digest = _check(body, header, secret)
        except AimstorsError as exc:  # SignatureInvalid (403), or ConfigError when no app secret is set (500)
            self._count(exc.code)
            return await _error(send, exc.http_status, exc.code, exc.message)
        if digest is None:
            self._count("malformed")
            return await _error(send, 400, "malformed_webhook", "webhook body is not a JSON object")
        ingest = self.ingest
        if ingest is None:
            self._count("not_ingesting")
            message = "this process does not ingest webhooks (role api is off)"
            return await _error(send, 503, "ingest_unavailable", message)
        try:
            receipt = await ingest.submit(body, digest)
        except AimstorsError as exc:  # not running, or the database is unavailable: Meta retries on 5xx
            self._count("unavailable")
            return await _error(send, exc.http_status, exc.code, exc.message)
        self._count("duplicate" if receipt.duplicate else "stored")
        return await _respond(send, 200, _DUPLICATE if receipt.duplicate else _STORED)


class DaemonApp(Litestar):
    """The daemon's Litestar app, with Meta's webhook endpoint answered ahead of routing (see the module
    docstring); every other request, and the lifespan, go through Litestar as usual."""

    webhooks: WebhookEndpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == ScopeType.HTTP and scope["path"] == WEBHOOK_PATH:
            await self.webhooks(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes = _JSON) -> int:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status


async def _error(send: Send, status: int, code: str, message: str) -> int:
    return await _respond(send, status, msgspec.json.encode({"error": {"code": code, "message": message}}))


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it is longer than ``limit`` (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = cast(bytes, message.get("body", b""))
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _check(body: bytes, header: str, secret: str) -> str | None:
    """Verify the signature (raises); the body's SHA-256 when it is a JSON object, else None."""
    verify(body, header, secret)
    try:
        _OBJECT.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return hashlib.sha256(body).hexdigest()
