"""Processing stored webhook events: parse, route, apply to every tenant's rows, record, publish.

One :meth:`InboundProcessor.process` call handles a batch (a ``webhook.process`` job, or a replay): the raw bodies
are read and parsed outside any write transaction, then one write transaction routes every update by
``phone_number_id`` (WABA id for account-level updates), applies each tenant's share inside that tenant's scope
(so row-level security on Postgres backs the routing up), records each event's outcome in ``webhook_events`` and
schedules reconciliation for statuses that named unknown messages. Domain events are published after the commit.

Everything is idempotent, so replays and at-least-once job delivery are safe: inbound messages are stored once
per (tenant, wamid), statuses only move forward, usage is recorded once per wamid.

Outcomes (``webhook_events.status``): ``processed``; ``unroutable`` (some update was for a number or account
not connected here — kept, applied later by a replay once it is); ``unmatched`` (a status named a message
not known yet — processed again after :data:`~aimstors.core.inbound.jobs.RECONCILE_DELAYS`); ``failed`` (the
event could not be applied; its error is recorded and the rest of the batch goes on).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import msgspec
from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.channel import MalformedWebhook, StatusKind, parse_event
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import WebhookEvent
from aimstors.core.errors import DatabaseUnavailable
from aimstors.core.events import DomainEvent, EventBus, EventType
from aimstors.core.inbound.consent import (
    MARKETING_LIMIT,
    MARKETING_LIMITED,
    OPTED_OUT_BY_USER,
    ConsentChange,
    KeywordMatcher,
    apply_consent,
    limit_marketing,
)
from aimstors.core.inbound.contacts import CONTACTS, Sender, sender_of, upsert_senders
from aimstors.core.inbound.conversations import ConversationKey, open_conversations
from aimstors.core.inbound.jobs import PROCESS_KIND, RECONCILE_DELAYS, WEBHOOK_QUEUE, EventRef, process_payload
from aimstors.core.inbound.locks import lock_names
from aimstors.core.inbound.messages import existing_wamids, inbound_row, insert_rows, keyword_text
from aimstors.core.inbound.plan import (
    EventOutcome,
    InboundItem,
    ParsedEvent,
    StatusItem,
    TenantWork,
    build_plan,
    ids_to_route,
    unix_time,
)
from aimstors.core.inbound.recipients import settle_recipients
from aimstors.core.inbound.routing import load_routes
from aimstors.core.inbound.statuses import apply_to_messages
from aimstors.core.inbound.templates import apply_template_updates
from aimstors.core.inbound.usage import record_usage
from aimstors.core.queue import JobSpec, enqueue_many

__all__ = ["InboundProcessor", "ProcessReport"]

log = logging.getLogger("aimstors.inbound")

EVENTS: Final[Table] = cast(Table, WebhookEvent.__table__)
_e = EVENTS.c
_PARSE_IN_THREAD_BYTES: Final = 256 * 1024
# The parser the daemon checked the body with when it arrived (~3 µs a delivery against ~16 µs for json.loads).
_decode: Final = msgspec.json.Decoder().decode
_LEAVE_TENANT = text("SELECT set_config('role', 'none', true), set_config('aimstors.tenant_ids', '*', true)")


@dataclass(slots=True)
class ProcessReport:
    """What one batch did: events by outcome, and the domain events published."""

    statuses: Counter[str] = field(default_factory=Counter)
    published: int = 0

    @property
    def events(self) -> int:
        return sum(self.statuses.values())

    def add(self, other: ProcessReport) -> None:
        self.statuses.update(other.statuses)
        self.published += other.published


@dataclass(slots=True)
class _Waiting:
    """A call's events, waiting for the applier (see :meth:`InboundProcessor.process`)."""

    refs: list[EventRef]
    round: int | None
    done: asyncio.Future[ProcessReport]


def _fail(taken: Iterable[_Waiting], error: BaseException) -> None:
    for waiting in taken:
        if not waiting.done.done():  # a caller that gave up meanwhile has its answer already
            waiting.done.set_exception(error)


def _answer(waiting: _Waiting, report: ProcessReport) -> None:
    if not waiting.done.done():
        waiting.done.set_result(report)


@dataclass(slots=True)
class _TenantResult:
    events: list[DomainEvent] = field(default_factory=list)
    unmatched: Counter[int] = field(default_factory=Counter)


