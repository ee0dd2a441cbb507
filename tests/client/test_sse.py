"""The client's event stream: the SSE parser, and reconnecting with Last-Event-ID against a tiny SSE server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from aimstors.client import AimstorsClient, AuthenticationError, Backoff, ConnectionFailed, ServerEvent
from aimstors.client.sse import SseParser

FAST = Backoff(initial=0.01, maximum=0.05, max_attempts=3)


def parse(lines: list[str]) -> tuple[list[ServerEvent], SseParser]:
    parser = SseParser()
    return [e for e in map(parser.feed, lines) if e is not None], parser


def test_parser_follows_the_event_stream_rules() -> None:
    events, parser = parse([
        "\ufeff: a comment, e.g. a keep-alive",
        "data: first",
        "",
        "event: message.received",
        "id: 7",
        "data: {\"a\": 1,",
        "data:  \"b\": 2}",
        "",
        "id: 8",  # an id with no data dispatches nothing but moves the last id
        "",
        "data",  # a field name alone is an empty value
        "",
        "id: bad\0id",  # ids with NUL are ignored
        "retry: 2500",
        "retry: soon",
        "unknown: field",
        "data:no space",
        "",
        "data: never completed",
    ])  # fmt: skip
    assert events == [
        ServerEvent("message", "first", None),
        ServerEvent("message.received", '{"a": 1,\n "b": 2}', "7"),
        ServerEvent("message", "", "8"),
        ServerEvent("message", "no space", "8"),
    ]
    assert events[1].json() == {"a": 1, "b": 2}
    assert (parser.last_event_id, parser.retry_ms) == ("8", 2500)
    parser.restart()  # a new connection drops the half-received event, keeps the id
    assert parser.feed("") is None and parser.last_event_id == "8"


def test_backoff_grows_caps_and_follows_the_server_hint() -> None:
    backoff = Backoff(initial=1, maximum=4)
    assert 0.5 <= backoff.delay(1) <= 1 and 1 <= backoff.delay(2) <= 2 and 2 <= backoff.delay(9) <= 4
    assert 0.1 <= backoff.delay(1, server_retry_ms=200) <= 0.2


@dataclass
class TinySse:
    """An HTTP/1.1 server that answers connection N with ``scripts[N]``: a status and raw body chunks.

    ``hold=True`` keeps the connection open after the chunks (until the server stops); else it is closed.
    """

    scripts: list[tuple[int, list[bytes], bool]]
    requests: list[dict[str, str]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        headers["path"] = lines[0].split(" ")[1]
        self.requests.append(headers)
        status, chunks, hold = self.scripts[min(len(self.requests), len(self.scripts)) - 1]
        kind = "text/event-stream" if status == 200 else "application/json"
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nConnection: close\r\n\r\n".encode())
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        if hold:
            await self.stop.wait()
        writer.close()


@pytest.fixture
async def tiny() -> AsyncIterator[tuple[TinySse, str]]:
    sse = TinySse([])
    server = await asyncio.start_server(sse.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield sse, f"http://127.0.0.1:{port}"
    finally:
        sse.stop.set()
        server.close()
        await server.wait_closed()


async def _take(client: AimstorsClient, n: int, **kwargs: object) -> list[ServerEvent]:
    taken: list[ServerEvent] = []
    async with asyncio.timeout(5):
        async for event in client.events(backoff=FAST, **kwargs):  # type: ignore[arg-type]
            taken.append(event)
            if len(taken) == n:
                break
    return taken


async def test_reconnects_after_a_drop_and_an_outage_and_resumes(tiny: tuple[TinySse, str]) -> None:
    sse, url = tiny
    sse.scripts = [
        (200, [b": hello\n\n", b"id: 1\nevent: note\ndata: one\n\n", b"id: 2\ndata: two\r\n\r\n", b"data: cut"], False),
        (503, [b'{"error": {"code": "unavailable", "message": "starting"}}'], False),
        (200, [b"retry: 10\nid: 3\ndata: three\n\n"], True),
    ]  # fmt: skip
    async with AimstorsClient(url, token="tok") as client:
        events = await _take(client, 3)
    assert [(e.id, e.event, e.data) for e in events] == [
        ("1", "note", "one"),
        ("2", "message", "two"),
        ("3", "message", "three"),
    ]
    assert [r.get("last-event-id") for r in sse.requests] == [None, "2", "2"]
    assert {r["path"] for r in sse.requests} == {"/api/v1/events"}
    assert all(r["authorization"] == "Bearer tok" and r["accept"] == "text/event-stream" for r in sse.requests)


async def test_resumes_from_a_given_event_id(tiny: tuple[TinySse, str]) -> None:
    sse, url = tiny
    sse.scripts = [(200, [b"id: 42\ndata: next\n\n"], True)]
    async with AimstorsClient(url, token="tok") as client:
        events = await _take(client, 1, last_event_id="41")
    assert events[0].id == "42" and sse.requests[0]["last-event-id"] == "41"


async def test_an_auth_error_is_raised_not_retried(tiny: tuple[TinySse, str]) -> None:
    sse, url = tiny
    body = json.dumps({"error": {"code": "authentication_failed", "message": "token revoked"}}).encode()
    sse.scripts = [(401, [body], False)]
    async with AimstorsClient(url, token="old") as client:
        with pytest.raises(AuthenticationError) as caught:
            await _take(client, 1)
    assert (caught.value.code, caught.value.message) == ("authentication_failed", "token revoked")
    assert len(sse.requests) == 1


async def test_gives_up_after_max_attempts_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        async with AimstorsClient(f"http://127.0.0.1:{port}") as client:
            with pytest.raises(ConnectionFailed, match="after 3 attempts"):
                await _take(client, 1)
