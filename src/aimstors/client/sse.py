"""Server-Sent Events: a line parser that follows the WHATWG rules, and a stream that reconnects.

:class:`SseParser` turns lines into :class:`ServerEvent` objects (``id:``, ``event:``, ``data:``, ``retry:``;
comments and unknown fields ignored). :func:`event_stream` keeps a GET open, yields events as they come, and when
the connection drops or the daemon is briefly unavailable it waits (exponential backoff with jitter, or the
server's ``retry:``) and reconnects with ``Last-Event-ID`` so no event is missed or repeated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from aimstors.client.errors import ConnectionFailed, error_from_response

__all__ = ["Backoff", "ServerEvent", "SseParser", "event_stream"]

log = logging.getLogger(__name__)

# Statuses that mean "try again shortly" rather than "you may not".
_RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One event: ``event`` is its type (``message`` when the server named none), ``data`` its text payload.

    ``id`` is the stream's last event id when the event was dispatched (it carries over from earlier events when
    this one had no ``id:`` line), which is what a reconnect resumes from.
    """

    event: str
    data: str
    id: str | None = None

    def json(self) -> Any:
        """``data`` decoded as JSON."""
        return json.loads(self.data)


class SseParser:
    """Feed it the lines of a stream (without their line endings); it returns each event when complete."""

    def __init__(self, last_event_id: str | None = None) -> None:
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None
        self._data: list[str] = []
        self._event = ""
        self._first = True

    def restart(self) -> None:
        """Start a new connection: a half-received event is dropped; the last event id and retry delay are kept."""
        self._data, self._event, self._first = [], "", True

    def feed(self, line: str) -> ServerEvent | None:
        """Process one line; returns the event that a blank line completes, else None."""
        if self._first:
            self._first = False
            line = line.removeprefix("\ufeff")
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment, e.g. a keep-alive
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value or None
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> ServerEvent | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return ServerEvent(event=event or "message", data="\n".join(data), id=self.last_event_id)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``initial`` seconds doubling per failed attempt up to ``maximum``, with jitter.

    ``max_attempts`` consecutive failures (None: never give up) end the stream with ConnectionFailed.
    """

    initial: float = 0.5
    maximum: float = 30.0
    max_attempts: int | None = None

    def delay(self, attempt: int, server_retry_ms: int | None = None) -> float:
        base = server_retry_ms / 1000 if server_retry_ms is not None else self.initial
        ceiling = min(self.maximum, base * 2.0 ** max(attempt - 1, 0))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography


async def event_stream(
    http: httpx.AsyncClient,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    last_event_id: str | None = None,
    backoff: Backoff | None = None,
) -> AsyncGenerator[ServerEvent, None]:
    """Yield events from ``GET path`` for as long as the caller iterates, reconnecting as needed.

    Error statuses other than overload/unavailability (401, 403, 404, ...) raise the matching ApiError at once:
    retrying would not change the answer.
    """
    backoff = backoff or Backoff()
    parser = SseParser(last_event_id)
    failures = 0
    while True:
        request_headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache", **(headers or {})}
        if parser.last_event_id is not None:
            request_headers["Last-Event-ID"] = parser.last_event_id
        try:
            async with http.stream(
                "GET", path, headers=request_headers, params=params, timeout=httpx.Timeout(10.0, read=None)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    if response.status_code not in _RETRYABLE:
                        raise error_from_response(response)
                    log.info("event stream: HTTP %s, will reconnect", response.status_code)
                else:
                    parser.restart()
                    async for line in response.aiter_lines():
                        event = parser.feed(line)
                        if event is not None:
                            failures = 0
                            yield event
                    log.info("event stream ended by the server, will reconnect")
        except httpx.TransportError as exc:
            log.info("event stream connection failed (%s), will reconnect", type(exc).__name__)
        failures += 1
        if backoff.max_attempts is not None and failures > backoff.max_attempts:
            raise ConnectionFailed(f"the event stream at {path} could not be resumed after {failures - 1} attempts")
        await asyncio.sleep(backoff.delay(failures, parser.retry_ms))