class InboundProcessor:
    """Applies stored webhook events to contacts, conversations, messages, recipients, templates and usage."""

    def __init__(
        self,
        db: Database,
        events: EventBus,
        *,
        keywords: KeywordMatcher | None = None,
        batch_size: int = 256,
        pause: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.keywords = keywords or KeywordMatcher((), ())
        # Events per write transaction. A transaction costs ~13 ms whatever its size plus ~0.14 ms an event
        # (SQLite, this machine), so bigger is faster: 64 events applied ~1,900 events/s, 256 ~4,100-5,300/s.
        # It also bounds how long processing holds SQLite's single write lock (~22 ms at 200 events), which the
        # webhook ingest of the same database waits on.
        self.batch_size = batch_size
        # Awaited before each batch: in a process that also ingests webhooks, it holds processing back while
        # deliveries wait (WebhookIngest.yield_to_deliveries), so answering Meta comes first.
        self.pause = pause
        self._waiting: deque[_Waiting] = deque()
        self._applier: asyncio.Task[None] | None = None

    async def process(self, refs: Iterable[EventRef], *, reconcile_round: int | None = 0) -> ProcessReport:
        """Process the stored events ``refs`` (missing ones are skipped). ``reconcile_round`` None: never
        schedule reconciliation (replays). Raises ``DatabaseUnavailable`` (retry later); a failure of one event
        is recorded on it and does not stop the others.

        On SQLite, concurrent calls (the worker runs several jobs at once) share the work: they hand their events
        to one applier, which reads, parses and writes everything waiting (up to ``batch_size`` events) in one
        go — one read, one write transaction. Most of a transaction's cost is per statement, not per event, so
        this is what lets processing keep up with the ingest's many small jobs; and doing the reading and parsing
        there, not in each call, keeps other calls' work from running between the transaction's statements
        (200 events: ~22 ms of write lock that way, ~40 ms when each call parsed its own)."""
        wanted = sorted(set(refs))
        report = ProcessReport()
        for start in range(0, len(wanted), self.batch_size):
            report.add(await self._submit(wanted[start : start + self.batch_size], reconcile_round))
        return report

    async def _submit(self, refs: list[EventRef], reconcile_round: int | None) -> ProcessReport:
        if not self.db.is_sqlite:
            # Postgres runs concurrent transactions side by side; sharing one would only serialise them.
            if self.pause is not None:
                await self.pause()
            return await self._apply_alone(await self._parse(await self._load(refs)), reconcile_round, None)
        done: asyncio.Future[ProcessReport] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(refs, reconcile_round, done))
        if self._applier is None or self._applier.done():
            self._applier = asyncio.create_task(self._apply_waiting(), name="inbound-applier")
        return await done

    async def _apply_waiting(self) -> None:
        """The applier: while calls wait, read, parse and write the next group of them (one transaction) and
        answer each."""
        taken: list[_Waiting] = []
        try:
            while self._waiting:
                if self.pause is not None:
                    await self.pause()
                taken = self._take()
                if taken:
                    await self._apply_group(taken)
                taken = []
        except BaseException as exc:  # a bug or a cancelled loop: no caller may wait forever
            _fail([*taken, *self._waiting], exc if isinstance(exc, Exception) else DatabaseUnavailable("stopped"))
            self._waiting.clear()
            if not isinstance(exc, Exception):
                raise

    def _take(self) -> list[_Waiting]:
        """The next group: waiting calls in arrival order with the first one's reconciliation round, up to
        ``batch_size`` events (at least one call). Calls whose caller gave up are dropped."""
        taken: list[_Waiting] = []
        size = 0
        kept: deque[_Waiting] = deque()
        while self._waiting:
            waiting = self._waiting.popleft()
            if waiting.done.cancelled():
                continue
            fits = not taken or (waiting.round == taken[0].round and size + len(waiting.refs) <= self.batch_size)
            if fits:
                taken.append(waiting)
                size += len(waiting.refs)
            else:
                kept.append(waiting)
        self._waiting = kept
        return taken

    async def _apply_group(self, taken: list[_Waiting]) -> None:
        reconcile_round = taken[0].round
        try:
            parsed = await self._parse(await self._load([ref for waiting in taken for ref in waiting.refs]))
        except DatabaseUnavailable as exc:
            _fail(taken, exc)
            return
        caller = {ref: position for position, waiting in enumerate(taken) for ref in waiting.refs}
        mine: list[list[ParsedEvent]] = [[] for _ in taken]
        for event in parsed:
            mine[caller[event.ref]].append(event)
        combined = [dataclasses.replace(event, index=index) for index, event in enumerate(itertools.chain(*mine))]
        try:
            outcomes, events = await self._apply(combined, reconcile_round) if combined else ([], [])
        except DatabaseUnavailable as exc:
            _fail(taken, exc)
            return
        except Exception as exc:
            # Some event spoiled the transaction: each call's events alone, then one by one (see _isolate).
            for position, waiting in enumerate(taken):
                try:
                    report = await self._apply_alone(mine[position], reconcile_round, exc if len(taken) == 1 else None)
                except DatabaseUnavailable as unavailable:
                    _fail([waiting], unavailable)
                    continue
                _answer(waiting, report)
            return
        await self.events.publish(events)
        offset = 0
        for position, waiting in enumerate(taken):
            outcome = outcomes[offset : offset + len(mine[position])]
            offset += len(mine[position])
            # Domain events are counted once, on the group's first call: summed over the calls, exact.
            report = ProcessReport(Counter(o.status for o in outcome), len(events) if position == 0 else 0)
            if outcome:
                self._log(outcome, report)
            _answer(waiting, report)

    async def _apply_alone(
        self, parsed: list[ParsedEvent], reconcile_round: int | None, failed: Exception | None
    ) -> ProcessReport:
        """``parsed`` in a transaction of its own (unless ``failed`` already says how that ends), then, if that
        fails, its events one by one."""
        if not parsed:
            return ProcessReport()
        parsed = [dataclasses.replace(event, index=index) for index, event in enumerate(parsed)]
        if failed is None:
            try:
                outcomes, events = await self._apply(parsed, reconcile_round)
            except DatabaseUnavailable:
                raise
            except Exception as exc:
                failed = exc
            else:
                await self.events.publish(events)
                report = ProcessReport(Counter(o.status for o in outcomes), len(events))
                self._log(outcomes, report)
                return report
        return await self._isolate(parsed, failed, reconcile_round)

    # ----------------------------------------------------------------------------------------------- reading

    async def _load(self, refs: Sequence[EventRef]) -> list[tuple[EventRef, bytes]]:
        lo, hi = min(r.received_at for r in refs), max(r.received_at for r in refs)
        wanted = set(refs)
        async with self.db.connect(Scope.system()) as conn:
            # By id (the primary key's first column: an index lookup on both dialects; a row-value IN made
            # SQLite scan the table), within the batch's time range (Postgres reads only those partitions).
            rows = await conn.execute(
                select(_e.id, _e.received_at, _e.body).where(
                    _e.id.in_([r.id for r in refs]), _e.received_at >= lo, _e.received_at <= hi
                )
            )
            found = [(EventRef(r.id, r.received_at), bytes(r.body)) for r in rows]
        return sorted(ref_body for ref_body in found if ref_body[0] in wanted)

    async def _parse(self, rows: list[tuple[EventRef, bytes]]) -> list[ParsedEvent]:
        if sum(len(body) for _, body in rows) > _PARSE_IN_THREAD_BYTES:
            return await asyncio.to_thread(_parse_all, rows)
        return _parse_all(rows)

    # ------------------------------------------------------------------------------------------------ writing

    async def _apply(
        self, parsed: list[ParsedEvent], reconcile_round: int | None
    ) -> tuple[list[EventOutcome], list[DomainEvent]]:
        now = utcnow()
        events: list[DomainEvent] = []
        async with self.db.connect(Scope.system(), write=True) as conn:
            routes = await load_routes(conn, *ids_to_route(parsed))
            work, outcomes = build_plan(parsed, routes)
            for tenant_id in sorted(work):
                await self.db.apply_scope(conn, Scope.tenant(tenant_id))
                result = await self._apply_tenant(conn, work[tenant_id], now)
                events.extend(result.events)
                for index, count in result.unmatched.items():
                    outcomes[index].unmatched += count
            if work and not self.db.is_sqlite:
                await conn.execute(_LEAVE_TENANT)
            await _record_outcomes(conn, outcomes, now)
            await self._schedule_reconciliation(conn, outcomes, reconcile_round, now)
        return outcomes, events

    async def _isolate(self, parsed: list[ParsedEvent], error: Exception, reconcile_round: int | None) -> ProcessReport:
        """The batch failed: process its events one by one, so one bad event cannot hold back the others."""
        if len(parsed) == 1:
            only = parsed[0]
            log.error("webhook event %s could not be processed: %s", only.ref.id, type(error).__name__)
            log.debug("webhook event %s failure", only.ref.id, exc_info=error)
            outcome = EventOutcome(only.ref, error=f"{type(error).__name__}: {str(error)[:500]}")
            async with self.db.connect(Scope.system(), write=True) as conn:
                await _record_outcomes(conn, [outcome], utcnow())
            return ProcessReport(Counter({"failed": 1}))
        report = ProcessReport()
        for one in parsed:
            single = [dataclasses.replace(one, index=0)]
            try:
                outcomes, events = await self._apply(single, reconcile_round)
            except DatabaseUnavailable:
                raise
            except Exception as exc:
                report.add(await self._isolate(single, exc, reconcile_round))
                continue
            await self.events.publish(events)
            report.add(ProcessReport(Counter(o.status for o in outcomes), len(events)))
        return report

    async def _apply_tenant(self, conn: AsyncConnection, work: TenantWork, now: dt.datetime) -> _TenantResult:
        result = _TenantResult()
        inbound = [i for i in work.inbound if i.message.id]
        statuses = [s for s in work.statuses if s.status.id]
        senders = {id(i): sender_of(i.message, unix_time(i.message.timestamp, now)) for i in inbound}
        names = [cast(str, i.message.id) for i in inbound] + [cast(str, s.status.id) for s in statuses]
        names += [f"contact:{s.key}" for s in senders.values() if s is not None]
        await lock_names(conn, work.tenant_id, names)
        if inbound:
            await self._apply_inbound(conn, work.tenant_id, inbound, senders, now, result)
        if statuses:
            await self._apply_statuses(conn, work.tenant_id, statuses, now, result)
        if work.templates:
            result.events += await apply_template_updates(conn, work.tenant_id, work.templates, now)
        return result

    async def _apply_inbound(
        self,
        conn: AsyncConnection,
        tenant_id: int,
        items: list[InboundItem],
        senders: dict[int, Sender | None],
        now: dt.datetime,
        result: _TenantResult,
    ) -> None:
        known = await existing_wamids(conn, tenant_id, {cast(str, i.message.id) for i in items})
        fresh: dict[str, InboundItem] = {}
        for item in items:
            wamid = cast(str, item.message.id)
            if wamid not in known and wamid not in fresh and senders[id(item)] is not None:
                fresh[wamid] = item
        if not fresh:
            return
        contact_ids = await upsert_senders(conn, tenant_id, [cast(Sender, senders[id(i)]) for i in fresh.values()], now)
        touches: dict[ConversationKey, dt.datetime] = {}
        placed: list[tuple[InboundItem, Sender, ConversationKey]] = []
        for item in fresh.values():
            sender = cast(Sender, senders[id(item)])
            key = (item.number.number_id, contact_ids[sender.key])
            touches[key] = max(touches.get(key, sender.seen_at), sender.seen_at)
            placed.append((item, sender, key))
        conversations = await open_conversations(conn, tenant_id, touches, now)
        for key, conv in conversations.items():
            if conv.created or conv.reopened:
                kind = EventType.CONVERSATION_CREATED if conv.created else EventType.CONVERSATION_UPDATED
                data = {"conversation_id": conv.id, "contact_id": key[1], "phone_number_id": key[0],
                        "status": conv.status} | ({"reopened": True} if conv.reopened else {})  # fmt: skip
                result.events.append(
                    DomainEvent.create(
                        tenant_id, kind, data, conversation_id=conv.id, assignee_user_id=conv.assignee_user_id
                    )
                )
        rows: list[dict[str, Any]] = []
        consent: list[ConsentChange] = []
        for item, sender, key in placed:
            conv = conversations[key]
            row = inbound_row(tenant_id, conv.id, item.message, sender.seen_at)
            rows.append(row)
            result.events.append(
                DomainEvent.create(
                    tenant_id,
                    EventType.MESSAGE_RECEIVED,
                    {
                        "message_id": str(row["id"]),
                        "wamid": row["wamid"],
                        "conversation_id": conv.id,
                        "contact_id": key[1],
                        "contact_name": sender.profile_name,
                        "phone_number_id": key[0],
                        "type": row["type"],
                        "text": row["body"],
                        "created_at": sender.seen_at.isoformat(),
                    },
                    conversation_id=conv.id,
                    assignee_user_id=conv.assignee_user_id,
                )
            )
            decision = self.keywords.decide(keyword_text(item.message))
            if decision is not None:
                consent.append(ConsentChange(key[1], decision == "out", "keyword", sender.seen_at))
        await insert_rows(conn, rows)
        result.events += await apply_consent(conn, tenant_id, consent, now)

    async def _apply_statuses(
        self, conn: AsyncConnection, tenant_id: int, items: list[StatusItem], now: dt.datetime, result: _TenantResult
    ) -> None:
        messages = await apply_to_messages(conn, tenant_id, items, now)
        result.events += messages.events
        settled = await settle_recipients(conn, tenant_id, items, now)
        for position, item in enumerate(items):
            if item.status.id not in messages.matched and position not in settled:
                result.unmatched[item.event] += 1
        await record_usage(conn, tenant_id, items, now)
        await self._meta_signals(conn, tenant_id, items, now, result)

    async def _meta_signals(
        self, conn: AsyncConnection, tenant_id: int, items: list[StatusItem], now: dt.datetime, result: _TenantResult
    ) -> None:
        """Failed sends that carry Meta's consent signals: 131050 (opted out), 131049 (marketing held back)."""
        signals: list[tuple[str, int, dt.datetime]] = []
        for item in items:
            status = item.status
            if status.status is not StatusKind.FAILED or not status.recipient_id or status.recipient_type == "group":
                continue
            for error in status.errors:
                if error.code in (OPTED_OUT_BY_USER, MARKETING_LIMITED):
                    signals.append((status.recipient_id, error.code, unix_time(status.timestamp, now)))
        if not signals:
            return
        rows = await conn.execute(
            select(CONTACTS.c.id, CONTACTS.c.wa_id).where(
                CONTACTS.c.tenant_id == tenant_id, CONTACTS.c.wa_id.in_(sorted({s[0] for s in signals}))
            )
        )
        contact_of = {wa_id: contact_id for contact_id, wa_id in rows}
        consent: list[ConsentChange] = []
        limits: dict[int, dt.datetime] = {}
        for wa_id, code, at in signals:
            contact_id = contact_of.get(wa_id)
            if contact_id is None:
                continue
            if code == OPTED_OUT_BY_USER:
                consent.append(ConsentChange(contact_id, True, "meta", at, code))
            else:
                limits[contact_id] = max(limits.get(contact_id, at + MARKETING_LIMIT), at + MARKETING_LIMIT)
        result.events += await apply_consent(conn, tenant_id, consent, now)
        await limit_marketing(conn, tenant_id, limits)

    async def _schedule_reconciliation(
        self, conn: AsyncConnection, outcomes: Sequence[EventOutcome], reconcile_round: int | None, now: dt.datetime
    ) -> None:
        if reconcile_round is None or reconcile_round >= len(RECONCILE_DELAYS):
            return
        later = [o.ref for o in outcomes if o.status == "unmatched"]
        if not later:
            return
        run_at = now + dt.timedelta(seconds=RECONCILE_DELAYS[reconcile_round])
        spec = JobSpec(PROCESS_KIND, process_payload(later, round=reconcile_round + 1), WEBHOOK_QUEUE, run_at)
        await enqueue_many(self.db, [spec], conn=conn)

    def _log(self, outcomes: Sequence[EventOutcome], report: ProcessReport) -> None:
        unroutable = [o for o in outcomes if o.status == "unroutable"]
        if unroutable:
            log.warning(
                "%d webhook event(s) name a phone number or account not connected here (first: %s); kept as "
                "unroutable — see `aimstors webhooks list --status unroutable`",
                len(unroutable),
                unroutable[0].ref.id,
            )
        log.debug("processed %d webhook event(s): %s; %d domain event(s)", report.events,
                  dict(report.statuses), report.published)  # fmt: skip


