"""Meta's webhook endpoint over real HTTP: handshake, refusals that store nothing, durable group-committed ingest,
duplicates, and one end-to-end run with the sandbox (user says "hi" → signed webhook → daemon → rows + event)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from tests.webhook_world import USER, World, build_world, count, signed, text_message

from aimstors.core.db import Scope
from aimstors.core.db.models import Contact, Conversation, Job, Message, WebhookEvent
from aimstors.core.events import EventType
from aimstors.core.handlers import build_registry
from aimstors.core.inbound import MAX_BODY_BYTES, PROCESS_KIND
from aimstors.core.queue import Worker
from aimstors.core.security.webhook_signature import SIGNATURE_HEADER, sign
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings
from aimstors.daemon.app import create_app

from .conftest import serve

PATH = "/webhooks/whatsapp"


@dataclass
class Hooked:
    url: str
    services: Services
    world: World

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10)

    async def process(self) -> None:
        worker = Worker(self.services.db, build_registry(self.services), queues=["webhooks"], poll_interval=0.05)
        assert (await worker.run_until_idle()).failed == 0

    async def stored(self) -> tuple[int, int]:
        db = self.services.db
        return await count(db, WebhookEvent.__table__), await count(db, Job.__table__, Job.kind == PROCESS_KIND)


async def _running(settings: Settings, roles: tuple[str, ...]) -> AsyncIterator[Hooked]:
    services = build(dataclasses.replace(settings, daemon_roles=roles))
    world = await build_world(services.db)
    try:
        async with serve(create_app(services.settings, services=services)) as url:
            yield Hooked(url, services, world)
    finally:
        await services.close()


@pytest.fixture
async def hooked(settings: Settings) -> AsyncIterator[Hooked]:
    """The daemon with the api role only: tests run the worker themselves, so processing is deterministic."""
    async for running in _running(settings, ("api",)):
        yield running


@pytest.mark.sqlite_only
async def test_verification_handshake(hooked: Hooked) -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"}
    async with hooked.client() as client:
        answer = await client.get(PATH, params=ok)
        assert (answer.status_code, answer.text) == (200, "1158201444")
        assert answer.headers["content-type"].startswith("text/plain")
        for wrong in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}, {"hub.challenge": None}):
            params = {k: v for k, v in (ok | wrong).items() if v is not None}
            refused = await client.get(PATH, params=params)
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "verification_failed"


async def test_bad_deliveries_are_refused_and_store_nothing(hooked: Hooked) -> None:
    body, headers = signed(text_message("hello"))
    oversized = b'{"object":"whatsapp_business_account","pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    cases = [
        (body, {}, 401, "signature_missing"),
        (body, {SIGNATURE_HEADER: ""}, 401, "signature_missing"),
        (body, {SIGNATURE_HEADER: sign(body, "not-our-secret")}, 403, "signature_invalid"),
        (body, {SIGNATURE_HEADER: "sha1=abc"}, 403, "signature_invalid"),
        (body + b" ", headers, 403, "signature_invalid"),  # one byte more than what was signed
        (b"{not json", {SIGNATURE_HEADER: sign(b"{not json", "test-app-secret")}, 400, "malformed_webhook"),
        (b"[1, 2]", {SIGNATURE_HEADER: sign(b"[1, 2]", "test-app-secret")}, 400, "malformed_webhook"),
        (oversized, {SIGNATURE_HEADER: sign(oversized, "test-app-secret")}, 400, "body_too_large"),
    ]
    async with hooked.client() as client:
        for content, extra, status_code, code in cases:
            answer = await client.post(PATH, content=content, headers={"Content-Type": "application/json", **extra})
            assert (answer.status_code, answer.json()["error"]["code"]) == (status_code, code)
        metrics = (await client.get("/metrics")).text
    assert await hooked.stored() == (0, 0)
    assert 'aimstors_webhooks_received_total{outcome="signature_missing"} 2.0' in metrics
    assert 'aimstors_webhooks_received_total{outcome="too_large"} 1.0' in metrics


async def test_a_delivery_is_stored_then_processed_into_rows_and_an_event(hooked: Hooked) -> None:
    body, headers = signed(text_message("Does it come in blue?"))
    async with hooked.services.events.subscribe({hooked.world.tenant_a}) as events:
        async with hooked.client() as client:
            first = await client.post(PATH, content=body, headers=headers)
            again = await client.post(PATH, content=body, headers=headers)  # Meta retried: a duplicate
            metrics = (await client.get("/metrics")).text
        assert (first.status_code, first.json(), again.status_code, again.json()) == (
            200, {"status": "stored"}, 200, {"status": "duplicate"},
        )  # fmt: skip
        assert await hooked.stored() == (1, 1)  # stored once, one processing job
        async with hooked.services.db.session(Scope.system()) as session:
            assert (await session.scalars(select(WebhookEvent.body))).one() == body  # byte for byte
        await hooked.process()
        received = [e for e in iter(events.get_nowait, None) if e.type == EventType.MESSAGE_RECEIVED]
    db, tenant = hooked.services.db, hooked.world.tenant_a
    async with db.session(Scope.tenant(tenant)) as session:
        contact = (await session.scalars(select(Contact).where(Contact.tenant_id == tenant))).one()
        conversation = (await session.scalars(select(Conversation).where(Conversation.tenant_id == tenant))).one()
        message = (await session.scalars(select(Message).where(Message.tenant_id == tenant))).one()
    assert contact.wa_id == USER and conversation.contact_id == contact.id
    assert message.body == "Does it come in blue?" and message.conversation_id == conversation.id
    assert len(received) == 1 and received[0].data["message_id"] == str(message.id)
    assert 'outcome="stored"} 1.0' in metrics and 'outcome="duplicate"} 1.0' in metrics


async def test_concurrent_deliveries_share_transactions_and_each_gets_one_job(hooked: Hooked) -> None:
    bodies = [signed(text_message(f"message {i}", user=f"1555000{i:04d}")) for i in range(60)]
    async with hooked.client() as client:
        answers = await asyncio.gather(*(client.post(PATH, content=b, headers=h) for b, h in bodies))
    assert {a.status_code for a in answers} == {200}
    async with hooked.services.db.session(Scope.system()) as session:
        event_ids = set(await session.scalars(select(WebhookEvent.id)))
        jobs = list(await session.scalars(select(Job).where(Job.kind == PROCESS_KIND)))
    covered = [item[0] for job in jobs for item in job.payload["events"]]
    assert len(event_ids) == 60 and sorted(covered) == sorted(str(i) for i in event_ids)  # each exactly once
    assert len(jobs) < 60  # group commit: several deliveries per transaction (one job per transaction)
    await hooked.process()
    assert await count(hooked.services.db, Message.__table__) == 60


async def test_end_to_end_sandbox_user_says_hi(settings: Settings) -> None:
    """Sandbox user says "hi" → signed webhook → daemon (all roles: its own worker) → rows + a live event."""
    from aimstors.sandbox import CallbackConfig, SandboxConfig, SandboxRemote, running_sandbox

    async for daemon in _running(settings, ("api", "worker", "scheduler")):
        config = SandboxConfig(
            webhook_url=daemon.url + PATH,
            app_secret=settings.meta_app_secret,
            callbacks=CallbackConfig(flush_interval=0.01),
        )
        live = daemon.services.events.subscribe({daemon.world.tenant_a})
        async with live as events, running_sandbox(config) as sandbox, SandboxRemote(sandbox.base_url) as remote:
            wamid = await remote.say("+1 650 555 1234", "hi", name="Sheena")
            await remote.wait_idle()
            event = await asyncio.wait_for(_first(events, EventType.MESSAGE_RECEIVED), timeout=10)
        assert (event.data["wamid"], event.data["text"], event.data["contact_name"]) == (wamid, "hi", "Sheena")
        tenant = daemon.world.tenant_a
        async with daemon.services.db.session(Scope.tenant(tenant)) as session:
            message = (await session.scalars(select(Message).where(Message.tenant_id == tenant))).one()
            contact = (await session.scalars(select(Contact).where(Contact.tenant_id == tenant))).one()
        assert (message.wamid, message.body, contact.wa_id) == (wamid, "hi", "16505551234")
        async with daemon.services.db.session(Scope.system()) as session:
            assert (await session.scalars(select(WebhookEvent.status))).one() == "processed"


async def _first(events: AsyncIterator[object], kind: str) -> object:
    async for event in events:
        if getattr(event, "type", None) == kind:
            return event
    raise AssertionError("the stream ended")
