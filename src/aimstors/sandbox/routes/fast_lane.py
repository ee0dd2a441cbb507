"""A raw-ASGI fast lane for ``POST /{version}/{phone_number_id}/messages``, in front of Litestar's router.

The send endpoint carries the load of every campaign benchmark (thousands of requests a second); building
Litestar's request, signature model and response objects for it cost ~15% of the sandbox's CPU. Litestar's own
``@asgi`` handlers would avoid that but cannot take path parameters (2.x raises ``KeyError: 'POST'`` when
routing them), so this thin wrapper answers matching requests itself, with the same function, the same
headers and the same error mapping as the Litestar route, and hands every other request to Litestar.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.routes.common import graph_error_parts, graph_headers, raw_bearer, read_body, send_json
from aimstors.sandbox.routes.graph import send_with_faults

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["SendFastLane"]

log = logging.getLogger(__name__)
_SEND_PATH = re.compile(r"/(v\d+\.\d+)/([0-9]+)/messages/?")


class SendFastLane:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _SEND_PATH.fullmatch(scope["path"]) if scope["type"] == ScopeType.HTTP else None
        if match is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        version, object_id = match.groups()
        sandbox = self.sandbox
        try:
            body = await read_body(receive)
            result, waba_id = await send_with_faults(sandbox, version, object_id, raw_bearer(scope), body)
        except GraphError as exc:
            status, envelope, headers = graph_error_parts(exc, version, sandbox.http_status_overrides)
            await send_json(send, envelope, status, headers)
            return
        except Exception as exc:  # the Litestar route's catch-all answers the same
            log.error("sandbox: unexpected %s on a send", type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
            error = GraphError(2, "", message="An unexpected error has occurred. Please retry your request later.")
            status, envelope, headers = graph_error_parts(error, version, sandbox.http_status_overrides)
            await send_json(send, envelope, status, headers)
            return
        await send_json(send, result, 200, graph_headers(version, waba_id))
