"""Prometheus metrics of one daemon process: requests, webhook ingest, job outcomes, queue depth and age."""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from aimstors.core.services import Services

__all__ = ["Metrics", "metrics_middleware"]


class Metrics:
    """A registry per app (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aimstors_http_requests_total",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "aimstors_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.webhooks = Counter(
            "aimstors_webhooks_received_total", "Webhook deliveries by outcome", ["outcome"], registry=self.registry
        )
        self.jobs = Counter(
            "aimstors_jobs_total",
            "Jobs run by this process, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "aimstors_queue_depth", "Jobs waiting per queue and status", ["queue", "status"], registry=self.registry
        )
        self.queue_age = Gauge(
            "aimstors_queue_oldest_seconds",
            "Age of the oldest queued job per queue",
            ["queue"],
            registry=self.registry,
        )

    async def render(self, services: Services) -> str:
        await self._refresh_queue(services)
        return generate_latest(self.registry).decode()

    async def _refresh_queue(self, services: Services) -> None:
        from aimstors.core.queue import service as queue_service

        try:
            stats = await queue_service.stats(services.db)
        except Exception:
            return
        for row in stats:
            for status in ("queued", "due", "running", "done", "dead"):
                self.queue_depth.labels(row.queue, status).set(getattr(row, status))
            self.queue_age.labels(row.queue).set(row.oldest_due_seconds)


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            metrics: Metrics = scope["app"].state.metrics
            route: Any = scope.get("path_template") or "unmatched"
            method = str(scope.get("method", "GET"))
            metrics.requests.labels(method, route, str(status)).inc()
            metrics.latency.labels(route).observe(time.perf_counter() - start)

    return middleware
