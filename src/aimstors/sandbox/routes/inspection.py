"""The inspection API under ``/_sandbox``: what was sent, per recipient counts, templates, conversations,
the per-second send histogram, webhook delivery counters and the faults in force."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler

from aimstors.sandbox.routes.common import ControlError, json_response, query
from aimstors.sandbox.state import digits

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["inspection_routes"]

Req = Request[Any, Any, Any]


def _int(params: dict[str, str], key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except ValueError:
        raise ControlError(f"'{key}' must be an integer") from None


def inspection_routes(sb: Sandbox) -> list[HTTPRouteHandler]:
    @get("/_sandbox")
    async def summary() -> Response[bytes]:
        state = sb.state
        return json_response(
            {
                **sb.summary(),
                "messages": len(state.messages),
                "inbound": len(state.inbound),
                "templates": len(state.templates),
                "webhooks": sb.dispatcher.stats.to_json(sb.dispatcher.pending),
            }
        )

    @get("/_sandbox/messages")
    async def messages(request: Req) -> Response[bytes]:
        params = query(request)
        to = digits(params["to"]) if "to" in params else None
        number = params.get("phone_number_id")
        kind = params.get("type")
        rows = [
            m
            for m in sb.state.messages.values()
            if (to is None or m.wa_id == to)
            and (number is None or m.phone_number_id == number)
            and (kind is None or m.type == kind)
        ]
        offset, limit = _int(params, "offset", 0), _int(params, "limit", 1000)
        return json_response({"total": len(rows), "data": [m.to_json() for m in rows[offset : offset + limit]]})

    @get("/_sandbox/recipients")
    async def recipients(request: Req) -> Response[bytes]:
        params = query(request)
        if "wa_id" in params:
            wa_id = digits(params["wa_id"])
            return json_response({wa_id: sb.state.recipients.get(wa_id, {})})
        return json_response(sb.state.recipients)

    @get("/_sandbox/templates")
    async def templates() -> Response[bytes]:
        return json_response({"data": [{**t.to_graph(), "waba_id": t.waba_id} for t in sb.state.templates.values()]})

    @get("/_sandbox/conversations")
    async def conversations() -> Response[bytes]:
        window = sb.config.window_hours * 3600
        now = sb.clock.now()
        return json_response(
            {
                "data": [
                    {
                        "phone_number_id": c.phone_number_id,
                        "wa_id": c.wa_id,
                        "name": c.name,
                        "last_inbound_at": c.last_inbound_at,
                        "window_open": c.window_open(now, window),
                        "inbound": c.inbound,
                        "outbound": c.outbound,
                    }
                    for c in sb.state.conversations.values()
                ]
            }
        )

    @get("/_sandbox/histogram")
    async def histogram(request: Req) -> Response[bytes]:
        wanted = query(request).get("phone_number_id")
        out: dict[str, Any] = {}
        for number_id, usage in sb.limits.numbers.items():
            if wanted is None or wanted == number_id:
                number = sb.state.numbers.get(number_id)
                out[number_id] = usage.to_json(number.throughput_mps if number else 0)
        return json_response(out)

    @get("/_sandbox/webhooks")
    async def webhooks() -> Response[bytes]:
        return json_response(sb.dispatcher.stats.to_json(sb.dispatcher.pending))

    @get("/_sandbox/faults")
    async def faults() -> Response[bytes]:
        return json_response({"config": msgspec.to_builtins(sb.faults.config), "injected": sb.faults.injected})

    return [summary, messages, recipients, templates, conversations, histogram, webhooks, faults]
