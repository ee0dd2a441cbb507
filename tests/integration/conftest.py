"""Fixtures for the client <-> sandbox suite: the production :class:`CloudApiClient` over real HTTP against the
sandbox, whose signed webhooks reach a local receiver and are read back with :func:`verify_and_parse`.

One sandbox serves the whole suite on its own thread (``SandboxThread``); each test resets it and points its
webhooks at that test's receiver. The client is built from :class:`Settings` exactly as the product builds it:
only ``meta_graph_url`` differs from production.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web

from aimstors.core.channel import (
    CloudApiClient,
    InboundMessage,
    MessageStatus,
    TemplateStatusUpdate,
    WebhookEvent,
    verify_and_parse,
)
from aimstors.core.security.webhook_signature import SIGNATURE_HEADER
from aimstors.core.settings import Settings
from aimstors.sandbox import (
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    DEFAULT_WABA_ID,
    AccountConfig,
    CallbackConfig,
    PhoneNumberConfig,
    RunningSandbox,
    SandboxConfig,
    SandboxRemote,
    SandboxThread,
    SignupCodeConfig,
    TemplateSeed,
)

APP_SECRET = "integration-app-secret"
APP_ID = "1234567890123456"  # the sandbox's default app id
PNID = DEFAULT_PHONE_NUMBER_ID
WABA = DEFAULT_WABA_ID
TOKEN = DEFAULT_TOKEN
USER = "+1 555 000 1111"
USER_WA_ID = "15550001111"

# Embedded Signup: a customer's WABA and number that the sandbox hands over for this code.
SIGNUP_CODE = "signup-code-from-the-browser"
SIGNUP_TOKEN = "customer-business-token"
SIGNUP_WABA = "300000000000001"
SIGNUP_PNID = "300000000000002"

FAST = CallbackConfig(flush_interval=0.01, delivered_after=0.01, read_after=0.02, retry_initial=0.05, retry_max=0.2)

_QUICK_REPLY_AND_URL = {
    "type": "BUTTONS",
    "buttons": [
        {"type": "QUICK_REPLY", "text": "Track it"},
        {"type": "URL", "text": "Open order", "url": "https://shop.example/orders/{{1}}"},
    ],
}

# Templates the suite sends, besides the default hello_world: every header kind, both parameter styles, every
# button kind the client builds. Seeded by the config, so a reset brings them back APPROVED.
TEMPLATES = (
    TemplateSeed(
        name="order_update",
        category="UTILITY",
        components=(
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{1}}, your order of {{2}} ships on {{3}}. Thank you!"},
            {"type": "FOOTER", "text": "Aimstors Shop"},
            _QUICK_REPLY_AND_URL,
        ),
    ),
    TemplateSeed(
        name="promo_video",
        category="MARKETING",
        components=(
            {"type": "HEADER", "format": "VIDEO"},
            {"type": "BODY", "text": "Watch our {{1}} collection today."},
        ),
    ),
    TemplateSeed(
        name="named_receipt",
        category="UTILITY",
        parameter_format="named",
        components=(
            {"type": "HEADER", "format": "DOCUMENT"},
            {"type": "BODY", "text": "Hello {{first_name}}, receipt {{receipt_id}} is attached."},
        ),
    ),
    TemplateSeed(
        name="named_table",
        category="UTILITY",
        parameter_format="named",
        components=(
            {"type": "HEADER", "format": "TEXT", "text": "Table for {{party_name}}"},
            {"type": "BODY", "text": "Your table for {{party_size}} people is ready."},
            _QUICK_REPLY_AND_URL,
        ),
    ),
    TemplateSeed(
        name="auth_code",
        category="AUTHENTICATION",
        components=(
            {"type": "BODY", "text": "*{{1}}* is your verification code."},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]},
        ),
    ),
)


def sandbox_config() -> SandboxConfig:
    signup = SignupCodeConfig(
        code=SIGNUP_CODE,
        business_token=SIGNUP_TOKEN,
        account=AccountConfig(
            waba_id=SIGNUP_WABA,
            name="Customer WABA",
            phone_numbers=(PhoneNumberConfig(phone_number_id=SIGNUP_PNID, display_phone_number="+1 555-020-0002"),),
        ),
    )
    return SandboxConfig(
        app_secret=APP_SECRET,
        callbacks=FAST,
        seed=11,
        signup_codes=(signup,),
        templates=(*SandboxConfig().templates, *TEMPLATES),
    )


class Hook:
    """A webhook endpoint that keeps each POST's raw bytes and signature header, as a production receiver
    must; :meth:`events` verifies and parses them with the product's :func:`verify_and_parse`."""

    def __init__(self) -> None:
        self.posts: list[tuple[bytes, str | None]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._post)
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
        self.posts.append((await request.read(), request.headers.get(SIGNATURE_HEADER)))
        return web.Response(text="ok")

    def events(self) -> list[WebhookEvent]:
        """Every POST so far, signature-checked and parsed (raises if any signature is wrong)."""
        return [verify_and_parse(raw, signature, APP_SECRET) for raw, signature in self.posts]

    def updates(self) -> list[Any]:
        return [update for event in self.events() for _, update in event.updates()]

    def statuses(self, wamid: str | None = None) -> list[MessageStatus]:
        return [u for u in self.updates() if isinstance(u, MessageStatus) and (wamid is None or u.id == wamid)]

    def inbound(self) -> list[InboundMessage]:
        return [u for u in self.updates() if isinstance(u, InboundMessage)]

    def template_updates(self) -> list[TemplateStatusUpdate]:
        return [u for u in self.updates() if isinstance(u, TemplateStatusUpdate)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {within} s; {len(self.posts)} webhook POSTs")
            await asyncio.sleep(0.01)


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[RunningSandbox]:
    """The sandbox on its own thread, on uvloop as ``aimstors sandbox serve`` runs it.

    On the default asyncio loop, ``running_sandbox``'s listening socket (created with protocol 0) never gets
    TCP_NODELAY on its connections, so every request after the first on a keep-alive connection waits ~40 ms
    (Nagle's algorithm against the client's delayed ACK); uvloop sets TCP_NODELAY itself. The policy is
    switched only while the thread creates its loop.
    """
    previous = asyncio.get_event_loop_policy()
    try:
        import uvloop  # a dependency everywhere but Windows

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    try:
        thread = SandboxThread(sandbox_config())
        running = thread.__enter__()
    finally:
        asyncio.set_event_loop_policy(previous)
    try:
        yield running
    finally:
        thread.__exit__(None, None, None)


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    receiver = Hook()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def remote(shared_sandbox: RunningSandbox, hook: Hook) -> AsyncIterator[SandboxRemote]:
    """The sandbox's control/inspection client, after a reset that points its webhooks at ``hook``."""
    async with SandboxRemote(shared_sandbox.base_url) as client:
        await client.reset()
        await client.settings(webhook_url=hook.url)
        yield client


def settings_for(base_url: str) -> Settings:
    return Settings(meta_graph_url=base_url, meta_app_secret=APP_SECRET)


@pytest.fixture
async def client(shared_sandbox: RunningSandbox, remote: SandboxRemote) -> AsyncIterator[CloudApiClient]:
    """The product's client as the product builds it, with the sandbox's token; only the base URL differs."""
    async with CloudApiClient.from_settings(
        settings_for(shared_sandbox.base_url), access_token=TOKEN, timeout=5.0
    ) as cloud:
        yield cloud
