"""Concurrent processing calls (the worker runs several jobs at once): on SQLite they share write transactions,
and each call still gets exactly its own events' outcomes, whatever another call's events do."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event, select
from tests.webhook_world import text_message, wamid

from aimstors.core.db import Scope
from aimstors.core.db.models import Message, WebhookEvent
from aimstors.core.inbound import InboundProcessor, ProcessReport, processor_for
from aimstors.core.inbound.jobs import EventRef

from .conftest import Inbound

CALLS, EACH = 4, 3


async def _refs(inbound: Inbound, texts: list[str]) -> list[EventRef]:
    receipts = await inbound.deliver(*(text_message(t, message_id=wamid(), user=f"1555010{i:04d}")
                                       for i, t in enumerate(texts)))  # fmt: skip
    return [EventRef(r.event_id, r.received_at) for r in receipts]


def _all_waiting(processor: InboundProcessor, calls: int) -> Any:
    """A pause that holds the applier until every call has handed it its events, so they meet in one group."""

    async def pause() -> None:
        for _ in range(500):
            if sum(1 for w in processor._waiting if not w.done.done()) >= calls:
                return
            await asyncio.sleep(0.01)

    return pause


def _outcome_statements(inbound: Inbound) -> list[int]:
    """Counts the statements that record outcomes: one per write transaction of processing."""
    seen: list[int] = []

    @event.listens_for(inbound.services.db.engine.sync_engine, "before_cursor_execute")
    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE webhook_events SET"):
            seen.append(1)

    return seen


async def test_concurrent_calls_share_a_transaction_and_each_gets_its_own_report(inbound: Inbound) -> None:
    db = inbound.services.db
    batches = [await _refs(inbound, [f"call {c} message {m}" for m in range(EACH)]) for c in range(CALLS)]
    processor = processor_for(inbound.services)
    processor.pause = _all_waiting(processor, CALLS)
    transactions = _outcome_statements(inbound)
    async with inbound.services.events.subscribe({inbound.world.tenant_a}) as events:
        reports: list[ProcessReport] = await asyncio.gather(*(processor.process(refs) for refs in batches))
        published = len(list(iter(events.get_nowait, None)))
    assert [dict(r.statuses) for r in reports] == [{"processed": EACH}] * CALLS
    assert sum(r.published for r in reports) == published > 0
    # SQLite writes one group in one transaction; Postgres runs the calls' transactions side by side
    assert len(transactions) == (1 if db.is_sqlite else CALLS)
    async with db.session(Scope.tenant(inbound.world.tenant_a)) as session:
        bodies = sorted(m.body for m in await session.scalars(select(Message)))
    assert bodies == sorted(f"call {c} message {m}" for c in range(CALLS) for m in range(EACH))


@pytest.mark.sqlite_only  # the grouping is SQLite's; Postgres isolates per call as before
async def test_a_failing_event_spoils_only_itself_not_the_calls_it_shared_a_transaction_with(
    inbound: Inbound, poison: str
) -> None:
    clean = await _refs(inbound, ["one", "two"])
    spoiled = await _refs(inbound, ["three", poison])
    processor = processor_for(inbound.services)
    processor.pause = _all_waiting(processor, 2)
    reports = await asyncio.gather(processor.process(clean), processor.process(spoiled))
    assert [dict(r.statuses) for r in reports] == [{"processed": 2}, {"processed": 1, "failed": 1}]
    async with inbound.services.db.session(Scope.system()) as session:
        outcomes = Counter(e.status for e in await session.scalars(select(WebhookEvent)))
        bodies = sorted(m.body for m in await session.scalars(select(Message)))
    assert outcomes == Counter({"processed": 3, "failed": 1})
    assert bodies == ["one", "three", "two"]


@pytest.mark.sqlite_only
async def test_a_caller_that_gives_up_before_its_turn_leaves_its_events_for_the_retry(inbound: Inbound) -> None:
    first = await _refs(inbound, ["kept"])
    gone = await _refs(inbound, ["abandoned"])
    processor = processor_for(inbound.services)
    release = asyncio.Event()

    async def held() -> None:
        await release.wait()

    processor.pause = held
    kept = asyncio.create_task(processor.process(first))
    await asyncio.sleep(0.1)
    abandoned = asyncio.create_task(processor.process(gone))
    await asyncio.sleep(0.1)
    abandoned.cancel()  # the worker's grace ran out: the job will be retried
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    processor.pause = None
    release.set()
    assert dict((await kept).statuses) == {"processed": 1}
    async with inbound.services.db.session(Scope.system()) as session:
        statuses = sorted(e.status for e in await session.scalars(select(WebhookEvent)))
    assert statuses == ["pending", "processed"]
