"""Gemini's ``POST /{v1|v1beta}/models/{model}:generateContent`` (the path google-genai calls)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler

from aimstors.sandbox.google import GoogleError
from aimstors.sandbox.routes.common import json_response

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["gemini_routes"]

Req = Request[Any, Any, Any]
_decoder = msgspec.json.Decoder()


def gemini_routes(sb: Sandbox) -> list[HTTPRouteHandler]:
    @post(["/v1/models/{model_action:str}", "/v1beta/models/{model_action:str}"], status_code=200)
    async def generate(request: Req) -> Response[bytes]:
        model_action = request.path_params["model_action"]
        model, _, action = model_action.partition(":")
        if action != "generateContent":
            raise GoogleError(404, f"Method {action or '(none)'} is not supported by the sandbox.")
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        keys = sb.config.google.gemini_api_keys
        if not key:
            raise GoogleError(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call this "
                "API.",
            )
        if keys and key not in keys:
            raise GoogleError(400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID")
        if sb.faults.gemini_rate_limited():
            raise GoogleError(429, "Resource has been exhausted (e.g. check quota).", "RATE_LIMIT_EXCEEDED")
        try:
            body = _decoder.decode(await request.body())
        except msgspec.DecodeError:
            raise GoogleError(400, "Invalid JSON payload received.") from None
        return json_response(sb.gemini.generate(model, body))

    return [generate]
