"""`aimstors usage`: messages by category and credits per day, with a small terminal chart; `usage rollup`."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table
from rich.text import Text

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core import billing, usage
from aimstors.core.billing import RollupReport
from aimstors.core.errors import InvalidInput
from aimstors.core.security import Action, Actor, authorize
from aimstors.core.services import Services

app = typer.Typer(
    help="Usage: messages by category and credits per day (`aimstors usage --since 2026-06-01`).",
    invoke_without_command=True,
)

BAR_WIDTH = 30
STYLES = {"marketing": "magenta", "utility": "cyan", "authentication": "yellow", "service": "green"}


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _bar(parts: dict[str, int], scale: float) -> Text:
    """A stacked bar: one colour per category, ``scale`` cells per message."""
    text = Text()
    for category, count in sorted(parts.items()):
        cells = round(count * scale)
        text.append("█" * cells, style=STYLES.get(category, "white"))
    return text


def _chart(report: usage.UsageReport) -> Table:
    busiest = max((d.messages_total for d in report.days), default=0)
    scale = BAR_WIDTH / busiest if busiest else 0
    table = Table(title=f"Usage of {report.tenant}, {report.since} to {report.until} (UTC)")
    table.add_column("day")
    table.add_column("messages", justify="right")
    table.add_column("", min_width=BAR_WIDTH)
    table.add_column("credits", justify="right")
    for day in report.days:
        table.add_row(str(day.day), f"{day.messages_total:,}", _bar(day.messages, scale), day.credits)
    return table


@app.callback()
def show(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant", "-t", help="A tenant in your reach (default: your own)."),
    since: str | None = typer.Option(None, "--since", help="First day, YYYY-MM-DD (default: 30 days ago)."),
    until: str | None = typer.Option(None, "--until", help="Last day, YYYY-MM-DD (default: today)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Messages by category and credits per UTC day, with a chart."""
    if ctx.invoked_subcommand is not None:
        return
    first, last = _date(since, "since"), _date(until, "until")

    async def go(services: Services, actor: Actor) -> usage.UsageReport:
        slug = tenant
        if slug is None and actor.tenant_id is None:
            from aimstors.core.campaigns.context import workspace

            slug = (await workspace(services.db, actor, None, Action.USAGE_READ)).slug
        return await usage.usage(services.db, actor, tenant_slug=slug, since=first, until=last)

    report = run(go)
    if json_:
        emit(report, json=True)
        return
    console.print(_chart(report))
    totals = ", ".join(f"{category} {count:,}" for category, count in report.messages.items()) or "no messages"
    legend = Text("  ".join(f"█ {c}" for c in report.messages), style="dim")
    console.print(f"total: {report.messages_total:,} messages ({totals}); {report.credits} credits")
    if report.messages:
        console.print(legend)


@app.command()
def rollup(
    since: str | None = typer.Option(None, "--since", help="First day to roll up (default: yesterday)."),
    until: str | None = typer.Option(None, "--until", help="Last day (default: today)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Roll usage events up into daily metrics now (a worker does it every ten minutes)."""
    first, last = _date(since, "since"), _date(until, "until")

    async def go(services: Services, actor: Actor) -> RollupReport:
        authorize(actor, Action.RATE_CARD_WRITE, "/")
        return await billing.rollup_usage(services.db, since=first, until=last)

    result = run(go)
    if json_:
        emit(result, json=True)
    else:
        console.print(f"rolled up {result.days} day(s): {result.tenant_days} tenant-day(s), {result.metrics} metrics")
