"""`aimstors campaign`: create, plan, send (live progress), pause, resume, cancel, status, report, export, list."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from aimstors.cli.output import JSON_OPTION, console, emit, to_jsonable
from aimstors.cli.runner import run
from aimstors.core import campaigns
from aimstors.core.campaigns import CampaignView, PlanView, ReportView
from aimstors.core.campaigns import Progress as CampaignProgress
from aimstors.core.errors import InvalidInput
from aimstors.core.google.sheets import GoogleSheets
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(
    help="Broadcast campaigns: create, plan (cost, ETA), send with live progress, pause/resume/cancel, report.",
    no_args_is_help=True,
)

TENANT = typer.Option(None, "--tenant", "-t", help="The workspace (default: the only one, or your own).")
LIST_COLUMNS = ["id", "name", "state", "template", "audience", "number", "started_at", "finished_at"]
_RELATIVE = re.compile(r"\+?(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
POLL_SECONDS = 0.5


def parse_when(text: str) -> dt.datetime:
    """``2026-06-01T09:00+02:00`` (no zone: local time) or ``+30m`` / ``+2h`` → aware UTC datetime."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(relative[1]) * _UNITS[relative[2]])
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--at {text!r} is not a time; use e.g. 2026-06-01T09:00+02:00 or +30m") from None
    if when.tzinfo is None:
        when = when.astimezone()  # the local time zone
    return when.astimezone(dt.UTC)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@app.command()
def create(
    name: str = typer.Option(..., "--name", "-n", help="A name for the campaign."),
    template: str = typer.Option(..., "--template", help="Template name (approved on the number's account)."),
    language: str | None = typer.Option(None, "--language", help="Template language, e.g. en_US (if several)."),
    audience: str = typer.Option(
        "all", "--audience", "-a", help="all, tag:NAME, audience:NAME or campaign:NUMBER:STATUS (retarget)."
    ),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="KEY=SOURCE per placeholder: 1=attr.first_name|there, name=literal:Hi, …"
    ),
    number: str | None = typer.Option(None, "--number", help="Sending number (phone number id or display number)."),
    resend_policy: str = typer.Option("never", "--resend-policy", help="Lost answers: never resend, or after_grace."),
    grace: int = typer.Option(600, "--grace", help="Seconds before the resend policy decides on a lost answer."),
    error_threshold: int = typer.Option(20, "--error-threshold", help="Auto-pause when this % of recent sends fail."),
    tenant: str | None = TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """Create a draft campaign (nothing is sent until `campaign send`)."""

    async def go(services: Services, actor: Actor) -> CampaignView:
        return await campaigns.create_campaign(
            services.db, actor, name=name, template=template, language=language, audience=audience, params=param,
            number=number, tenant_slug=tenant, resend_policy=resend_policy, resend_grace_seconds=grace,
            error_threshold_pct=error_threshold,
        )  # fmt: skip

    view = run(go)
    if json_:
        emit(view, json=True)
        return
    console.print(f"created campaign [bold]{view.id}[/] ({view.name}): {view.template} to {view.audience}")
    console.print(f"[dim]next: aimstors campaign plan {view.id}[/]")


def _plan_table(plan: PlanView) -> Table:
    table = Table(title=f"Plan of campaign {plan.campaign_id} — {plan.name}", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    suppressed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in plan.suppressed.items()) or "none"
    table.add_row("audience", f"{plan.audience}: {plan.members:,} contacts, suppressed {suppressed}")
    table.add_row("recipients", f"{plan.recipients:,}")
    if plan.lacking:
        table.add_row("lacking", ", ".join(f"{need}: {n}" for need, n in plan.lacking.items()))
    table.add_row("category", plan.category)
    table.add_row("rate plan", plan.rate_plan or "none (messages cost 0)")
    for line in plan.cost_by_category:
        table.add_row(f"cost ({line.key})", f"{line.credits} credits for {line.messages:,} messages")
    countries = ", ".join(f"{c.key} {c.messages:,} ({c.credits})" for c in plan.cost_by_country[:6])
    table.add_row("by country", countries or "-")
    funds = "[green]enough[/]" if plan.enough_credits else "[red]not enough[/]"
    table.add_row("credits", f"{plan.cost} needed, {plan.available} available — {funds}")
    tier = f", messaging tier {plan.messaging_tier}" if plan.messaging_tier else ""
    table.add_row("number", f"{plan.number}: {plan.throughput_mps} msg/s{tier}")
    table.add_row("ETA", _duration(plan.eta_seconds))
    for warning in plan.warnings:
        table.add_row("[yellow]warning[/]", warning)
    return table


