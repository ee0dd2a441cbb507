"""Issue 4's end to end, over real HTTP on both databases:

sandbox user says "hi" → signed webhook → daemon → contact, conversation and message rows → an SSE event on a
connected typed client → the agent replies through the API → the sandbox receives it → status callbacks move the
reply to delivered and read (and the stream says so).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

from sqlalchemy import select

from aimstors.client import AimstorsClient
from aimstors.core import whatsapp_accounts
from aimstors.core.db import Scope
from aimstors.core.db.models import Contact, Conversation, Message
from aimstors.core.security import Actor, Role
from aimstors.core.services import build
from aimstors.core.settings import Settings
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants, users
from aimstors.daemon.app import create_app
from aimstors.sandbox import CallbackConfig, SandboxConfig, SandboxRemote, running_sandbox

from .conftest import free_port, serve

SANDBOX_NUMBER = "106540352242922"  # SandboxConfig's default number and token
SANDBOX_TOKEN = "sandbox-token"


async def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.05)


async def test_hi_reply_delivered_read(settings: Settings) -> None:
    port = free_port()
    config = SandboxConfig(
        webhook_url=f"http://127.0.0.1:{port}/webhooks/whatsapp",
        app_secret=settings.meta_app_secret,
        callbacks=CallbackConfig(flush_interval=0.01),
    )
    async with running_sandbox(config) as sandbox, SandboxRemote(sandbox.base_url) as remote:
        services = build(dataclasses.replace(settings, meta_graph_url=sandbox.base_url))
        try:
            system = Actor.system()
            await initialise(services.db, admin_email="root@example.com", admin_password="long enough pw")
            await tenants.create_tenant(services.db, system, slug="shop")
            await users.create_user(
                services.db,
                system,
                email="agent@shop.test",
                password="long enough pw",
                tenant_slug="shop",
                role=Role.WORKSPACE_AGENT,
            )
            waba = config.accounts[0].waba_id
            await whatsapp_accounts.connect_account(
                services,
                system,
                tenant_slug="shop",
                waba_id=waba,
                access_token=SANDBOX_TOKEN,
                phone_number_ids=[SANDBOX_NUMBER],
            )  # the real connect path: checks the number with (emulated) Meta, stores the token encrypted
            app = create_app(services.settings, services=services)
            async with serve(app, port=port) as url, AimstorsClient(url) as client:
                await client.login("agent@shop.test", "long enough pw")
                stream = client.events()

                async def next_received():  # type: ignore[no-untyped-def]
                    async for event in stream:  # other events (e.g. a template sync at start) pass by
                        if event.event == "message.received":
                            return event
                    raise AssertionError("the stream ended")

                first = asyncio.create_task(next_received())
                await asyncio.sleep(0.3)  # let the stream subscribe before the user speaks

                wamid = await remote.say("+1 650 555 1234", "hi", name="Sheena")
                received = await asyncio.wait_for(first, 15)
                payload = json.loads(received.data)
                assert payload["data"]["text"] == "hi" and payload["data"]["wamid"] == wamid

                page = await client.conversations.list()
                assert len(page.items) == 1 and page.items[0].contact_name == "Sheena"
                conversation = page.items[0]
                assert conversation.window_open

                sent = await client.conversations.send_text(conversation.id, "Hello Sheena, how can I help?")
                assert sent.status == "sent" and sent.wamid

                async def read_in_db() -> bool:
                    async with services.db.session(Scope.system()) as session:
                        status = await session.scalar(select(Message.status).where(Message.wamid == sent.wamid))
                    return status == "read"

                await _wait_for(read_in_db)
                seen = set()
                async with asyncio.timeout(10):
                    async for event in stream:
                        data = json.loads(event.data)
                        if event.event == "message.status" and data["data"].get("wamid") == sent.wamid:
                            seen.add(data["data"]["status"])
                        if "read" in seen:
                            break
                await stream.aclose()

            delivered = await remote.messages(to="16505551234")
            assert [m["body"]["text"]["body"] for m in delivered] == ["Hello Sheena, how can I help?"]
            assert delivered[0]["statuses"] == ["sent", "delivered", "read"]
            assert delivered[0]["biz_opaque_callback_data"].startswith("m:")
            async with services.db.session(Scope.system()) as session:
                contact = (await session.scalars(select(Contact))).one()
                conv = (await session.scalars(select(Conversation))).one()
                messages = list(await session.scalars(select(Message).order_by(Message.created_at)))
            assert (contact.wa_id, contact.profile_name) == ("16505551234", "Sheena")
            assert conv.contact_id == contact.id
            assert [(m.direction, m.body, m.status) for m in messages] == [
                ("in", "hi", "received"),
                ("out", "Hello Sheena, how can I help?", "read"),
            ]
        finally:
            await services.close()
