"""Statuses: forward only in any order, errors kept, unknown wamids kept for reconciliation, campaigns settled,
billable deliveries counted once, Meta's opt-out signal applied."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from tests.webhook_world import BILLABLE, USER, count, status, statuses, text_message, wamid

from aimstors.core.db import Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    Conversation,
    Job,
    Message,
    Template,
    UsageEvent,
    WebhookEvent,
)
from aimstors.core.events import EventType
from aimstors.core.inbound import PROCESS_KIND, EventRef, processor_for

from .conftest import Inbound

T0 = 1_800_000_000


async def _sent_message(inbound: Inbound, wamid_: str | None, *, status_: str = "sent") -> tuple[uuid.UUID, int]:
    """An outbound message in a conversation with USER, as the send path records it."""
    db, world = inbound.services.db, inbound.world
    async with db.session(Scope.tenant(world.tenant_a), write=True) as session:
        contact = await session.scalar(select(Contact).where(Contact.wa_id == USER))
        if contact is None:
            contact = Contact(tenant_id=world.tenant_a, wa_id=USER)
            session.add(contact)
            await session.flush()
        conversation = await session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
        if conversation is None:
            conversation = Conversation(tenant_id=world.tenant_a, phone_number_id=world.number_a, contact_id=contact.id)
            session.add(conversation)
            await session.flush()
        message = Message(tenant_id=world.tenant_a, conversation_id=conversation.id, direction="out", type="text",
                          body="hello", status=status_, wamid=wamid_)  # fmt: skip
        session.add(message)
        await session.flush()
        return message.id, conversation.id


async def _message(inbound: Inbound, message_id: uuid.UUID) -> Message:
    async with inbound.services.db.session(Scope.tenant(inbound.world.tenant_a)) as session:
        found = await session.scalar(select(Message).where(Message.id == message_id))
    assert found is not None
    return found


async def test_statuses_out_of_order_and_duplicated_end_in_the_furthest_state(inbound: Inbound) -> None:
    first, second = wamid(), wamid()
    read_id, conversation_id = await _sent_message(inbound, first)
    failed_id, _ = await _sent_message(inbound, second)
    async with inbound.services.events.subscribe({inbound.world.tenant_a}) as events:
        await inbound.receive(statuses([status(first, "read", T0 + 3), status(second, "sent", T0)]))
        await inbound.receive(
            statuses([status(first, "delivered", T0 + 2), status(first, "sent", T0 + 1)]),
            statuses([status(first, "read", T0 + 3), status(first, "delivered", T0 + 2)]),  # a duplicate pair
        )
        failure = {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is gone"}}
        await inbound.receive(statuses([status(second, "failed", T0 + 4, errors=[failure])]))
        await inbound.receive(statuses([status(second, "delivered", T0 + 5), status(second, "read", T0 + 6)]))
        seen = [e for e in iter(events.get_nowait, None)]
    read, failed = await _message(inbound, read_id), await _message(inbound, failed_id)
    assert (read.status, int(read.status_at.timestamp())) == ("read", T0 + 3)  # type: ignore[union-attr]
    assert (failed.status, failed.error_code) == ("failed", 131026)  # terminal: later delivered/read ignored
    assert failed.error is not None and failed.error["details"] == "Receiver is gone"
    assert [(e.type, e.data["status"]) for e in seen] == [
        (EventType.MESSAGE_STATUS, "read"),
        (EventType.MESSAGE_STATUS, "failed"),
    ]
    assert seen[0].conversation_id == conversation_id
    assert await count(inbound.services.db, WebhookEvent.__table__, WebhookEvent.status != "processed") == 0


async def test_a_status_for_an_unknown_wamid_is_kept_and_reconciled_later(inbound: Inbound) -> None:
    db = inbound.services.db
    early = wamid()
    await inbound.receive(statuses([status(early, "delivered", T0)]))
    async with db.session(Scope.system()) as session:
        event = (await session.scalars(select(WebhookEvent))).one()
        later = (await session.scalars(select(Job).where(Job.kind == PROCESS_KIND, Job.status == "queued"))).one()
    assert event.status == "unmatched" and "not known" in (event.error or "")
    assert later.run_at > utcnow() and later.payload["round"] == 1  # retried after a delay, not failed
    # The send's record appears (its answer came after the status); the reconciliation pass applies the status.
    message_id, _ = await _sent_message(inbound, early)
    await processor_for(inbound.services).process([EventRef(event.id, event.received_at)], reconcile_round=1)
    assert (await _message(inbound, message_id)).status == "delivered"
    async with db.session(Scope.system()) as session:
        assert (await session.scalars(select(WebhookEvent))).one().status == "processed"


async def test_a_lost_send_is_settled_by_its_callback_data(inbound: Inbound) -> None:
    message_id, _ = await _sent_message(inbound, None, status_="unknown")
    late = wamid()
    await inbound.receive(statuses([status(late, "delivered", T0, callback=f"m:{message_id}")]))
    message = await _message(inbound, message_id)
    assert (message.wamid, message.status) == (late, "delivered")


async def test_campaign_recipients_settle_forward_only_and_usage_is_counted_once(inbound: Inbound) -> None:
    db, world = inbound.services.db, inbound.world
    async with db.session(Scope.tenant(world.tenant_a), write=True) as session:
        template = Template(tenant_id=world.tenant_a, account_id=world.account_a, name="promo", language="en",
                            category="MARKETING")  # fmt: skip
        session.add(template)
        await session.flush()
        campaign = Campaign(tenant_id=world.tenant_a, name="spring", phone_number_id=world.number_a,
                            template_id=template.id)  # fmt: skip
        session.add(campaign)
        await session.flush()
        lost = CampaignRecipient(tenant_id=world.tenant_a, campaign_id=campaign.id, wa_id=USER, state="unknown",
                                 attempt_id="attempt-1")  # fmt: skip
        skipped = CampaignRecipient(tenant_id=world.tenant_a, campaign_id=campaign.id, wa_id="15550009999",
                                    state="skipped", attempt_id="attempt-2", skip_reason="opted_out")  # fmt: skip
        session.add_all([lost, skipped])
        await session.flush()
        lost_id, skipped_id = lost.id, skipped.id
    sent = wamid()
    await inbound.receive(
        statuses([status(sent, "read", T0 + 9, callback="attempt-1"),
                  status(sent, "delivered", T0 + 5, callback="attempt-1", pricing=BILLABLE),
                  status("wamid.other", "delivered", T0, user="15550009999", callback="attempt-2")])
    )  # fmt: skip
    await inbound.receive(
        statuses([status(sent, "delivered", T0 + 5, callback="attempt-1", pricing=BILLABLE),
                  status(sent, "sent", T0 + 1, callback="attempt-1", pricing=BILLABLE)])
    )  # fmt: skip
    async with db.session(Scope.tenant(world.tenant_a)) as session:
        settled = await session.get(CampaignRecipient, lost_id)
        untouched = await session.get(CampaignRecipient, skipped_id)
        usage = list(await session.scalars(select(UsageEvent)))
    assert settled is not None and untouched is not None
    assert (settled.state, settled.wamid) == ("read", sent)
    assert all(getattr(settled, c) is not None for c in ("sent_at", "delivered_at", "read_at"))
    assert int(settled.sent_at.timestamp()) == T0 + 1  # type: ignore[union-attr]
    assert (untouched.state, untouched.wamid) == ("skipped", None)
    assert [(u.kind, u.category, u.ref) for u in usage] == [("message", "marketing", sent)]


@pytest.mark.sqlite_only  # the logic is the same on Postgres; its setup costs a database
async def test_meta_opt_out_signal_opts_the_contact_out(inbound: Inbound) -> None:
    db, world = inbound.services.db, inbound.world
    await inbound.receive(text_message("hello"))
    stopped = {"code": 131050, "title": "User has stopped marketing messages"}
    held = {"code": 131049, "title": "Held back to maintain healthy ecosystem engagement"}
    await inbound.receive(
        statuses([status(wamid(), "failed", T0, errors=[stopped]), status(wamid(), "failed", T0, errors=[held])])
    )
    async with db.session(Scope.tenant(world.tenant_a)) as session:
        contact = (await session.scalars(select(Contact))).one()
    assert contact.opt_out_source == "meta" and contact.opted_out_at is not None
    assert contact.marketing_limited_until is not None