@app.command()
def plan(campaign_id: int, tenant: str | None = TENANT, json_: bool = JSON_OPTION) -> None:
    """What sending CAMPAIGN_ID would do: audience after suppression, cost, throughput, ETA. Nothing is sent."""

    async def go(services: Services, actor: Actor) -> PlanView:
        async with GoogleSheets.from_services(services) as sheets:
            return await campaigns.plan_campaign(services.db, actor, campaign_id, tenant_slug=tenant, sheets=sheets)

    result = run(go)
    if json_:
        emit(result, json=True)
    else:
        console.print(_plan_table(result))


def _counts_line(progress: CampaignProgress) -> Text:
    s = progress.by_state
    parts = [
        ("pending", s["pending"] + s["sending"], "white"), ("sent", s["sent"], "cyan"),
        ("delivered", s["delivered"], "green"), ("read", s["read"], "bold green"), ("failed", s["failed"], "red"),
        ("skipped", s["skipped"], "yellow"), ("unknown", s["unknown"], "magenta"),
    ]  # fmt: skip
    text = Text()
    for label, value, style in parts:
        text.append(f"{label} ", style="dim")
        text.append(f"{value:,}  ", style=style)
    return text


def _status_renderable(progress: CampaignProgress, bar: Progress, task: Any, rate: float | None = None) -> Group:
    """The progress bar, counts by state and a status line; ``rate`` (msg/s) defaults to the last minute's."""
    bar.update(task, total=max(progress.total, 1), completed=progress.done)
    rate = progress.sent_last_minute / 60 if rate is None else rate
    footer = Text(
        f"{progress.state} · {rate:,.0f} msg/s · ETA {_duration(progress.eta_seconds)} · cost {progress.cost} credits"
        f" · dispatchers {progress.dispatchers}"
    )
    if progress.pause_reason:
        footer.append(f"\n{progress.pause_reason}", style="yellow")
    return Group(bar, _counts_line(progress), footer)


async def _send_live(
    services: Services, actor: Actor, campaign_id: int, tenant: str | None, *, resume: bool, quiet: bool
) -> tuple[CampaignView, CampaignProgress]:
    """Start (or resume) the campaign, send it from this process and show progress polled from the database.
    Ctrl-C pauses the campaign (resume it later)."""
    db = services.db
    if resume:
        await campaigns.resume_campaign(db, actor, campaign_id, tenant_slug=tenant)
    async with GoogleSheets.from_services(services) as sheets:
        started = await campaigns.start_campaign(db, actor, campaign_id, tenant_slug=tenant, sheets=sheets)
    # This process only sends now: keep its start-up objects out of the collector's full passes.
    dispatcher = campaigns.Dispatcher(
        services, started.tenant_id, campaign_id, campaigns.DispatchOptions(freeze_gc=True)
    )
    sending = asyncio.create_task(dispatcher.run())
    bar = Progress(
        TextColumn(f"campaign {campaign_id} [bold]{started.name}[/]"), BarColumn(), TaskProgressColumn(),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip
    task = bar.add_task("send", total=1)
    live = contextlib.nullcontext() if quiet else Live(console=console, refresh_per_second=4, transient=False)
    began = time.monotonic()
    last: tuple[float, int] | None = None
    rate = 0.0
    try:
        with live as screen:
            while not sending.done():
                progress = await campaigns.campaign_progress(db, actor, campaign_id, tenant_slug=tenant)
                now = time.monotonic()
                if last is not None and now > last[0]:  # the rate between two polls, smoothed
                    rate = 0.5 * rate + 0.5 * (progress.accepted - last[1]) / (now - last[0])
                last = (now, progress.accepted)
                if screen is not None:
                    screen.update(_status_renderable(progress, bar, task, rate))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(sending), timeout=POLL_SECONDS)
            progress = await campaigns.campaign_progress(db, actor, campaign_id, tenant_slug=tenant)
            report = sending.result()
            average = report.accepted / max(time.monotonic() - began, 0.001)
            if screen is not None:
                screen.update(_status_renderable(progress, bar, task, average))
        if not quiet:
            console.line()
        await sending
    except asyncio.CancelledError:  # Ctrl-C: stop sending here and pause, so nothing goes out unattended
        dispatcher.stop("interrupted")
        await asyncio.gather(sending, return_exceptions=True)
        with contextlib.suppress(Exception):
            await campaigns.pause_campaign(db, actor, campaign_id, reason="interrupted at the command line",
                                           tenant_slug=tenant)  # fmt: skip
        raise
    view = await campaigns.get_campaign(db, actor, campaign_id, tenant_slug=tenant)
    return view, progress


