"""The Cloud API client over real HTTP against a local server that answers the way Meta does."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from aimstors.core.channel import (
    AuthenticationError,
    CloudApiClient,
    CloudApiUnreachable,
    InvalidParameter,
    MarketingLimitReached,
    MetaApiError,
    MissingPermission,
    OutgoingMessage,
    PairRateLimited,
    ReengagementRequired,
    SendOutcomeUnknown,
    Template,
    Text,
    ThrottlingError,
    TransientError,
    Undeliverable,
    UnknownApiError,
)
from aimstors.core.channel import errors as channel_errors
from aimstors.core.errors import AimstorsError, InvalidInput
from aimstors.core.settings import Settings

PNID = "106540352242922"
WABA = "102290129340398"
TOKEN = "EAAG-default-token-not-for-logs"
TO = "+16505551234"
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    form: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeGraph:
    """A local Graph API: ``routes[(METHOD, path)]`` answers; every request is recorded in ``seen``."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        async def handler(_: web.Request) -> web.Response:
            return web.json_response(body, status=status)

        self.routes[(method, path)] = handler

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.method, request.path, dict(request.query), dict(request.headers))
        if request.content_type == "multipart/form-data":
            for name, value in (await request.post()).items():
                # File parts are closed after the request: keep what they held.
                is_file = isinstance(value, web.FileField)
                seen.form[name] = (value.filename, value.content_type, value.file.read()) if is_file else value
        else:
            seen.body = await request.read()
        self.seen.append(seen)
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return web.json_response(
                {"error": {"message": "Unknown path", "type": "OAuthException", "code": 100}}, status=400
            )
        return await handler(request)

    def client(self, **kwargs: Any) -> CloudApiClient:
        options: dict[str, Any] = {"graph_url": self.url, "api_version": "v23.0", "access_token": TOKEN, "timeout": 5.0}
        options.update(kwargs)
        return CloudApiClient(**options)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.dispatch)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    fake.release.set()  # let handlers that "never answer" finish, so the server closes at once
    await server.close()


def sent_ok(message_status: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"id": WAMID}
    if message_status:
        message["message_status"] = message_status
    return {"messaging_product": "whatsapp", "contacts": [{"input": TO, "wa_id": "16505551234"}], "messages": [message]}


# --- sending ------------------------------------------------------------------------------------------------