def _parse_all(rows: list[tuple[EventRef, bytes]]) -> list[ParsedEvent]:
    out: list[ParsedEvent] = []
    for index, (ref, body) in enumerate(rows):
        try:
            out.append(ParsedEvent(index, ref, parse_event(_decode(body))))
        except (ValueError, UnicodeDecodeError, MalformedWebhook):
            out.append(ParsedEvent(index, ref, None, "the stored body is not a JSON object"))
    return out


async def _record_outcomes(conn: AsyncConnection, outcomes: Sequence[EventOutcome], now: dt.datetime) -> None:
    if not outcomes:
        return
    await conn.execute(
        update(EVENTS)
        .where(
            _e.id == bindparam("b_id", type_=_e.id.type),
            _e.received_at == bindparam("b_received", type_=_e.received_at.type),
        )
        .values(
            status=bindparam("b_status"),
            tenant_id=bindparam("b_tenant"),
            processed_at=bindparam("b_now", type_=_e.processed_at.type),
            error=bindparam("b_error"),
        ),
        [
            {
                "b_id": o.ref.id,
                "b_received": o.ref.received_at,
                "b_status": o.status,
                "b_tenant": o.tenant_id,
                "b_now": now,
                "b_error": o.describe(),
            }
            for o in outcomes
        ],
    )