def _send(campaign_id: int, tenant: str | None, *, at: str | None, detach: bool, workers: int, json_: bool,
          resume: bool) -> None:  # fmt: skip
    when = parse_when(at) if at else None

    async def go(services: Services, actor: Actor) -> dict[str, Any]:
        if when is not None or detach:
            if resume:
                view = await campaigns.resume_campaign(services.db, actor, campaign_id, tenant_slug=tenant,
                                                       enqueue=True)  # fmt: skip
                return {"campaign": view, "jobs": []}
            result = await campaigns.send_campaign(
                services, actor, campaign_id, tenant_slug=tenant, at=when, detach=True, workers=workers
            )
            return {"campaign": result.campaign, "jobs": result.jobs}
        view, progress = await _send_live(services, actor, campaign_id, tenant, resume=resume, quiet=json_)
        return {"campaign": view, "progress": progress}

    result = run(go)
    view: CampaignView = result["campaign"]
    if json_:
        emit(result, json=True)
        return
    if when is not None:
        console.print(f"campaign {view.id} scheduled for {view.scheduled_at:%Y-%m-%d %H:%M} UTC" if view.scheduled_at
                      else f"campaign {view.id} scheduled")  # fmt: skip
        console.print("[dim]a worker (`aimstors serve` or `aimstors worker`) starts it then[/]")
    elif detach:
        console.print(f"campaign {view.id} is {view.state}; a worker (`aimstors serve` or `aimstors worker`) sends it")
        console.print(f"[dim]follow it with: aimstors campaign status {view.id}[/]")
    else:
        note = f": {view.pause_reason}" if view.pause_reason else ""
        console.print(f"campaign {view.id} is {view.state}{note}")
        console.print(f"[dim]see the report: aimstors campaign report {view.id}[/]")


