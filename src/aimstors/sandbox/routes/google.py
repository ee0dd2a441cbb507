"""Google stand-ins: OAuth ``POST /token``, Sheets ``/v4/spreadsheets/...``, Drive ``/drive/v3/files...``."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from aimstors.sandbox.google import GoogleError
from aimstors.sandbox.routes.common import json_response, query

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["google_routes"]

Req = Request[Any, Any, Any]
_decoder = msgspec.json.Decoder()


def google_routes(sb: Sandbox) -> list[HTTPRouteHandler]:
    @post("/token", status_code=200)
    async def token(request: Req) -> Response[bytes]:
        form = {k: str(v) for k, v in (await request.form()).items()}
        basic = request.headers.get("authorization", "")
        if basic[:6].lower() == "basic ":  # client credentials may come as HTTP Basic
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", client_id)
            form.setdefault("client_secret", secret)
        status, body = sb.google.issue(form)
        return json_response(body, status)

    @get("/v4/spreadsheets/{spreadsheet_id:str}")
    async def spreadsheet(request: Req) -> Response[bytes]:
        spreadsheet_id = request.path_params["spreadsheet_id"]
        sb.google.check_token(request.headers.get("authorization"))
        return json_response(sb.google.metadata(spreadsheet_id))

    @get("/v4/spreadsheets/{spreadsheet_id:str}/values/{range_:str}")
    async def values(request: Req) -> Response[bytes]:
        spreadsheet_id, range_ = (request.path_params["spreadsheet_id"], request.path_params["range_"])
        sb.google.check_token(request.headers.get("authorization"))
        render = query(request).get("valueRenderOption", "FORMATTED_VALUE")
        return json_response(sb.google.values(spreadsheet_id, range_, render))

    @post("/v4/spreadsheets/{spreadsheet_id:str}/values/{range_:str}", status_code=200)
    async def append(request: Req) -> Response[bytes]:
        spreadsheet_id, range_ = (request.path_params["spreadsheet_id"], request.path_params["range_"])
        sb.google.check_token(request.headers.get("authorization"))
        if not range_.endswith(":append"):
            raise GoogleError(404, "Method not found.")
        try:
            body = _decoder.decode(await request.body())
        except msgspec.DecodeError:
            raise GoogleError(400, "Invalid JSON payload received.") from None
        option = query(request).get("valueInputOption")
        return json_response(sb.google.append(spreadsheet_id, range_.removesuffix(":append"), body, option))

    @get("/drive/v3/files")
    async def files(request: Req) -> Response[bytes]:
        sb.google.check_token(request.headers.get("authorization"))
        params = query(request)
        try:
            size = max(1, min(int(params.get("pageSize", 100)), 1000))
        except ValueError:
            raise GoogleError(400, "Invalid value for pageSize") from None
        return json_response(sb.google.list_files(params.get("q"), size, params.get("pageToken")))

    @get("/drive/v3/files/{file_id:str}")
    async def file(request: Req) -> Response[bytes]:
        file_id = request.path_params["file_id"]
        sb.google.check_token(request.headers.get("authorization"))
        found = sb.google.file(file_id)
        if query(request).get("alt") == "media":
            return Response(found.data, media_type=found.mime_type)
        return json_response(found.to_json())

    @get("/drive/v3/files/{file_id:str}/export")
    async def export(request: Req) -> Response[bytes]:
        file_id = request.path_params["file_id"]
        sb.google.check_token(request.headers.get("authorization"))
        found = sb.google.file(file_id)
        mime = query(request).get("mimeType", "text/plain")
        return Response(found.data, media_type=mime)

    return [token, spreadsheet, values, append, files, file, export]
