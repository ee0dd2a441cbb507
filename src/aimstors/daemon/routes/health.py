"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from aimstors.core.db.migrate import current_revision, head_revision
from aimstors.core.services import Services
from aimstors.daemon.metrics import Metrics


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Ready to serve: the database answers and its schema is at the code's migration head."""
    services: Services = request.app.state.services
    try:
        revision = await current_revision(services.db)
    except Exception as exc:
        return Response({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    head = head_revision()
    ready = revision == head
    body = {"status": "ok" if ready else "migrations pending", "revision": revision, "head": head}
    return Response(body, status_code=200 if ready else HTTP_503_SERVICE_UNAVAILABLE)


@get("/metrics", include_in_schema=False, media_type="text/plain; version=0.0.4")
async def metrics(request: Request[Any, Any, Any]) -> str:
    """Prometheus text exposition of the daemon's counters and the queue's depth."""
    registry: Metrics = request.app.state.metrics
    return await registry.render(request.app.state.services)