@app.command()
def send(
    campaign_id: int,
    at: str | None = typer.Option(None, "--at", help="Start later: an ISO time (2026-06-01T09:00+02:00) or +30m."),
    detach: bool = typer.Option(False, "--detach", help="Start now and let a worker send it; return at once."),
    workers: int = typer.Option(1, "--workers", min=1, max=16, help="With --detach: worker jobs sharing the send."),
    tenant: str | None = TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """Send CAMPAIGN_ID now with live progress (Ctrl-C pauses it), or --detach, or --at a time."""
    _send(campaign_id, tenant, at=at, detach=detach, workers=workers, json_=json_, resume=False)


@app.command()
def pause(
    campaign_id: int,
    reason: str | None = typer.Option(None, "--reason", help="Shown with the campaign's status."),
    tenant: str | None = TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """Pause a running campaign: its dispatchers stop within a second; resume it later."""

    async def go(services: Services, actor: Actor) -> CampaignView:
        return await campaigns.pause_campaign(services.db, actor, campaign_id, reason=reason, tenant_slug=tenant)

    view = run(go)
    emit(view, json=True) if json_ else console.print(f"campaign {view.id} paused")


@app.command()
def resume(
    campaign_id: int,
    detach: bool = typer.Option(False, "--detach", help="Let a worker send it; return at once."),
    tenant: str | None = TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """Resume a paused campaign and send the rest with live progress (or --detach)."""
    _send(campaign_id, tenant, at=None, detach=detach, workers=1, json_=json_, resume=True)


@app.command()
def cancel(campaign_id: int, tenant: str | None = TENANT, json_: bool = JSON_OPTION) -> None:
    """Cancel a campaign: recipients not sent yet are skipped; unused credits go back."""

    async def go(services: Services, actor: Actor) -> CampaignView:
        return await campaigns.cancel_campaign(services.db, actor, campaign_id, tenant_slug=tenant)

    view = run(go)
    emit(view, json=True) if json_ else console.print(f"campaign {view.id} cancelled")


@app.command()
def status(campaign_id: int, tenant: str | None = TENANT, json_: bool = JSON_OPTION) -> None:
    """Where CAMPAIGN_ID is: counts by state, rate, ETA, cost so far."""

    async def go(services: Services, actor: Actor) -> CampaignProgress:
        return await campaigns.campaign_progress(services.db, actor, campaign_id, tenant_slug=tenant)

    progress = run(go)
    if json_:
        emit(progress, json=True)
        return
    bar = Progress(TextColumn(f"campaign {campaign_id}"), BarColumn(), TaskProgressColumn(), console=console)
    task = bar.add_task("send", total=1)
    console.print(_status_renderable(progress, bar, task))


def _report_tables(report: ReportView) -> list[Any]:
    c = report.campaign
    summary = Table(title=f"Campaign {c.id} — {c.name} ({c.state})", show_header=False, box=None)
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("template", f"{c.template} ({c.language}), {c.category}, from {c.number}")
    summary.add_row("audience", f"{c.audience}: {report.recipients:,} recipients")
    rates = report.rates
    summary.add_row("sent", f"{report.sent:,}")
    summary.add_row("delivered", f"{report.delivered:,} ({rates['delivered']:.0%})")
    summary.add_row("read", f"{report.read:,} ({rates['read']:.0%})")
    summary.add_row("replied", f"{report.replied:,} ({rates['replied']:.0%})")
    summary.add_row("failed", f"{report.failed:,}")
    if report.pending:
        summary.add_row("not sent yet", f"{report.pending:,}")
    if report.unknown:
        summary.add_row("unknown", f"{report.unknown:,}: {report.unknown_explanation}")
    released = "released" if report.released else "still held"
    summary.add_row("cost", f"{report.cost} credits (reserved {report.reserved}, the rest {released})")
    if c.pause_reason:
        summary.add_row("note", c.pause_reason)
    out: list[Any] = [summary]
    if report.failures:
        failures = Table(title="Failures by error code")
        for col in ("code", "count", "what it means", "Meta said"):
            failures.add_column(col)
        for f in report.failures:
            failures.add_row(str(f.code or "-"), f"{f.count:,}", f.explanation, f.example or "")
        out.append(failures)
    if report.skipped:
        skipped = Table(title="Skipped")
        for col in ("reason", "count", "what it means"):
            skipped.add_column(col)
        for s in report.skipped:
            skipped.add_row(s.reason, f"{s.count:,}", s.explanation)
        out.append(skipped)
    if report.timeline:
        timeline = Table(title="Timeline (UTC, per minute)")
        for col in ("minute", "sent", "delivered", "read", "failed"):
            timeline.add_column(col, justify="right" if col != "minute" else "left")
        for p in report.timeline[-30:]:
            timeline.add_row(p.minute, f"{p.sent:,}", f"{p.delivered:,}", f"{p.read:,}", f"{p.failed:,}")
        out.append(timeline)
    return out


@app.command()
def report(campaign_id: int, tenant: str | None = TENANT, json_: bool = JSON_OPTION) -> None:
    """How CAMPAIGN_ID went: sent, delivered, read, replied, failures explained, skipped, cost, timeline."""

    async def go(services: Services, actor: Actor) -> ReportView:
        return await campaigns.campaign_report(services.db, actor, campaign_id, tenant_slug=tenant)

    result = run(go)
    if json_:
        emit(result, json=True)
        return
    for table in _report_tables(result):
        console.print(table)


@app.command()
def export(
    campaign_id: int,
    output: Path | None = typer.Option(None, "--output", "-o", help="CSV file to write (default: standard output)."),
    tenant: str | None = TENANT,
) -> None:
    """Export CAMPAIGN_ID's recipients to CSV: state, wamid, error code and its meaning, times, cost."""

    async def go(services: Services, actor: Actor) -> int:
        rows = -1
        handle = output.open("w", encoding="utf-8", newline="") if output else None
        try:
            async for chunk in campaigns.export_recipients(services.db, actor, campaign_id, tenant_slug=tenant):
                rows += chunk.count("\n")
                (handle or sys.stdout).write(chunk)
        finally:
            if handle is not None:
                handle.close()
        return rows

    written = run(go)
    if output is not None:
        console.print(f"wrote {written:,} recipients to {output}")


@app.command("list")
def list_(
    state: str | None = typer.Option(None, "--state", help="Only campaigns in this state."),
    limit: int = typer.Option(50, min=1, max=1000),
    tenant: str | None = TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """The workspace's campaigns, newest first."""

    async def go(services: Services, actor: Actor) -> list[CampaignView]:
        return await campaigns.list_campaigns(services.db, actor, tenant_slug=tenant, state=state, limit=limit)

    views = run(go)
    emit([to_jsonable(v) for v in views], json=json_, title="Campaigns", columns=LIST_COLUMNS)
