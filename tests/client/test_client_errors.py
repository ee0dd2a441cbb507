"""The client's error mapping and request shaping, without a daemon (httpx.MockTransport)."""

from __future__ import annotations

import json
import logging
import socket

import httpx
import pytest

from aimstors.client import (
    AimstorsClient,
    ApiError,
    ConflictError,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    NotFoundError,
)


def _envelope(status: int, code: str, message: str, **extra: object) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, **extra}})


@pytest.mark.parametrize(
    ("response", "cls", "code"),
    [
        (_envelope(409, "conflict", "taken", hint="pick another"), ConflictError, "conflict"),
        (_envelope(404, "not_found", "no contact 9"), NotFoundError, "not_found"),
        (_envelope(403, "permission_denied", "role workspace_agent may not x"), Forbidden, "permission_denied"),
        (_envelope(422, "invalid_input", "bad limit"), InvalidRequest, "invalid_input"),
        (_envelope(402, "insufficient_funds", "not enough"), ApiError, "insufficient_funds"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), ApiError, "http_error"),
    ],
)
async def test_errors_carry_the_envelope(response: httpx.Response, cls: type[ApiError], code: str) -> None:
    async with AimstorsClient("http://daemon", transport=httpx.MockTransport(lambda _r: response)) as client:
        with pytest.raises(cls) as caught:
            await client.me()
    assert type(caught.value) is cls and caught.value.code == code and caught.value.status == response.status_code
    if code == "conflict":
        assert caught.value.hint == "pick another"
    if code == "http_error":
        assert "Bad Gateway" in caught.value.message


async def test_requests_carry_token_tenant_and_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    async with AimstorsClient(
        "http://daemon/", token="t0k", tenant="shop-a", transport=httpx.MockTransport(handler)
    ) as client:
        await client.contacts.list(tag="vip", opted_out=False, q=None)
        await client.contacts.list(tenant="shop-b")
    first, second = seen
    assert first.headers["authorization"] == "Bearer t0k"
    assert dict(first.url.params) == {"tag": "vip", "opted_out": "false", "limit": "50", "tenant": "shop-a"}
    assert second.url.params["tenant"] == "shop-b"


async def test_update_sends_a_merge_patch() -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return _envelope(404, "not_found", "no contact 1")

    async with AimstorsClient("http://daemon", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(NotFoundError):
            await client.contacts.update(1, add_tags=["a"], attributes={"gone": None})
    assert bodies == [{"add_tags": ["a"], "remove_tags": [], "attributes": {"gone": None}}]


async def test_unreachable_daemon_is_a_connection_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        async with AimstorsClient(f"http://127.0.0.1:{port}") as client:
            with pytest.raises(ConnectionFailed, match="cannot reach the daemon"):
                await client.me()


async def test_phone_numbers_in_queries_stay_out_of_info_logs(caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json={"items": [], "next_cursor": None}))
    async with AimstorsClient("http://daemon", transport=transport) as client:
        with caplog.at_level(logging.INFO, logger="httpx"):
            await client.contacts.list(phone="+15550100999", q="Ada Lovelace")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and all("/api/v1/contacts" in line for line in lines)
    assert not any("5550100999" in line or "Lovelace" in line for line in lines)
