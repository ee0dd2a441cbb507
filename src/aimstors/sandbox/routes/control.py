"""The control API under ``/_sandbox``: simulated users, template review, faults, clock, runtime settings,
and seed data for the Gemini and Google stand-ins. JSON in, JSON out; mistakes answer 400 naming the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response, delete, post
from litestar.handlers import HTTPRouteHandler

from aimstors.core.errors import ConfigError
from aimstors.sandbox import template_store, users
from aimstors.sandbox.config import MAX_THROUGHPUT, TemplateSeed
from aimstors.sandbox.faults import FaultConfig
from aimstors.sandbox.routes.common import ControlError, json_response
from aimstors.sandbox.state import digits

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["control_routes"]

Req = Request[Any, Any, Any]
_decoder = msgspec.json.Decoder()


async def _body(request: Req) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = _decoder.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError:
        raise ControlError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def _str(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(f"'{key}' must be a non-empty string")
    return value


def _convert(data: Any, kind: type[Any], what: str) -> Any:
    try:
        return msgspec.convert(data, kind, strict=False)
    except (msgspec.ValidationError, ConfigError) as exc:
        raise ControlError(f"{what}: {exc}") from None


def control_routes(sb: Sandbox) -> list[HTTPRouteHandler]:  # noqa: PLR0915 - a closure per endpoint
    @post("/_sandbox/say", status_code=200)
    async def say(request: Req) -> Response[bytes]:
        data = await _body(request)
        try:
            wamid = users.say(
                sb,
                _str(data, "from") or "",
                _str(data, "text") or "",
                phone_number_id=_str(data, "phone_number_id", required=False),
                name=_str(data, "name", required=False),
            )
        except users.UserError as exc:
            raise ControlError(str(exc)) from None
        return json_response({"id": wamid})

    @post("/_sandbox/reply", status_code=200)
    async def reply(request: Req) -> Response[bytes]:
        data = await _body(request)
        try:
            wamid = users.reply(
                sb,
                _str(data, "from") or "",
                _str(data, "choice") or "",
                message_id=_str(data, "message_id", required=False),
                phone_number_id=_str(data, "phone_number_id", required=False),
                name=_str(data, "name", required=False),
            )
        except users.UserError as exc:
            raise ControlError(str(exc)) from None
        return json_response({"id": wamid})

    @post("/_sandbox/templates", status_code=200)
    async def add_template(request: Req) -> Response[bytes]:
        seed = _convert(await _body(request), TemplateSeed, "template")
        if seed.waba_id is not None and seed.waba_id not in sb.state.accounts:
            raise ControlError(f"no WABA {seed.waba_id}")
        template = template_store.seed(sb, seed)
        return json_response(template.to_graph())

    @post("/_sandbox/templates/{name:str}/{action:str}", status_code=200)
    async def review(request: Req) -> Response[bytes]:
        name, action = (request.path_params["name"], request.path_params["action"])
        data = await _body(request)
        try:
            changed = template_store.review(
                sb,
                name,
                action,
                language=_str(data, "language", required=False),
                reason=_str(data, "reason", required=False),
                waba_id=_str(data, "waba_id", required=False),
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        except LookupError as exc:
            raise ControlError(str(exc.args[0]), 404) from None
        return json_response({"templates": [t.to_graph() for t in changed]})

    @post("/_sandbox/faults", status_code=200)
    async def set_faults(request: Req) -> Response[bytes]:
        faults = _convert(await _body(request), FaultConfig, "faults")
        sb.set_faults(faults)
        return json_response(msgspec.to_builtins(faults))

    @delete("/_sandbox/faults", status_code=200)
    async def clear_faults() -> Response[bytes]:
        sb.set_faults(FaultConfig())
        return json_response(msgspec.to_builtins(FaultConfig()))

    @post("/_sandbox/clock", status_code=200)
    async def clock(request: Req) -> Response[bytes]:
        data = await _body(request)
        advance = data.get("advance", 0)
        if not isinstance(advance, int | float) or advance < 0:
            raise ControlError("'advance' must be a number of seconds >= 0")
        sb.clock.advance(float(advance))
        return json_response({"now": sb.clock.now(), "offset": sb.clock.offset})

    @post("/_sandbox/settings", status_code=200)
    async def settings(request: Req) -> Response[bytes]:
        data = await _body(request)
        if "webhook_url" in data:
            sb.webhook_url = _str(data, "webhook_url", required=False)
        if "failure_mode" in data:
            if data["failure_mode"] not in ("webhook", "response"):
                raise ControlError("'failure_mode' is 'webhook' or 'response'")
            sb.failure_mode = data["failure_mode"]
        if "http_status_overrides" in data:
            overrides = _convert(data["http_status_overrides"], dict[int, int], "http_status_overrides")
            sb.http_status_overrides = overrides
        if "undeliverable" in data:
            numbers = _convert(data["undeliverable"], list[str], "undeliverable")
            sb.state.undeliverable = {digits(n) for n in numbers}
        if "pair_rate_limit" in data:
            sb.limits.pair_limit = _convert(data["pair_rate_limit"], int, "pair_rate_limit")
        if "pair_rate_window" in data:
            sb.limits.pair_window = _convert(data["pair_rate_window"], float, "pair_rate_window")
        return json_response(sb.summary())

    @post("/_sandbox/numbers/{phone_number_id:str}", status_code=200)
    async def number(request: Req) -> Response[bytes]:
        phone_number_id = request.path_params["phone_number_id"]
        found = sb.state.numbers.get(phone_number_id)
        if found is None:
            raise ControlError(f"no phone number {phone_number_id}", 404)
        data = await _body(request)
        if "throughput_mps" in data:
            mps = _convert(data["throughput_mps"], int, "throughput_mps")
            if not 1 <= mps <= MAX_THROUGHPUT:
                raise ControlError(f"'throughput_mps' must be 1..{MAX_THROUGHPUT}")
            found.throughput_mps = mps
        for key in ("quality_rating", "messaging_limit_tier", "verified_name"):
            if key in data:
                setattr(found, key, _str(data, key))
        if "registered" in data:
            found.registered = bool(data["registered"])
        return json_response(
            {
                "id": found.id,
                "throughput_mps": found.throughput_mps,
                "quality_rating": found.quality_rating,
                "registered": found.registered,
            }
        )

    @post("/_sandbox/verify-webhook", status_code=200)
    async def verify(request: Req) -> Response[bytes]:
        data = await _body(request)
        url = _str(data, "url", required=False) or sb.webhook_url
        if url is None:
            raise ControlError("no 'url' given and no webhook URL configured")
        token = _str(data, "verify_token", required=False) or sb.config.verify_token
        result = await sb.dispatcher.verify(url, token)
        return json_response({"ok": result.ok, "status": result.status, "detail": result.detail})

    @post("/_sandbox/reset", status_code=200)
    async def reset() -> Response[bytes]:
        sb.reset()
        return json_response({"success": True})

    @post("/_sandbox/gemini/rules", status_code=200)
    async def gemini_rules(request: Req) -> Response[bytes]:
        data = await _body(request)
        rules = data.get("rules")
        if not isinstance(rules, list):
            raise ControlError("'rules' must be a list of {pattern, reply | function_call}")
        try:
            sb.gemini.set(rules)
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return json_response({"rules": len(sb.gemini.rules)})

    @post("/_sandbox/google/sheets", status_code=200)
    async def seed_sheet(request: Req) -> Response[bytes]:
        try:
            sheet = sb.google.seed_spreadsheet(await _body(request))
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return json_response({"id": sheet.id, "title": sheet.title, "sheets": list(sheet.sheets)})

    @post("/_sandbox/google/drive/files", status_code=200)
    async def seed_file(request: Req) -> Response[bytes]:
        try:
            file = sb.google.seed_file(await _body(request))
        except (ValueError, TypeError) as exc:
            raise ControlError(str(exc)) from None
        return json_response(file.to_json())

    @post("/_sandbox/google/revoke", status_code=200)
    async def revoke(request: Req) -> Response[bytes]:
        token = _str(await _body(request), "refresh_token") or ""
        sb.google.revoked_refresh_tokens.add(token)
        return json_response({"success": True})

    return [
        say,
        reply,
        add_template,
        review,
        set_faults,
        clear_faults,
        clock,
        settings,
        number,
        verify,
        reset,
        gemini_rules,
        seed_sheet,
        seed_file,
        revoke,
    ]
