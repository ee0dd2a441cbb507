"""Fixtures for the sandbox suite: a webhook receiver that checks every signature, and a factory that starts the
sandbox on a real port (in this test's loop) pointed at it, with callback timings short enough for tests."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from aimstors.core.security import webhook_signature
from aimstors.sandbox import (
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    DEFAULT_WABA_ID,
    CallbackConfig,
    RunningSandbox,
    SandboxConfig,
    SandboxRemote,
    SandboxThread,
)

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PNID = DEFAULT_PHONE_NUMBER_ID
WABA = DEFAULT_WABA_ID
TOKEN = DEFAULT_TOKEN
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = "+1 555 000 1111"
USER_WA_ID = "15550001111"
FAST = CallbackConfig(flush_interval=0.01, delivered_after=0.01, read_after=0.02, retry_initial=0.05, retry_max=0.2)


class Receiver:
    """A webhook endpoint: records every POST, verifies ``X-Hub-Signature-256`` on the raw bytes, answers the
    GET handshake, and can be told to fail the next N POSTs."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.bodies: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.fail_next = 0
        self.failed = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._post)
        app.router.add_get("/hook", self._get)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            webhook_signature.verify(body, request.headers.get(webhook_signature.SIGNATURE_HEADER), APP_SECRET)
        except webhook_signature.SignatureInvalid:
            self.bad_signatures += 1
            return web.Response(status=403)
        if self.fail_next > 0:
            self.fail_next -= 1
            self.failed += 1
            return web.Response(status=500)
        self.raw.append(body)
        self.bodies.append(json.loads(body))
        return web.Response(text="ok")

    async def _get(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == VERIFY_TOKEN:
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403)

    def changes(self, field: str | None = None) -> list[dict[str, Any]]:
        return [
            change
            for body in self.bodies
            for entry in body["entry"]
            for change in entry["changes"]
            if field is None or change["field"] == field
        ]

    def statuses(self, wamid: str | None = None) -> list[dict[str, Any]]:
        return [
            status
            for change in self.changes("messages")
            for status in change["value"].get("statuses", [])
            if wamid is None or status["id"] == wamid
        ]

    def messages(self) -> list[dict[str, Any]]:
        return [m for change in self.changes("messages") for m in change["value"].get("messages", [])]

    def template_updates(self) -> list[dict[str, Any]]:
        return [change["value"] for change in self.changes("message_template_status_update")]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {within} s; got {len(self.bodies)} webhook POSTs")
            await asyncio.sleep(0.01)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    await hook.start()
    yield hook
    await hook.stop()


@pytest.fixture
def sandbox_config(receiver: Receiver) -> Callable[..., SandboxConfig]:
    def make(**changes: Any) -> SandboxConfig:
        base: dict[str, Any] = {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "webhook_url": receiver.url,
            "callbacks": FAST,
            "seed": 7,
        }
        base.update(changes)
        return SandboxConfig(**base)

    return make


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[RunningSandbox]:
    """One sandbox for the suite, on its own thread: each test resets it and points it at its receiver (a start
    and stop costs ~0.2 s, mostly uvicorn's shutdown ticks). Tests that need another config start their own."""
    config = SandboxConfig(app_secret=APP_SECRET, verify_token=VERIFY_TOKEN, callbacks=FAST, seed=7)
    with SandboxThread(config) as sandbox:
        yield sandbox


@pytest.fixture
async def running(shared_sandbox: RunningSandbox, receiver: Receiver) -> RunningSandbox:
    async with SandboxRemote(shared_sandbox.base_url) as remote:
        await remote.reset()
        await remote.settings(webhook_url=receiver.url)
    return shared_sandbox


TLS = ssl.create_default_context()  # one for the suite: httpx spends ~50 ms building each otherwise


def http(base_url: str, **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("timeout", 10)
    return httpx.AsyncClient(base_url=base_url, verify=TLS, **kwargs)


@pytest.fixture
async def graph(running: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with http(running.base_url, headers=AUTH) as client:
        yield client


@pytest.fixture
async def remote(running: RunningSandbox) -> AsyncIterator[SandboxRemote]:
    async with SandboxRemote(running.base_url) as client:
        yield client


def text_message(to: str = USER, body: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}, **extra}


def template_message(name: str = "hello_world", to: str = USER, components: Any = None, **extra: Any) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": "en_US"}}
    if components is not None:
        template["components"] = components
    return {"messaging_product": "whatsapp", "to": to, "type": "template", "template": template, **extra}


async def send(graph: httpx.AsyncClient, body: dict[str, Any], number: str = PNID) -> httpx.Response:
    return await graph.post(f"/v23.0/{number}/messages", json=body)


def error_code(response: httpx.Response) -> int:
    return int(response.json()["error"]["code"])
