"""Opt-out keywords, template updates, and replays that change nothing the first pass did not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.webhook_world import count, recorded, template_status, text_message, wamid

from aimstors.core.db import Scope
from aimstors.core.db.models import AuditEntry, Contact, Conversation, Message, PhoneNumber, Template, WebhookEvent
from aimstors.core.events import EventType
from aimstors.core.inbound import KeywordMatcher, processor_for, replay
from aimstors.core.security import Actor
from aimstors.core.settings import OPTIN_KEYWORDS, OPTOUT_KEYWORDS

from .conftest import Inbound


@pytest.mark.parametrize(
    ("text", "decision"),
    [("STOP", "out"), (" stop! ", "out"), ("Arrêt", "out"), ("alto.", "out"), ("Stop promotions", "out"),
     ("START", "in"), ("unstop", "in"), ("stop sending me the wrong size", None), ("", None), ("hello", None)],
)  # fmt: skip
def test_keywords_match_whole_messages_in_any_case_and_accent(text: str, decision: str | None) -> None:
    assert KeywordMatcher(OPTOUT_KEYWORDS, OPTIN_KEYWORDS).decide(text) == decision


async def test_stop_then_start(inbound: Inbound) -> None:
    db, world = inbound.services.db, inbound.world

    async def contact() -> Contact:
        async with db.session(Scope.tenant(world.tenant_a)) as session:
            return (await session.scalars(select(Contact))).one()

    async with inbound.services.events.subscribe({world.tenant_a}) as events:
        await inbound.receive(text_message("STOP", ts=1_800_000_000))
        stopped = await contact()
        await inbound.receive(text_message("Start", ts=1_800_000_060))
        updates = [e.data for e in iter(events.get_nowait, None) if e.type == EventType.CONTACT_UPDATED]
    assert (stopped.opt_out_source, stopped.opted_out_at is not None) == ("keyword", True)
    assert ((await contact()).opted_out_at, (await contact()).opt_out_source) == (None, None)
    assert [u["opted_out"] for u in updates] == [True, False]
    async with db.session(Scope.tenant(world.tenant_a)) as session:
        about_contacts = select(AuditEntry).where(AuditEntry.target_type == "contact").order_by(AuditEntry.id)
        trail = [a.action for a in await session.scalars(about_contacts)]
    assert trail == ["contact.optout", "contact.optin"]  # the consent trail
    assert await count(db, Message.__table__) == 2  # the keywords are messages too, in the inbox


async def test_template_status_and_quality_updates_apply_once_and_never_roll_back(inbound: Inbound) -> None:
    db, world = inbound.services.db, inbound.world
    from tests.webhook_world import add_template

    template_id = await add_template(db, world.tenant_a, world.account_a, name="spring_sale", meta_id="4242")
    now = int(dt.datetime.now(dt.UTC).timestamp())
    async with inbound.services.events.subscribe({world.tenant_a}) as events:
        await inbound.receive(template_status("4242", "spring_sale", "APPROVED", time=now))
        quality = recorded("message_template_quality_update.json")
        quality["entry"][0]["id"] = "102290129340398"
        value = quality["entry"][0]["changes"][0]["value"]
        value.update(message_template_id=4242, message_template_name="spring_sale", message_template_language="en_US")
        quality["entry"][0]["time"] = now + 1
        await inbound.receive(quality)
        # An old event replayed later (a day before) must not undo the approval.
        await inbound.receive(template_status("4242", "spring_sale", "PENDING", time=now - 86_400))
        seen = [e for e in iter(events.get_nowait, None)]
    async with db.session(Scope.tenant(world.tenant_a)) as session:
        template = await session.get(Template, template_id)
    assert template is not None
    assert (template.status, template.quality_score) == ("APPROVED", value["new_quality_score"])
    assert [e.type for e in seen] == [EventType.TEMPLATE_UPDATED, EventType.TEMPLATE_UPDATED]
    assert seen[0].data["status"] == "APPROVED" and seen[0].data["name"] == "spring_sale"


async def test_replay_is_idempotent_and_picks_up_a_number_connected_later(inbound: Inbound) -> None:
    db, world = inbound.services.db, inbound.world
    await inbound.receive(text_message("first"), text_message("second"), recorded("statuses_sent_delivered_read.json"))
    stray = text_message("to a number connected later", pnid="306540352242922", user="15550002222")
    await inbound.receive(stray)
    tables = (Contact.__table__, Conversation.__table__, Message.__table__)
    before = [await count(db, t) for t in tables]
    processor = processor_for(inbound.services)
    system = Actor.system()
    async with inbound.services.events.subscribe(None) as events:
        first = await replay(db, processor, system, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        second = await replay(db, processor, system, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        assert events.pending == 0  # nothing changed, so nothing to tell anyone
    assert first == second and first.events == 4 and first.unroutable == 1
    assert [await count(db, t) for t in tables] == before
    # Connect the number, then replay only what was unroutable: it is applied now, once.
    async with db.session(Scope.tenant(world.tenant_b), write=True) as session:
        session.add(PhoneNumber(tenant_id=world.tenant_b, account_id=world.account_b,
                                phone_number_id="306540352242922", display_number="15550783883"))  # fmt: skip
    result = await replay(db, processor, system, status="unroutable")
    assert (result.events, result.processed) == (1, 1)
    assert await count(db, Message.__table__, Message.tenant_id == world.tenant_b) == 1
    assert await count(db, WebhookEvent.__table__, WebhookEvent.status == "unroutable") == 0
    await replay(db, processor, system, status="processed")
    assert await count(db, Message.__table__) == before[2] + 1


@pytest.mark.sqlite_only  # the logic is the same on Postgres; its setup costs a database
async def test_replay_needs_a_selection(inbound: Inbound) -> None:
    from aimstors.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        await replay(inbound.services.db, processor_for(inbound.services), Actor.system())


@pytest.mark.sqlite_only  # the logic is the same on Postgres; its setup costs a database
async def test_a_failing_event_is_marked_failed_and_does_not_block_the_batch(inbound: Inbound, poison: str) -> None:
    await inbound.deliver(text_message("fine", message_id=wamid()), text_message(poison))
    await inbound.process()
    async with inbound.services.db.session(Scope.system()) as session:
        outcome = {e.status for e in await session.scalars(select(WebhookEvent))}
        bodies = [m.body for m in await session.scalars(select(Message))]
    assert outcome == {"processed", "failed"} and bodies == ["fine"]
