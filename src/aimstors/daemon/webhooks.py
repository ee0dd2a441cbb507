"""Meta's webhook endpoint: the verification handshake and durable ingest of deliveries.

``GET /webhooks/whatsapp``: Meta's subscription check — ``hub.mode=subscribe`` with our verify token gets its
``hub.challenge`` back as text; anything else 403.

``POST /webhooks/whatsapp``, in this order, storing nothing until the last step:

- no ``X-Hub-Signature-256`` → 401; a body over Meta's 3 MB → 400; a wrong signature (over the exact bytes
  received) → 403; a signed body that is not a JSON object → 400;
- else the raw bytes and their processing job are committed (group commit, see
  :class:`~aimstors.core.inbound.WebhookIngest`) and Meta gets 200 — ``{"status": "stored"}``, or
  ``"duplicate"`` for a delivery already stored. 503 when storage is unavailable, so Meta retries.

Every outcome is counted in ``aimstors_webhooks_received_total{outcome=…}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any, Final

from litestar import MediaType, Request, Response, get, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from aimstors.core.errors import AimstorsError
from aimstors.core.inbound import MAX_BODY_BYTES, WebhookIngest
from aimstors.core.security.webhook_signature import SIGNATURE_HEADER, SignatureMissing, verify
from aimstors.core.settings import Settings
from aimstors.daemon.errors import error_response
from aimstors.daemon.metrics import Metrics

__all__ = ["WEBHOOK_PATH", "receive_webhook", "verify_webhook"]

WEBHOOK_PATH: Final = "/webhooks/whatsapp"
_IN_THREAD_BYTES: Final = 256 * 1024  # larger bodies are hashed and parsed off the event loop
_STORED: Final = b'{"status":"stored"}'
_DUPLICATE: Final = b'{"status":"duplicate"}'


def _count(request: Request[Any, Any, Any], outcome: str) -> None:
    metrics: Metrics = request.app.state.metrics
    metrics.webhooks.labels(outcome).inc()


@get(WEBHOOK_PATH, media_type=MediaType.TEXT, summary="Meta's webhook verification handshake")
async def verify_webhook(request: Request[Any, Any, Any]) -> Response[Any]:
    """Echo ``hub.challenge`` when ``hub.mode`` is ``subscribe`` and ``hub.verify_token`` is ours; else 403."""
    settings: Settings = request.app.state.settings
    query = request.query_params
    mode, token, challenge = query.get("hub.mode"), query.get("hub.verify_token"), query.get("hub.challenge")
    expected = settings.meta_verify_token
    if (
        mode == "subscribe"
        and expected
        and token is not None
        and challenge is not None
        and hmac.compare_digest(token.encode(), expected.encode())
    ):
        _count(request, "verified")
        return Response(challenge, media_type=MediaType.TEXT)
    _count(request, "verification_refused")
    return error_response(403, "verification_failed", "webhook verification failed: wrong mode or verify token")


def _check(body: bytes, header: str, secret: str) -> str | None:
    """Verify the signature (raises); the body's SHA-256 when it is a JSON object, else None."""
    verify(body, header, secret)
    try:
        if not isinstance(json.loads(body), dict):
            return None
    except (ValueError, UnicodeDecodeError):
        return None
    return hashlib.sha256(body).hexdigest()


@post(
    WEBHOOK_PATH,
    status_code=200,
    request_max_body_size=MAX_BODY_BYTES,
    summary="Receive Meta's webhook deliveries (signed)",
)
async def receive_webhook(request: Request[Any, Any, Any]) -> Response[Any]:
    """Verify, store durably with its processing job, then answer 200 (see the module docstring)."""
    header = request.headers.get(SIGNATURE_HEADER)
    if header is None or not header.strip():
        _count(request, "signature_missing")
        error = SignatureMissing(f"webhook request has no {SIGNATURE_HEADER} header")
        return error_response(401, error.code, error.message)
    try:
        body = await request.body()
    except RequestEntityTooLarge:
        _count(request, "too_large")
        return error_response(400, "body_too_large", f"webhook body is larger than {MAX_BODY_BYTES} bytes")
    settings: Settings = request.app.state.settings
    try:
        if len(body) > _IN_THREAD_BYTES:
            digest = await asyncio.to_thread(_check, body, header, settings.meta_app_secret)
        else:
            digest = _check(body, header, settings.meta_app_secret)
    except AimstorsError as exc:  # SignatureInvalid (403), or ConfigError when no app secret is set (500)
        _count(request, exc.code)
        return error_response(exc.http_status, exc.code, exc.message, exc.hint)
    if digest is None:
        _count(request, "malformed")
        return error_response(400, "malformed_webhook", "webhook body is not a JSON object")
    ingest: WebhookIngest | None = request.app.state.webhook_ingest
    if ingest is None:
        _count(request, "not_ingesting")
        return error_response(503, "ingest_unavailable", "this process does not ingest webhooks (role api is off)")
    try:
        receipt = await ingest.submit(body, digest)
    except AimstorsError:
        _count(request, "unavailable")
        raise
    _count(request, "duplicate" if receipt.duplicate else "stored")
    return Response(_DUPLICATE if receipt.duplicate else _STORED, media_type=MediaType.JSON)
