"""`aimstors webhooks list|show|replay`: unroutable deliveries are reported, shown raw, and replayed once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tests.webhook_world import World, build_world, count, text_message

from aimstors.cli.webhooks import parse_since
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Message, PhoneNumber
from aimstors.core.errors import InvalidInput
from aimstors.core.handlers import build_registry
from aimstors.core.inbound import WebhookIngest
from aimstors.core.queue import Worker
from aimstors.core.security.webhook_signature import meta_json_dumps
from aimstors.core.services import build
from aimstors.core.settings import Settings

from .conftest import Cli

LATER_PNID = "306540352242922"


async def _deliver(settings: Settings) -> World:
    """Two deliveries processed: one for shop-a, one for a number nobody connected yet."""
    services = build(settings)
    try:
        world = await build_world(services.db)
        ingest = WebhookIngest(services.db)
        await ingest.start()
        await ingest.submit(meta_json_dumps(text_message("hello a")))
        await ingest.submit(meta_json_dumps(text_message("hello?", pnid=LATER_PNID, user="15550003333")))
        await ingest.stop()
        await Worker(services.db, build_registry(services), queues=["webhooks"], listen=False).run_until_idle()
        return world
    finally:
        await services.close()


async def _connect_later_number(db_url: str, world: World) -> None:
    db = Database(db_url)
    try:
        async with db.session(Scope.tenant(world.tenant_b), write=True) as session:
            session.add(PhoneNumber(tenant_id=world.tenant_b, account_id=world.account_b,
                                    phone_number_id=LATER_PNID, display_number="15550783883"))  # fmt: skip
    finally:
        await db.dispose()


async def _messages(db_url: str, tenant_id: int) -> int:
    db = Database(db_url)
    try:
        return await count(db, Message.__table__, Message.tenant_id == tenant_id)
    finally:
        await db.dispose()


def test_list_show_and_replay_unroutable_events(cli: Cli, settings: Settings, db_url: str) -> None:
    world = asyncio.run(_deliver(settings))
    env = {"AIMSTORS_DATABASE_URL": db_url, "AIMSTORS_META_APP_SECRET": settings.meta_app_secret}
    listing = cli("webhooks", "list", "--status", "unroutable", "--since", "1h", "--json", env=env)
    assert listing.exit_code == 0, listing.stderr
    events = listing.json()
    assert isinstance(events, list) and len(events) == 1 and events[0]["tenant_id"] is None
    assert "not connected" in events[0]["error"]
    shown = cli("webhooks", "show", events[0]["id"], "--json", env=env).json()
    assert isinstance(shown, dict)
    assert shown["body"]["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] == LATER_PNID
    assert cli("webhooks", "show", "not-an-id", env=env).exit_code == 3
    assert cli("webhooks", "replay", env=env).exit_code == 3  # a replay names what to replay

    asyncio.run(_connect_later_number(db_url, world))
    replayed = cli("webhooks", "replay", "--status", "unroutable", "--json", env=env).json()
    assert replayed == {"events": 1, "processed": 1, "unroutable": 0, "unmatched": 0, "failed": 0, "published": 2}
    again = cli("webhooks", "replay", "--since", "1d", "--json", env=env).json()
    assert isinstance(again, dict) and (again["events"], again["processed"], again["published"]) == (2, 2, 0)
    assert asyncio.run(_messages(db_url, world.tenant_b)) == 1
    assert cli("webhooks", "list", "--status", "unroutable", "--json", env=env).json() == []
    table = cli("webhooks", "list", env=env)
    assert table.exit_code == 0 and "processed" in table.stdout


def test_since_takes_durations_and_dates() -> None:
    now = dt.datetime(2026, 5, 2, 12, tzinfo=dt.UTC)
    assert parse_since("90m", now=now) == now - dt.timedelta(minutes=90)
    assert parse_since("2026-05-01") == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert parse_since("2026-05-01T10:00+02:00") == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput):
        parse_since("yesterday")
