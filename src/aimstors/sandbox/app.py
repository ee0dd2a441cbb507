"""The sandbox's composition root: :func:`create_sandbox_app` builds the Litestar app over one :class:`Sandbox`.

Errors are mapped once, here: Graph errors to Meta's envelope (HTTP status per Meta's table unless the config
overrides it), Google errors to Google's, control mistakes to ``{"error": {"message"}}``; unknown Graph paths
answer like Meta (400, code 100) rather than with a framework 404.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException

from aimstors.sandbox.config import SandboxConfig
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.google import GoogleError, google_error
from aimstors.sandbox.routes.common import ControlError, graph_error_parts, json_response, unknown_path
from aimstors.sandbox.routes.control import control_routes
from aimstors.sandbox.routes.fast_lane import SendFastLane
from aimstors.sandbox.routes.gemini import gemini_routes
from aimstors.sandbox.routes.google import google_routes
from aimstors.sandbox.routes.graph import graph_routes
from aimstors.sandbox.routes.inspection import inspection_routes
from aimstors.sandbox.runtime import Sandbox

__all__ = ["create_sandbox_app", "sandbox_of"]

log = logging.getLogger(__name__)

Req = Request[Any, Any, Any]
_GRAPH_PATH = re.compile(r"^/(v\d+\.\d+/|oauth/|whatsapp_business/)")
MAX_BODY = 110 * 1024 * 1024  # documents may be 100 MB


def sandbox_of(app: Litestar) -> Sandbox:
    """The :class:`Sandbox` behind an app made by :func:`create_sandbox_app`."""
    sandbox: Sandbox = app.state["sandbox"]
    return sandbox


def create_sandbox_app(config: SandboxConfig | None = None) -> Litestar:
    """A Litestar app emulating Meta's Cloud API, Gemini and Google APIs; see :mod:`aimstors.sandbox`."""
    sandbox = Sandbox(config or SandboxConfig())

    def graph_error(request: Req, exc: GraphError) -> Response[bytes]:
        status, body, headers = graph_error_parts(
            exc, request.path_params.get("version"), sandbox.http_status_overrides
        )
        response = json_response(body, status)
        response.headers.update(headers)
        return response

    def google(_: Req, exc: GoogleError) -> Response[bytes]:
        return json_response(google_error(exc), exc.code)

    def control(_: Req, exc: ControlError) -> Response[bytes]:
        return json_response({"error": {"message": exc.message}}, exc.status)

    def http(request: Req, exc: HTTPException) -> Response[bytes]:
        if _GRAPH_PATH.match(request.url.path):
            return graph_error(request, unknown_path(request.method, request.url.path))
        return json_response({"error": {"message": exc.detail}}, exc.status_code)

    def unexpected(request: Req, exc: Exception) -> Response[bytes]:
        log.error(
            "sandbox: unexpected %s on %s %s",
            type(exc).__name__,
            request.method,
            request.url.path,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        return graph_error(
            request, GraphError(2, "", message="An unexpected error has occurred. Please retry your request later.")
        )

    async def start() -> None:
        await sandbox.start()

    async def stop() -> None:
        await sandbox.stop()

    app = Litestar(
        route_handlers=[
            *graph_routes(sandbox),
            *control_routes(sandbox),
            *inspection_routes(sandbox),
            *gemini_routes(sandbox),
            *google_routes(sandbox),
        ],
        exception_handlers={
            GraphError: graph_error,
            GoogleError: google,
            ControlError: control,
            HTTPException: http,
            Exception: unexpected,
        },
        on_startup=[start],
        on_shutdown=[stop],
        state=_state(sandbox),
        openapi_config=None,
        logging_config=None,
        request_max_body_size=MAX_BODY,
        debug=False,
    )
    app.asgi_handler = SendFastLane(app.asgi_handler, sandbox)
    return app


def _state(sandbox: Sandbox) -> Any:
    from litestar.datastructures import State

    return State({"sandbox": sandbox})
