"""The campaign dispatcher: claims recipients in batches, sends them at the number's pace, records the outcomes.

One :class:`Dispatcher` sends one campaign from one process (several may share a campaign: their claims never
overlap, and they split the number's throughput between them)::

    report = await Dispatcher(services, tenant_id, campaign_id).run()   # until completed, paused or cancelled

Inside (listmonk's engine, in asyncio): a *feeder* keeps about ``claim_ahead`` seconds of recipients claimed
(``sending``, each with its attempt id, committed before any HTTP call); the *send loop* takes a permit from the
:class:`~aimstors.core.campaigns.pacing.Pacer`, then a recipient, then an in-flight slot (``in_flight`` requests at
most, on the process's one aiohttp pool) and starts the send; each answer becomes an
:class:`~aimstors.core.campaigns.results.Outcome` that a *flusher* records in batches, charges included. A *control*
task polls the campaign row — a pause or cancel stops the dispatcher within ``control_interval`` — and keeps a lease
in ``campaigns.dispatchers`` so dispatchers of one number share its throughput.

Stopping (pause, cancel, completion, :meth:`stop`, or cancellation of the task): no new sends, sends in flight
finish and are recorded, claimed recipients not sent go back to ``pending``. A dispatcher killed outright leaves
its claimed rows ``sending``; once their lease expires they become ``unknown`` and wait for a status webhook —
never resent blindly (the campaign's resend policy decides after its grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import os
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from aimstors.core.campaigns import claims
from aimstors.core.campaigns.claims import ClaimedRecipient
from aimstors.core.campaigns.context import CampaignContext, load
from aimstors.core.campaigns.explanations import explain
from aimstors.core.campaigns.lifecycle import complete_if_done, finalise, set_state
from aimstors.core.campaigns.materialise import RECIPIENTS
from aimstors.core.campaigns.outcomes import Classified, classify, halt_reason
from aimstors.core.campaigns.pacing import HEADROOM, Pacer
from aimstors.core.campaigns.parameters import build_message
from aimstors.core.campaigns.reconcile import reconcile_campaign
from aimstors.core.campaigns.records import DispatchReport
from aimstors.core.campaigns.results import Outcome, ResultWriter
from aimstors.core.db import Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Campaign, PhoneNumber
from aimstors.core.errors import AimstorsError, DatabaseUnavailable
from aimstors.core.ledger import platform_root_id
from aimstors.core.services import Services
from aimstors.core.tenancy.access import TenantRef
from aimstors.core.whatsapp_accounts import sending_identity

__all__ = ["DispatchOptions", "Dispatcher", "tenant_ref"]

log = logging.getLogger("aimstors.campaigns")

_c = Campaign.__table__.c
_r = RECIPIENTS.c


@dataclass(frozen=True, slots=True)
class DispatchOptions:
    """Tuning of one dispatcher. The defaults suit 1,000 msg/s; tests shorten the times."""

    in_flight: int = 256  # HTTP sends at most at once (the client's pool holds 256 connections)
    claim_batch: int = 250  # most recipients per claim
    claim_ahead: float = 0.5  # seconds of sending kept claimed (rides out a slow commit)
    lease_seconds: float = 60.0  # a claimed recipient's lease (renewed while held)
    request_timeout: float = 20.0  # a send without an answer by then is "unknown"
    flush_interval: float = 0.2  # outcomes are recorded in batches at least this often…
    flush_size: int = 400  # …or once this many are waiting
    control_interval: float = 0.25  # how fast a pause or cancel is noticed
    heartbeat_interval: float = 2.0  # dispatcher lease, throughput share, lease renewal, reconciliation
    headroom: float = HEADROOM  # share of the number's throughput aimed at (a hard cap per sliding second)
    max_attempts: int = 8  # transient failures and pair-rate deferrals before a recipient fails
    error_window: int = 100  # recent outcomes the auto-pause threshold looks at
    error_min_sample: int = 20
    unreachable_pause_after: float = 60.0  # seconds of "cannot connect" before the campaign pauses
    # A process that does nothing but send (the CLI's `campaign send`, a dedicated worker) should freeze what it
    # loaded at start-up out of the garbage collector's full passes: with ~1M objects from the libraries, each
    # pass stalls the send loop ~100 ms every few seconds. Process-wide, so off for shared worker processes.
    freeze_gc: bool = False


def default_owner() -> str:
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def tenant_ref(services: Services, tenant_id: int) -> TenantRef:
    from aimstors.core.db.models import Tenant

    async with services.db.session(Scope.system()) as session:
        tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise AimstorsError(f"tenant {tenant_id} does not exist")
    return TenantRef(tenant.id, tenant.slug, tenant.path, tenant.kind)


class Dispatcher:
    """Sends one campaign until it completes, pauses or is cancelled (see the module docstring)."""

    def __init__(
        self,
        services: Services,
        tenant_id: int,
        campaign_id: int,
        options: DispatchOptions | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        self.services = services
        self.db = services.db
        self.tenant_id = tenant_id
        self.campaign_id = campaign_id
        self.options = options or DispatchOptions()
        self.owner = owner or default_owner()
        self.report = DispatchReport(campaign_id)
        self._stop_reason = ""
        self._queue: deque[ClaimedRecipient] = deque()
        self._queued = asyncio.Event()
        self._room = asyncio.Event()
        self._in_hand: dict[int, ClaimedRecipient] = {}
        self._outcomes: list[Outcome] = []
        self._flush_now = asyncio.Event()
        self._stopped = asyncio.Event()
        self._closing = False  # the flusher writes what is left, then returns
        self._write_lock = asyncio.Lock()  # one write transaction of ours at a time (SQLite: no busy waits)
        self._slots = asyncio.Semaphore(self.options.in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._window: deque[int | None] = deque(maxlen=self.options.error_window)  # None = accepted, else code
        self._unreachable_since: float | None = None
        self._pause_reason: str | None = None
        self._ctx: CampaignContext | None = None

    # ------------------------------------------------------------------------------------------------ control

    def stop(self, reason: str = "stopped") -> None:
        """Stop sending (the campaign's state is unchanged): in-flight sends finish, unsent claims go back."""
        if not self._stop_reason:
            self._stop_reason = reason
        self._stopped.set()
        self._queued.set()
        self._room.set()

    @property
    def stopping(self) -> bool:
        return bool(self._stop_reason)

    async def _pause_for(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the dispatcher is told to stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopped.wait()

    async def run(self) -> DispatchReport:
        """Send until the campaign completes, is paused or cancelled, or :meth:`stop` is called."""
        started = time.monotonic()
        tenant = await tenant_ref(self.services, self.tenant_id)
        ctx = self._ctx = await load(self.db, tenant, self.campaign_id)
        if ctx.campaign.state != "running":
            self.report.stopped_because = ctx.campaign.state
            return self.report
        try:
            identity = await sending_identity(self.services, self.tenant_id, ctx.number.id)
        except AimstorsError as exc:
            await self._pause(f"cannot send: {exc.message}")
            self.report.stopped_because = "paused"
            return self.report
        self.identity = identity
        self.template = ctx.template
        self.writer = ResultWriter(
            self.db,
            tenant_id=self.tenant_id,
            campaign_id=self.campaign_id,
            category=ctx.campaign.category,
            root_id=await platform_root_id(self.db),
            reservation_id=ctx.campaign.reservation_id,
        )
        self.pacer = Pacer(max(1, ctx.number.throughput_mps), headroom=self.options.headroom)
        await self._heartbeat()
        if self.options.freeze_gc:
            gc.collect()
            gc.freeze()
        log.info("campaign %d: dispatcher %s started at %.0f msg/s", self.campaign_id, self.owner, self.pacer.rate)
        helpers = [
            asyncio.create_task(self._guarded(self._feed()), name="campaign-feed"),
            asyncio.create_task(self._guarded(self._flush_loop()), name="campaign-flush"),
            asyncio.create_task(self._guarded(self._control()), name="campaign-control"),
        ]
        try:
            await self._send_loop()
        finally:
            await self._shutdown(helpers)
            self.report.elapsed = time.monotonic() - started
            log.info(
                "campaign %d: dispatcher %s stopped (%s): %d accepted, %d failed, %d unknown in %.1f s",
                self.campaign_id, self.owner, self.report.stopped_because, self.report.accepted, self.report.failed,
                self.report.unknown, self.report.elapsed,
            )  # fmt: skip
        return self.report

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a helper; if it fails, stop the dispatcher rather than leave the send loop waiting forever."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("campaign %d: dispatcher %s failed; stopping", self.campaign_id, self.owner)
            self.stop("error")

    # ---------------------------------------------------------------------------------------------- sending

    async def _send_loop(self) -> None:
        while not self.stopping:
            await self.pacer.acquire()
            while not self._queue and not self.stopping:
                self._queued.clear()
                await self._queued.wait()
            if self.stopping:
                return
            recipient = self._queue.popleft()
            self._room.set()
            await self._slots.acquire()
            if self.stopping:
                self._slots.release()
                self._queue.appendleft(recipient)
                return
            task = asyncio.create_task(self._send(recipient))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, recipient: ClaimedRecipient) -> None:
        try:
            try:
                message = build_message(self.template, recipient.wa_id, recipient.parameters, recipient.attempt_id)
            except (AimstorsError, KeyError) as exc:
                detail = exc.message if isinstance(exc, AimstorsError) else f"no value for {exc}"
                self._record(Outcome(recipient, "invalid", detail=detail[:500]))
                return
            try:
                result = await self.services.cloud_api.send_message(
                    self.identity.phone_number_id,
                    message,
                    token=self.identity.access_token,
                    request_timeout=self.options.request_timeout,
                )
            except Exception as exc:  # every failure is classified; nothing escapes a send
                self._record(self._failure(recipient, classify(exc)))
                return
            self._unreachable_since = None
            self._record(Outcome(recipient, "accepted", wamid=result.message_id, at=utcnow()))
        finally:
            self._slots.release()

    def _failure(self, recipient: ClaimedRecipient, found: Classified) -> Outcome:
        now = utcnow()
        kind, code, detail = found.kind, found.code, found.detail
        if kind == "throttled":
            self.pacer.throttled()
            if recipient.attempts >= self.options.max_attempts * 4:  # runaway throttling: give up on it
                kind = "failed"
            return Outcome(recipient, kind, code=code, detail=detail)
        if kind == "unreachable":
            started = self._unreachable_since = self._unreachable_since or time.monotonic()
            self.pacer.pause_for(min(30.0, 1.0 + (time.monotonic() - started)))
            if time.monotonic() - started > self.options.unreachable_pause_after:
                self._halt(f"the WhatsApp Cloud API is unreachable: {detail}")
            return Outcome(recipient, kind, detail=detail)
        if kind in {"retry", "deferred"}:
            if recipient.attempts >= self.options.max_attempts:
                return Outcome(
                    recipient,
                    "failed",
                    code=code,
                    detail=f"gave up after {recipient.attempts} attempts: {detail}",
                    at=now,
                )
            if kind == "retry":
                delay = min(60.0, 0.5 * 2 ** (recipient.attempts - 1))
            else:
                delay = min(300.0, 4.0 ** (recipient.attempts - 1))  # Meta's advice for 131056: 4^n seconds
            return Outcome(recipient, kind, code=code, detail=detail, not_before=now + dt.timedelta(seconds=delay))
        if kind == "halt":
            self._halt(halt_reason(found))
            return Outcome(recipient, kind, code=code, detail=detail)
        return Outcome(recipient, kind, code=code, detail=detail, at=now)

    def _record(self, outcome: Outcome) -> None:
        self._in_hand.pop(outcome.recipient.id, None)
        self._outcomes.append(outcome)
        report = self.report
        kind = outcome.kind
        if kind == "accepted":
            report.accepted += 1
            self._window.append(None)
        elif kind == "failed":
            report.failed += 1
            self._window.append(outcome.code if outcome.code is not None else -1)
            self._check_errors()
        elif kind == "retry":
            report.retried += 1
        elif kind == "throttled":
            report.throttled += 1
        elif kind == "deferred":
            report.deferred += 1
        elif kind == "unknown":
            report.unknown += 1
        elif kind == "invalid":
            report.skipped += 1
        if len(self._outcomes) >= self.options.flush_size:
            self._flush_now.set()

    def _check_errors(self) -> None:
        window = self._window
        if len(window) < self.options.error_min_sample or self._stop_reason:
            return
        failures = [code for code in window if code is not None]
        threshold = self._ctx.campaign.error_threshold_pct if self._ctx else 20
        if len(failures) * 100 >= threshold * len(window):
            code, count = Counter(failures).most_common(1)[0]
            known = None if code == -1 else code
            self._halt(
                f"auto-paused: {len(failures)} of the last {len(window)} sends failed (threshold {threshold}%); "
                f"most often {known if known is not None else 'no code'} ×{count}: {explain(known)}"
            )

    def _halt(self, reason: str) -> None:
        """Pause the campaign (once) and stop: a campaign-level refusal or too many failures."""
        if self.stopping:
            return
        self.stop("paused")
        self._pause_reason = reason
        log.warning("campaign %d: pausing: %s", self.campaign_id, reason)

    async def _pause(self, reason: str) -> None:
        async with self._write_lock, self.db.connect(Scope.tenant(self.tenant_id), write=True) as conn:
            await set_state(conn, self.campaign_id, self.tenant_id, from_states={"running"},
                            values={"state": "paused", "pause_reason": reason})  # fmt: skip

    # ----------------------------------------------------------------------------------------------- feeding

    def _target(self) -> int:
        return max(1, int(self.pacer.rate * self.options.claim_ahead) + 1)

    async def _feed(self) -> None:
        opts = self.options
        while not self.stopping:
            want = self._target() - len(self._queue)
            if want <= 0 or (want < min(opts.claim_batch, self._target()) // 2 and self._queue):
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._room.wait()
                continue
            try:
                claimed = await self._claim(min(want, opts.claim_batch))
            except DatabaseUnavailable as exc:
                log.warning("campaign %d: claiming failed (%s); retrying", self.campaign_id, exc.message)
                await self._pause_for(1.0)
                continue
            if claimed:
                self._queue.extend(claimed)
                self._queued.set()
                continue
            if self._idle() and await self._finished():
                self.stop("completed")
                return
            await self._pause_for(await self._next_due())

    async def _claim(self, limit: int) -> list[ClaimedRecipient]:
        now = utcnow()
        lease_until = now + dt.timedelta(seconds=self.options.lease_seconds)
        async with self._write_lock, self.db.connect(Scope.tenant(self.tenant_id), write=True) as conn:
            claimed = await claims.claim(
                conn, tenant_id=self.tenant_id, campaign_id=self.campaign_id, now=now, lease_until=lease_until,
                limit=limit,
            )  # fmt: skip
        for recipient in claimed:
            self._in_hand[recipient.id] = recipient
        self.report.claimed += len(claimed)
        return claimed

    def _idle(self) -> bool:
        return not self._queue and not self._tasks and not self._outcomes and not self._in_hand

    async def _finished(self) -> bool:
        """Nothing left to send by anyone: complete the campaign (guarded, so one dispatcher does it)."""
        ctx = self._ctx
        assert ctx is not None
        await self._reconcile()
        async with self._write_lock, self.db.connect(Scope.tenant(self.tenant_id), write=True) as conn:
            done = await complete_if_done(
                conn, self.tenant_id, self.campaign_id, wait_unknown=ctx.campaign.resend_policy == "after_grace"
            )
            if done:
                return True
            state = (
                await conn.execute(select(_c.state).where(_c.tenant_id == self.tenant_id, _c.id == self.campaign_id))
            ).scalar_one()
        return bool(state != "running")

    async def _next_due(self) -> float:
        """Seconds until the earliest deferred recipient is due (at most one; at least a moment)."""
        async with self.db.connect(Scope.tenant(self.tenant_id)) as conn:
            earliest = (
                await conn.execute(
                    select(func.min(_r.not_before)).where(
                        _r.tenant_id == self.tenant_id, _r.campaign_id == self.campaign_id, _r.state == "pending"
                    )
                )
            ).scalar_one()
        if earliest is None:
            return 0.25
        if isinstance(earliest, str):  # SQLite's MIN() loses the column type
            earliest = dt.datetime.fromisoformat(earliest).replace(tzinfo=dt.UTC)
        seconds: float = (earliest - utcnow()).total_seconds()
        return min(1.0, max(0.02, seconds))

    # ---------------------------------------------------------------------------------------------- flushing

    async def _flush_loop(self) -> None:
        failures = 0
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.options.flush_interval):
                    await self._flush_now.wait()
            self._flush_now.clear()
            closing = self._closing
            failures = 0 if await self._flush() else failures + 1
            if closing and (not self._outcomes or failures >= 20):
                return

    async def _flush(self) -> bool:
        if not self._outcomes:
            return True
        batch, self._outcomes = self._outcomes, []
        try:
            async with self._write_lock:
                written = await self.writer.write(batch, utcnow())
        except (DatabaseUnavailable, OSError) as exc:
            self._outcomes[:0] = batch  # kept for the next flush; the rows stay "sending" meanwhile
            log.warning("campaign %d: recording %d outcome(s) failed (%s); retrying", self.campaign_id, len(batch), exc)
            await asyncio.sleep(0.5)
            return False
        except Exception:
            self._outcomes[:0] = batch
            log.exception("campaign %d: recording outcomes failed", self.campaign_id)
            await asyncio.sleep(0.5)
            return False
        self.report.charged_micro += written.charged_micro
        return True

    # ----------------------------------------------------------------------------------------- control task

    async def _control(self) -> None:
        opts = self.options
        last_beat = time.monotonic()
        while not self.stopping:
            await self._pause_for(opts.control_interval)
            if self.stopping:
                return
            try:
                async with self.db.connect(Scope.tenant(self.tenant_id)) as conn:
                    state = (
                        await conn.execute(
                            select(_c.state).where(_c.tenant_id == self.tenant_id, _c.id == self.campaign_id)
                        )
                    ).scalar_one()
                if state != "running":
                    self.stop(state)
                    return
                if time.monotonic() - last_beat >= opts.heartbeat_interval:
                    last_beat = time.monotonic()
                    await self._heartbeat()
                    await self._renew()
                    await self._reconcile()
            except DatabaseUnavailable as exc:
                log.warning("campaign %d: control check failed (%s)", self.campaign_id, exc.message)

    async def _heartbeat(self, *, leaving: bool = False) -> None:
        """Keep this dispatcher's lease on the campaign and learn how many share the number."""
        ctx = self._ctx
        assert ctx is not None
        now = utcnow()
        expiry = now + dt.timedelta(seconds=self.options.heartbeat_interval * 3)
        async with self._write_lock, self.db.connect(Scope.tenant(self.tenant_id), write=True) as conn:
            stmt = select(_c.dispatchers).where(_c.tenant_id == self.tenant_id, _c.id == self.campaign_id)
            if not self.db.is_sqlite:
                stmt = stmt.with_for_update()
            current = (await conn.execute(stmt)).scalar_one() or {}
            live = {owner: at for owner, at in current.items() if _live(at, now)}
            if leaving:
                live.pop(self.owner, None)
            else:
                live[self.owner] = expiry.isoformat()
            await conn.execute(
                update(Campaign)
                .where(_c.tenant_id == self.tenant_id, _c.id == self.campaign_id)
                .values(dispatchers=live)
            )
            if leaving:
                return
            others = await conn.execute(
                select(_c.dispatchers).where(
                    _c.tenant_id == self.tenant_id,
                    _c.phone_number_id == ctx.number.id,
                    _c.state == "running",
                    _c.id != self.campaign_id,
                )
            )
            share = len(live) + sum(sum(1 for at in (d or {}).values() if _live(at, now)) for (d,) in others)
            throughput = (
                await conn.execute(select(PhoneNumber.throughput_mps).where(PhoneNumber.id == ctx.number.id))
            ).scalar_one()
        self.pacer.set_limit(max(1, throughput), max(1, share))

    async def _renew(self) -> None:
        if not self._in_hand:
            return
        until = utcnow() + dt.timedelta(seconds=self.options.lease_seconds)
        async with self._write_lock, self.db.connect(Scope.tenant(self.tenant_id), write=True) as conn:
            await claims.renew(conn, self.tenant_id, list(self._in_hand), until)

    async def _reconcile(self) -> None:
        ctx = self._ctx
        assert ctx is not None
        async with self._write_lock:
            await reconcile_campaign(self.db, self.tenant_id, self.campaign_id, ctx.campaign.resend_policy,
                                     ctx.campaign.resend_grace_seconds)  # fmt: skip

    # ---------------------------------------------------------------------------------------------- shutdown

    async def _shutdown(self, helpers: list[asyncio.Task[None]]) -> None:
        """Stop without losing anything: sends in flight finish, helpers finish their current step (never cut
        in the middle of a transaction), unsent claims go back, every outcome is written."""
        self.stop(self._stop_reason or "stopped")
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        feeder, flusher, control = helpers
        _, late = await asyncio.wait({feeder, control}, timeout=self.options.request_timeout + 5)
        for task in late:  # stuck (the database is gone): cut it
            task.cancel()
        await asyncio.gather(feeder, control, return_exceptions=True)
        unsent = list(self._in_hand.values())
        self._queue.clear()
        self._in_hand.clear()
        kind = "cancelled" if self._stop_reason == "cancelled" else "released"
        self._outcomes.extend(Outcome(recipient, kind) for recipient in unsent)
        self.report.released += len(unsent)
        self._closing = True
        self._flush_now.set()
        await asyncio.gather(flusher, return_exceptions=True)
        if self._pause_reason is not None:
            with contextlib.suppress(AimstorsError):
                await self._pause(self._pause_reason)
        with contextlib.suppress(AimstorsError):
            await self._heartbeat(leaving=True)
        self.report.stopped_because = self._stop_reason
        if self._stop_reason in {"completed", "cancelled", "failed"}:
            with contextlib.suppress(AimstorsError):
                await finalise(self.db, self.tenant_id, self.campaign_id)


def _live(at: object, now: dt.datetime) -> bool:
    try:
        return dt.datetime.fromisoformat(str(at)) > now
    except ValueError:
        return False