async def test_send_message_posts_the_exact_body_with_the_token(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/messages", sent_ok("accepted"))
    message = OutgoingMessage(TO, Text("Hi there"), callback_data="attempt-1")
    async with graph.client() as client:
        result = await client.send_message(PNID, message)
    assert (result.message_id, result.message_status, result.wa_id, result.input) == (
        WAMID,
        "accepted",
        "16505551234",
        TO,
    )
    (request,) = graph.seen
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == message.to_payload()


async def test_token_per_call_overrides_the_clients(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/messages", sent_ok())
    async with graph.client(access_token=None) as client:
        with pytest.raises(AimstorsError, match="no WhatsApp access token"):
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
        await client.send_message(PNID, OutgoingMessage(TO, Text("x")), token="tenant-token")
    assert graph.seen[-1].headers["Authorization"] == "Bearer tenant-token"


async def test_client_from_settings_uses_graph_url_and_version(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v99.1/{PNID}/messages", sent_ok())
    settings = Settings(meta_graph_url=graph.url, meta_api_version="v99.1")
    async with CloudApiClient.from_settings(settings, access_token=TOKEN) as client:
        await client.send_message(PNID, OutgoingMessage(TO, Template.otp("auth_code", "en_US", "123456")))
    assert graph.seen[0].path == f"/v99.1/{PNID}/messages"


async def test_mark_read_with_typing_indicator(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/messages", {"success": True})
    async with graph.client() as client:
        assert await client.mark_read(PNID, WAMID, typing_indicator=True) is True
    assert graph.seen[0].json() == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": WAMID,
        "typing_indicator": {"type": "text"},
    }


async def test_over_a_hundred_sends_in_flight_on_one_client(graph: FakeGraph) -> None:
    in_flight = peak = 0

    async def slow(_: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.2)
        in_flight -= 1
        return web.json_response(sent_ok())

    graph.routes[("POST", f"/v23.0/{PNID}/messages")] = slow
    async with graph.client() as client:
        results = await asyncio.gather(
            *(client.send_message(PNID, OutgoingMessage(TO, Text(f"m{i}"))) for i in range(150))
        )
    assert len(results) == 150
    assert peak >= 100


# --- errors ---------------------------------------------------------------------------------------------------


def envelope(code: int, message: str = "Something", **extra: Any) -> dict[str, Any]:
    error = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": f"details of {code}"},
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }
    error.update(extra)
    return {"error": error}


ERROR_CASES = [
    # code, HTTP status, class, retryable
    (190, 401, AuthenticationError, False),
    (0, 401, AuthenticationError, False),
    (3, 500, MissingPermission, False),
    (10, 403, MissingPermission, False),
    (200, 403, MissingPermission, False),
    (299, 403, MissingPermission, False),
    (4, 429, ThrottlingError, True),
    (80007, 429, ThrottlingError, True),
    (130429, 400, ThrottlingError, True),
    (131056, 400, PairRateLimited, True),
    (131047, 400, ReengagementRequired, False),
    (131026, 400, Undeliverable, False),
    (131049, 400, MarketingLimitReached, False),
    (131050, 400, channel_errors.UserOptedOut, False),
    (132000, 400, channel_errors.TemplateParameterCountMismatch, False),
    (132001, 404, channel_errors.TemplateNotFound, False),
    (132005, 400, channel_errors.TemplateTextTooLong, False),
    (132007, 400, channel_errors.TemplatePolicyViolation, False),
    (132012, 400, channel_errors.TemplateParameterFormatMismatch, False),
    (132015, 400, channel_errors.TemplatePaused, False),
    (132016, 400, channel_errors.TemplateDisabled, False),
    (132068, 400, channel_errors.FlowBlocked, False),
    (132069, 400, channel_errors.FlowThrottled, True),
    (131000, 500, TransientError, True),
    (131016, 503, TransientError, True),
    (131057, 500, TransientError, True),
    (1, 400, TransientError, True),
    (2, 503, TransientError, True),
    (100, 400, InvalidParameter, False),
    (131008, 400, InvalidParameter, False),
    (131009, 400, InvalidParameter, False),
    (131053, 400, channel_errors.MediaError, False),
    (368, 403, channel_errors.PolicyViolation, False),
    (133010, 400, channel_errors.PhoneRegistrationError, False),
    (987654, 400, UnknownApiError, False),
    (987654, 500, UnknownApiError, True),
]


@pytest.mark.parametrize(
    ("code", "status", "cls", "retryable"), ERROR_CASES, ids=[f"{c[0]}-{c[1]}" for c in ERROR_CASES]
)
async def test_error_envelope_becomes_the_typed_exception(
    graph: FakeGraph, code: int, status: int, cls: type[MetaApiError], retryable: bool
) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/messages", envelope(code, error_subcode=2494055), status=status)
    async with graph.client() as client:
        with pytest.raises(MetaApiError) as caught:
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
    error = caught.value
    assert type(error) is cls
    assert error.retryable is retryable
    assert (error.status, error.error_code, error.error_subcode) == (status, code, 2494055)
    assert error.details == f"details of {code}" and error.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam"
    assert error.error_type == "OAuthException"
    assert str(code) in error.message


async def test_unknown_code_marked_transient_by_meta_is_retryable(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/messages", envelope(4242, is_transient=True), status=400)
    async with graph.client() as client:
        with pytest.raises(UnknownApiError) as caught:
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
    assert caught.value.retryable and caught.value.is_transient is True


async def test_http_error_without_envelope(graph: FakeGraph) -> None:
    async def gateway(_: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")

    graph.routes[("POST", f"/v23.0/{PNID}/messages")] = gateway
    async with graph.client() as client:
        with pytest.raises(UnknownApiError) as caught:
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
    assert caught.value.status == 502 and caught.value.retryable and caught.value.error_code is None


async def test_template_error_data_as_a_string(graph: FakeGraph) -> None:
    body = {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100, "error_subcode": 2388040,
                      "error_data": "Message template body is too long", "fbtrace_id": "A1"}}  # fmt: skip
    graph.answer("POST", f"/v23.0/{WABA}/message_templates", body, status=400)
    async with graph.client() as client:
        with pytest.raises(InvalidParameter) as caught:
            await client.templates.create(WABA, name="t", language="en_US", category="UTILITY", components=[])
    assert caught.value.details == "Message template body is too long"
    assert caught.value.error_subcode == 2388040


def test_every_registered_code_has_one_class() -> None:
    assert channel_errors.ERROR_CLASSES[131056] is PairRateLimited
    assert channel_errors.error_class_for(250) is MissingPermission
    assert channel_errors.error_class_for(None) is UnknownApiError
    assert all(issubclass(cls, MetaApiError) for cls in channel_errors.ERROR_CLASSES.values())


# --- outcome unknown vs unreachable -----------------------------------------------------------------------------


async def test_server_that_never_answers_is_outcome_unknown_within_the_timeout(graph: FakeGraph) -> None:
    async def hang(_: web.Request) -> web.Response:
        await graph.release.wait()
        return web.json_response(sent_ok())

    graph.routes[("POST", f"/v23.0/{PNID}/messages")] = hang
    async with graph.client(timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(SendOutcomeUnknown) as caught:
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
        elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 2.0
    assert caught.value.retryable is False
    assert len(graph.seen) == 1  # the request did reach the server: it may have been accepted


async def test_per_call_timeout(graph: FakeGraph) -> None:
    async def hang(_: web.Request) -> web.Response:
        await graph.release.wait()
        return web.json_response(sent_ok())

    graph.routes[("POST", f"/v23.0/{PNID}/messages")] = hang
    async with graph.client(timeout=30) as client:
        started = time.monotonic()
        with pytest.raises(SendOutcomeUnknown):
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")), request_timeout=0.2)
    assert time.monotonic() - started < 2.0


async def test_dropped_connection_is_outcome_unknown(graph: FakeGraph) -> None:
    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        await graph.release.wait()
        return web.json_response(sent_ok())

    graph.routes[("POST", f"/v23.0/{PNID}/messages")] = drop
    async with graph.client() as client:
        with pytest.raises(SendOutcomeUnknown):
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))


async def test_success_without_a_message_id_is_outcome_unknown(graph: FakeGraph) -> None:
    async def garbled(_: web.Request) -> web.Response:
        return web.Response(status=200, text="{truncated")

    graph.routes[("POST", f"/v23.0/{PNID}/messages")] = garbled
    async with graph.client() as client:
        with pytest.raises(SendOutcomeUnknown):
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
    graph.answer("POST", f"/v23.0/{PNID}/messages", {"messaging_product": "whatsapp", "messages": []})
    async with graph.client() as client:
        with pytest.raises(SendOutcomeUnknown):
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))


