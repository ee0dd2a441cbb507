"""`aimstors webhooks`: the stored webhook deliveries from Meta — list, show, replay."""

from __future__ import annotations

import datetime as dt

import typer

from aimstors.cli.jobs import parse_duration
from aimstors.cli.output import JSON_OPTION, emit
from aimstors.cli.runner import run
from aimstors.core import inbound
from aimstors.core.errors import InvalidInput
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(help="Webhook deliveries from Meta: list, show, replay.", no_args_is_help=True)

COLUMNS = ["id", "received_at", "status", "tenant_id", "size", "error"]
SINCE_HELP = "Received at or after: a duration ago (30m, 12h, 7d) or an ISO date/time (2026-05-01, …T12:00Z)."
STATUS_HELP = "Only events with this outcome: " + ", ".join(inbound.EVENT_STATUSES) + "."


def parse_since(text: str | None, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """``--since``/``--until``: a duration before now, or an ISO date or date-time (UTC when no offset)."""
    if text is None:
        return None
    try:
        return (now or dt.datetime.now(dt.UTC)) - parse_duration(text)
    except InvalidInput:
        pass
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is neither a duration (7d, 12h) nor an ISO date/time") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help=STATUS_HELP),
    since: str | None = typer.Option(None, help=SINCE_HELP),
    limit: int = typer.Option(50, help="At most this many events, newest first."),
    json_: bool = JSON_OPTION,
) -> None:
    """List stored deliveries, newest first (bodies only with `webhooks show`)."""

    async def go(services: Services, actor: Actor) -> list[inbound.WebhookEventInfo]:
        return await inbound.list_events(services.db, actor, status=status, since=parse_since(since), limit=limit)

    emit(run(go), json=json_, columns=COLUMNS, title="Webhook events")


@app.command()
def show(
    event_id: str = typer.Argument(..., help="The event's id (from `webhooks list`)."), json_: bool = JSON_OPTION
) -> None:
    """Show one delivery with its body as Meta sent it (it holds phone numbers and message text)."""

    async def go(services: Services, actor: Actor) -> inbound.WebhookEventDetail:
        return await inbound.get_event(services.db, actor, event_id)

    emit(run(go), json=json_)


@app.command()
def replay(
    event_ids: list[str] = typer.Argument(None, help="Replay these events (ids from `webhooks list`)."),
    since: str | None = typer.Option(None, help=SINCE_HELP),
    until: str | None = typer.Option(None, help="Received before this (same forms as --since)."),
    status: str | None = typer.Option(None, help=STATUS_HELP),
    json_: bool = JSON_OPTION,
) -> None:
    """Process stored deliveries again, oldest first. Idempotent: what was applied stays applied once.

    Use it after connecting a number that had `unroutable` events, or after an upgrade that understands more.
    """

    async def go(services: Services, actor: Actor) -> inbound.ReplayResult:
        return await inbound.replay(
            services.db,
            inbound.processor_for(services),
            actor,
            since=parse_since(since),
            until=parse_since(until),
            status=status,
            event_ids=event_ids or None,
        )

    emit(run(go), json=json_)
