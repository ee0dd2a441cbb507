"""Meta's Graph API endpoints under ``/{version}``: messages, media, templates, numbers, subscriptions,
registration, and the Embedded Signup code exchange. Handlers translate HTTP to one call of a noun module."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, delete, get, post
from litestar.handlers import BaseRouteHandler

from aimstors.sandbox import accounts, media, messaging, template_store
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.routes.common import bearer, graph_response, json_body, query
from aimstors.sandbox.runtime import unknown_object

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["graph_routes", "send_with_faults"]

Req = Request[Any, Any, Any]


def _ids(request: Req) -> tuple[str, str]:
    params = request.path_params
    return params["version"], params["object_id"]


def _base_url(request: Req) -> str:
    return str(request.base_url).rstrip("/")


async def send_with_faults(
    sb: Sandbox, version: str, object_id: str, token: str | None, body: bytes
) -> tuple[dict[str, Any], str]:
    """One send with the send-side faults applied; returns Meta's body and the number's WABA id."""
    fault = sb.faults.send_fault()
    if fault is not None and fault != "timeout":
        sb.number(object_id, token)
        raise GraphError(130429 if fault == "rate_limit" else sb.faults.choice_5xx())
    result = messaging.send(sb, version, object_id, token, body)
    if fault == "timeout":
        # The message went out; the response is held past any sane client timeout.
        await asyncio.sleep(sb.faults.config.timeout_seconds)
    return result, sb.state.numbers[object_id].waba_id


def graph_routes(sb: Sandbox) -> list[BaseRouteHandler]:  # noqa: PLR0915 - a closure per endpoint
    # -- messages --------------------------------------------------------------------------------------------

    @post("/{version:str}/{object_id:str}/messages", status_code=200)
    async def send_message(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        # Numeric ids take the fast lane (routes/fast_lane.py); this serves the rest with the same answers.
        result, waba_id = await send_with_faults(sb, version, object_id, bearer(request), await request.body())
        return graph_response(result, version, waba_id)

    # -- media -----------------------------------------------------------------------------------------------

    @post("/{version:str}/{object_id:str}/media", status_code=200)
    async def upload_media(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        token = bearer(request)
        sb.number(object_id, token)  # auth before reading a large body
        form = await request.form()
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                fields[key] = (value.filename, value.content_type, await value.read())
            else:
                fields[key] = value
        return graph_response(media.upload(sb, object_id, token, fields), version)

    @get(media.DOWNLOAD_PATH.rstrip("/"))
    async def download_media(request: Req) -> Response[bytes]:
        found = media.download(sb, query(request), bearer(request))
        return Response(
            found.data,
            media_type=found.mime_type,
            headers={"Content-Disposition": f"attachment; filename={found.filename or found.id}"},
        )

    # -- templates -------------------------------------------------------------------------------------------

    @post("/{version:str}/{object_id:str}/message_templates", status_code=200)
    async def create_template(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        body = await json_body(request)
        return graph_response(template_store.create(sb, object_id, bearer(request), body), version, object_id)

    @get("/{version:str}/{object_id:str}/message_templates")
    async def list_templates(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        result = template_store.list_templates(
            sb, object_id, bearer(request), query(request), _base_url(request), version
        )
        return graph_response(result, version, object_id)

    @delete("/{version:str}/{object_id:str}/message_templates", status_code=200)
    async def delete_templates(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        params = query(request)
        template_store.delete(sb, object_id, bearer(request), params.get("name"), params.get("hsm_id"))
        return graph_response({"success": True}, version, object_id)

    # -- objects by id: phone numbers, WABAs, media, templates --------------------------------------------------

    @get("/{version:str}/{object_id:str}")
    async def get_object(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        token = bearer(request)
        params = query(request)
        state = sb.state
        sb.check_token(token)
        if object_id in state.numbers:
            number = sb.number(object_id, token)
            return graph_response(accounts.phone_info(number, params.get("fields")), version, number.waba_id)
        if object_id in state.accounts:
            return graph_response(accounts.account_info(sb.account(object_id, token)), version, object_id)
        if object_id in state.media:
            result = media.metadata(
                sb, state.media[object_id], token, params.get("phone_number_id"), _base_url(request)
            )
            return graph_response(result, version)
        if object_id in state.templates:
            template = state.templates[object_id]
            result = template_store.get(sb, template, token, params.get("fields"))
            return graph_response(result, version, template.waba_id)
        raise unknown_object(object_id, "get")

    @post("/{version:str}/{object_id:str}", status_code=200)
    async def post_object(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        token = bearer(request)
        sb.check_token(token)
        template = sb.state.templates.get(object_id)
        if template is None:
            raise unknown_object(object_id)
        result = template_store.edit(sb, template, token, await json_body(request))
        return graph_response(result, version, template.waba_id)

    @delete("/{version:str}/{object_id:str}", status_code=200)
    async def delete_object(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        token = bearer(request)
        sb.check_token(token)
        if object_id in sb.state.media:
            result = media.delete(sb, sb.state.media[object_id], token, query(request).get("phone_number_id"))
            return graph_response(result, version)
        template = sb.state.templates.get(object_id)
        if template is not None:
            template_store.delete_by_id(sb, template, token)
            return graph_response({"success": True}, version, template.waba_id)
        raise unknown_object(object_id, "delete")

    # -- onboarding ------------------------------------------------------------------------------------------

    @post("/{version:str}/{object_id:str}/register", status_code=200)
    async def register(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        number = sb.number(object_id, bearer(request))
        return graph_response(accounts.register(sb, number, await json_body(request)), version, number.waba_id)

    @post("/{version:str}/{object_id:str}/deregister", status_code=200)
    async def deregister(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        number = sb.number(object_id, bearer(request))
        return graph_response(accounts.deregister(number), version, number.waba_id)

    @post("/{version:str}/{object_id:str}/subscribed_apps", status_code=200)
    async def subscribe(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        account = sb.account(object_id, bearer(request))
        result = await accounts.subscribe(sb, account, await json_body(request, optional=True))
        return graph_response(result, version, object_id)

    @get("/{version:str}/{object_id:str}/subscribed_apps")
    async def subscriptions(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        account = sb.account(object_id, bearer(request))
        return graph_response(accounts.subscriptions(sb, account), version, object_id)

    @delete("/{version:str}/{object_id:str}/subscribed_apps", status_code=200)
    async def unsubscribe(request: Req) -> Response[bytes]:
        version, object_id = _ids(request)
        account = sb.account(object_id, bearer(request))
        return graph_response(accounts.unsubscribe(account), version, object_id)

    @get(["/{version:str}/oauth/access_token", "/oauth/access_token"])
    async def access_token(request: Req) -> Response[bytes]:
        version = request.path_params.get("version")
        return graph_response(accounts.exchange_code(sb, query(request)), version)

    return [
        send_message,
        upload_media,
        download_media,
        create_template,
        list_templates,
        delete_templates,
        get_object,
        post_object,
        delete_object,
        register,
        deregister,
        subscribe,
        subscriptions,
        unsubscribe,
        access_token,
    ]
