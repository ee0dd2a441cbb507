"""The domain event bus: tenant filtering, bounded queues that drop and flag, resumable ids, the Postgres bridge."""

from __future__ import annotations

import asyncio
import json

import pytest

from aimstors.core.db import Database
from aimstors.core.events import DomainEvent, EventBus, EventType, bus_for_database, next_event_id
from aimstors.core.events.bridge import MAX_PAYLOAD_BYTES, notify_payload


def event(tenant_id: int, text: str = "hi", conversation_id: int | None = None) -> DomainEvent:
    return DomainEvent.create(tenant_id, EventType.MESSAGE_RECEIVED, {"text": text}, conversation_id=conversation_id)


def drain(subscription: object) -> list[DomainEvent]:
    return list(iter(subscription.get_nowait, None))  # type: ignore[attr-defined]


async def test_subscribers_see_only_their_tenants_events() -> None:
    bus = EventBus()
    with bus.subscribe({1}) as a, bus.subscribe({2}) as b, bus.subscribe({1, 2}) as both, bus.subscribe(None) as sys:
        await bus.publish([event(1, "for one"), event(2, "for two"), event(3, "for three")])
        assert [e.data["text"] for e in drain(a)] == ["for one"]
        assert [e.data["text"] for e in drain(b)] == ["for two"]
        assert [e.tenant_id for e in drain(both)] == [1, 2]
        assert [e.tenant_id for e in drain(sys)] == [1, 2, 3]


async def test_a_filter_narrows_further_and_iteration_ends_on_close() -> None:
    bus = EventBus()
    mine = bus.subscribe({1}, accept=lambda e: e.conversation_id == 7)
    await bus.publish([event(1, "other", conversation_id=8), event(1, "mine", conversation_id=7)])
    mine.close()
    assert [e.data["text"] async for e in mine] == ["mine"]
    assert bus.subscriber_count == 0


async def test_a_slow_subscriber_drops_and_is_flagged_without_slowing_the_publisher() -> None:
    bus = EventBus(queue_size=3)
    slow, fast = bus.subscribe({1}), bus.subscribe({1}, queue_size=100)
    await asyncio.wait_for(bus.publish([event(1, str(i)) for i in range(10)]), timeout=1)
    assert [e.data["text"] for e in drain(slow)] == ["0", "1", "2"]
    assert slow.take_dropped() == 7 and slow.take_dropped() == 0
    assert len(drain(fast)) == 10 and fast.dropped == 0


async def test_ids_increase_and_resume_after_last_event_id() -> None:
    ids = [next_event_id() for _ in range(10_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    bus = EventBus(replay_size=5)
    published = [event(1, str(i)) for i in range(8)]
    await bus.publish(published)
    resumed = bus.subscribe({1}, last_event_id=published[5].id)
    assert [e.data["text"] for e in drain(resumed)] == ["6", "7"] and not resumed.gap
    too_old = bus.subscribe({1}, last_event_id=published[0].id)
    assert [e.data["text"] for e in drain(too_old)] == ["3", "4", "5", "6", "7"] and too_old.gap


async def test_a_waiting_iterator_wakes_up_on_publish() -> None:
    bus = EventBus()
    async with bus.subscribe({1}) as events:
        waiter = asyncio.create_task(anext(aiter(events)))
        await asyncio.sleep(0.01)
        await bus.publish([event(1, "now")])
        assert (await asyncio.wait_for(waiter, 1)).data["text"] == "now"


def test_notify_payloads_stay_under_postgres_limit_and_round_trip() -> None:
    small = event(1, "short")
    assert DomainEvent.from_dict(json.loads(notify_payload("o", small))["e"]) == small
    huge = event(1, "é" * 20_000)
    payload = notify_payload("o", huge)
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    data = json.loads(payload)["e"]["data"]
    assert data["truncated"] is True and data["text"].startswith("é")


@pytest.mark.postgres
async def test_postgres_bridge_delivers_across_processes_once(pg_url: str) -> None:
    db = Database(pg_url)
    here, there = bus_for_database(db), bus_for_database(db)
    try:
        await here.start()
        await there.start()
        async with here.subscribe({1}) as local, there.subscribe({1}) as remote, there.subscribe({2}) as other:
            await here.publish([event(1, "across")])
            got = await asyncio.wait_for(anext(aiter(remote)), 5)
            assert got.data["text"] == "across" and got.id == drain(local)[0].id
            await asyncio.sleep(0.1)
            assert drain(local) == [] and other.pending == 0  # no echo of our own notification; no other tenant
    finally:
        await here.close()
        await there.close()
        await db.dispose()