async def test_nothing_listening_is_unreachable_and_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with CloudApiClient(graph_url=f"http://127.0.0.1:{port}", access_token=TOKEN, timeout=2) as client:
        with pytest.raises(CloudApiUnreachable) as caught:
            await client.send_message(PNID, OutgoingMessage(TO, Text("x")))
    assert caught.value.retryable is True


# --- media --------------------------------------------------------------------------------------------------------


async def test_media_upload_is_multipart(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/media", {"id": "4490709327384033"})
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    async with graph.client() as client:
        media_id = await client.media.upload(PNID, png, "image/png", filename="logo.png")
    assert media_id == "4490709327384033"
    (request,) = graph.seen
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.form["messaging_product"] == "whatsapp"
    assert request.form["type"] == "image/png"
    assert request.form["file"] == ("logo.png", "image/png", png)


async def test_media_metadata_download_and_delete(graph: FakeGraph) -> None:
    content = b"%PDF-1.7 fake"

    async def download(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response(envelope(190, "Invalid OAuth access token"), status=401)
        return web.Response(body=content, content_type="application/pdf")

    graph.routes[("GET", "/whatsapp_business/attachments/")] = download
    graph.answer(
        "GET",
        "/v23.0/1185183649738566",
        {"messaging_product": "whatsapp", "url": f"{graph.url}/whatsapp_business/attachments/?mid=1185183649738566",
         "mime_type": "application/pdf", "sha256": "ZVs5", "file_size": "13", "id": "1185183649738566"},
    )  # fmt: skip
    graph.answer("DELETE", "/v23.0/1185183649738566", {"success": True})
    async with graph.client() as client:
        info = await client.media.get("1185183649738566", phone_number_id=PNID)
        assert (info.mime_type, info.file_size, info.sha256) == ("application/pdf", 13, "ZVs5")
        assert info.url is not None
        downloaded = await client.media.download(info.url)
        assert downloaded.content == content and downloaded.mime_type == "application/pdf"
        with pytest.raises(AuthenticationError):
            await client.media.download(info.url, token="expired")
        with pytest.raises(InvalidInput):
            await client.media.download(info.url, max_bytes=4)
        assert await client.media.delete("1185183649738566", phone_number_id=PNID) is True
    assert graph.seen[0].query == {"phone_number_id": PNID}
    assert graph.seen[-1].method == "DELETE" and graph.seen[-1].query == {"phone_number_id": PNID}


# --- templates -------------------------------------------------------------------------------------------------


async def test_template_listing_follows_cursors_until_the_last_page(graph: FakeGraph) -> None:
    pages = {
        None: ({"data": [{"id": "1", "name": "a", "status": "APPROVED"}, {"id": "2", "name": "b"}], "cursor": "MQZD",
                "next": True}),
        "MQZD": {"data": [{"id": "3", "name": "c", "language": "en_US", "category": "UTILITY"}], "cursor": "MgZD",
                 "next": True},
        "MgZD": {"data": [{"id": "4", "name": "d", "components": [{"type": "BODY", "text": "Hi {{1}}"}]}],
                 "cursor": "MwZD", "next": False},
    }  # fmt: skip

    async def listing(request: web.Request) -> web.Response:
        page = pages[request.query.get("after")]
        paging: dict[str, Any] = {"cursors": {"before": "QVFI", "after": page["cursor"]}}
        if page["next"]:
            paging["next"] = f"{graph.url}/v23.0/{WABA}/message_templates?after={page['cursor']}"
        return web.json_response({"data": page["data"], "paging": paging})

    graph.routes[("GET", f"/v23.0/{WABA}/message_templates")] = listing
    async with graph.client() as client:
        templates = [t async for t in client.templates.list(WABA, status="APPROVED", page_size=2)]
    assert [t.id for t in templates] == ["1", "2", "3", "4"]
    assert templates[2].category == "UTILITY" and templates[3].components[0]["type"] == "BODY"
    assert [s.query.get("after") for s in graph.seen] == [None, "MQZD", "MgZD"]
    assert graph.seen[0].query["status"] == "APPROVED" and graph.seen[0].query["limit"] == "2"
    assert "name" in graph.seen[0].query["fields"].split(",")


async def test_template_create_get_edit_delete(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{WABA}/message_templates", {"id": "546151681022936", "status": "PENDING",
                                                               "category": "UTILITY"})  # fmt: skip
    graph.answer(
        "GET", "/v23.0/546151681022936", {"id": "546151681022936", "name": "order_update", "status": "APPROVED"}
    )
    graph.answer("POST", "/v23.0/546151681022936", {"success": True})
    graph.answer("DELETE", f"/v23.0/{WABA}/message_templates", {"success": True})
    components = [{"type": "BODY", "text": "Order {{1}} shipped", "example": {"body_text": [["#123"]]}}]
    async with graph.client() as client:
        created = await client.templates.create(
            WABA, name="order_update", language="en_US", category="UTILITY", components=components,
            parameter_format="positional",
        )  # fmt: skip
        assert (created.id, created.status) == ("546151681022936", "PENDING")
        assert (await client.templates.get(created.id)).status == "APPROVED"
        assert await client.templates.edit(created.id, components=components) is True
        assert await client.templates.delete(WABA, "order_update", template_id=created.id) is True
    create, get, edit, delete = graph.seen
    assert create.json() == {"name": "order_update", "language": "en_US", "category": "UTILITY",
                             "components": components, "parameter_format": "positional"}  # fmt: skip
    assert "status" in get.query["fields"]
    assert edit.json() == {"components": components}
    assert delete.query == {"name": "order_update", "hsm_id": "546151681022936"}


# --- phone numbers, subscription, Embedded Signup --------------------------------------------------------------------


async def test_phone_number_info(graph: FakeGraph) -> None:
    graph.answer(
        "GET",
        f"/v23.0/{PNID}",
        {"id": PNID, "display_phone_number": "+1 555-555-5555", "verified_name": "Jaspers Market",
         "quality_rating": "GREEN", "throughput": {"level": "STANDARD"}, "messaging_limit_tier": "TIER_1K",
         "whatsapp_business_manager_messaging_limit": "TIER_2K"},
    )  # fmt: skip
    async with graph.client() as client:
        info = await client.phone_numbers.get(PNID)
    assert (info.quality_rating, info.throughput_level, info.messaging_limit_tier) == ("GREEN", "STANDARD", "TIER_2K")
    assert {"throughput", "quality_rating", "messaging_limit_tier"} <= set(graph.seen[0].query["fields"].split(","))


async def test_subscribe_and_register(graph: FakeGraph) -> None:
    graph.answer("POST", f"/v23.0/{WABA}/subscribed_apps", {"success": True})
    graph.answer("GET", f"/v23.0/{WABA}/subscribed_apps",
                 {"data": [{"whatsapp_business_api_data": {"id": "67084", "name": "aimstors"}}]})  # fmt: skip
    graph.answer("POST", f"/v23.0/{PNID}/register", {"success": True})
    async with graph.client() as client:
        assert await client.phone_numbers.subscribe_app(WABA) is True
        apps = await client.phone_numbers.subscribed_apps(WABA)
        assert apps[0]["whatsapp_business_api_data"]["name"] == "aimstors"
        assert await client.phone_numbers.register(PNID, "581063", data_localization_region="DE") is True
        with pytest.raises(InvalidInput, match="pin"):
            await client.phone_numbers.register(PNID, "12ab")
    assert graph.seen[2].json() == {"messaging_product": "whatsapp", "pin": "581063", "data_localization_region": "DE"}
    assert len(graph.seen) == 3  # the bad PIN never left the machine


async def test_embedded_signup_exchanges_subscribes_and_registers(graph: FakeGraph) -> None:
    graph.answer("GET", "/v23.0/oauth/access_token",
                 {"access_token": "EAAB-business-token", "token_type": "bearer", "expires_in": 5183999})  # fmt: skip
    graph.answer("POST", f"/v23.0/{WABA}/subscribed_apps", {"success": True})
    graph.answer("POST", f"/v23.0/{PNID}/register", {"success": True})
    async with graph.client() as client:  # its default token must not reach the code exchange
        result = await client.signup.complete(
            app_id="1234567890", app_secret="app-secret", code="AQDcode", waba_id=WABA, phone_number_id=PNID,
            pin="581063",
        )  # fmt: skip
    assert result.subscribed and result.registered and result.token.expires_in == 5183999
    assert "EAAB-business-token" not in repr(result)
    exchange, subscribe, register = graph.seen
    assert exchange.query == {"client_id": "1234567890", "client_secret": "app-secret", "code": "AQDcode"}
    assert "Authorization" not in exchange.headers
    assert subscribe.headers["Authorization"] == register.headers["Authorization"] == "Bearer EAAB-business-token"


async def test_embedded_signup_stops_at_a_bad_code(graph: FakeGraph) -> None:
    graph.answer("GET", "/v23.0/oauth/access_token", envelope(100, "Invalid verification code format."), status=400)
    async with graph.client() as client:
        with pytest.raises(InvalidParameter):
            await client.signup.exchange_code(app_id="1", app_secret="s", code="expired")
    assert len(graph.seen) == 1


# --- logs ---------------------------------------------------------------------------------------------------------


async def test_logs_hold_no_token_phone_number_or_body(graph: FakeGraph, caplog: pytest.LogCaptureFixture) -> None:
    graph.answer("POST", f"/v23.0/{PNID}/messages", sent_ok())
    graph.answer("POST", f"/v23.0/{PNID}/media", envelope(131053, "Media upload error"), status=400)
    caplog.set_level(logging.DEBUG, logger="aimstors")
    async with graph.client() as client:
        await client.send_message(PNID, OutgoingMessage(TO, Text("secret body text")))
        with pytest.raises(MetaApiError):
            await client.media.upload(PNID, b"data", "image/png")
        with pytest.raises(MetaApiError):
            await client.signup.exchange_code(app_id="1", app_secret="the-app-secret", code="the-code")
    assert any(r.levelno >= logging.WARNING for r in caplog.records)  # failures are logged…
    for record in caplog.records:
        if not record.name.startswith("aimstors"):
            continue  # the fake Graph server's own access log is the test's, not ours
        text = record.getMessage()
        for secret in (TOKEN, "the-app-secret", "the-code"):
            assert secret not in text
        if record.levelno > logging.DEBUG:
            assert "16505551234" not in text and "secret body text" not in text


def test_every_registered_error_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "whatsapp-channel.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `")}
    for code, cls in channel_errors.ERROR_CLASSES.items():
        assert cls.__name__ in rows, f"{cls.__name__} missing from docs/whatsapp-channel.md"
        codes = {part.strip() for part in rows[cls.__name__].split("|")[2].split(",")}
        assert str(code) in codes, f"code {code} missing from the {cls.__name__} row"
        expected = "yes" if cls.retryable else "no"
        assert rows[cls.__name__].split("|")[3].strip().startswith(expected), cls.__name__
