"""`aimstors db`: schema migrations and Postgres partitions."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core.errors import InvalidInput
from aimstors.core.security import Action, Actor, authorize
from aimstors.core.services import Services

app = typer.Typer(help="Database schema: upgrade, current revision, partitions.", no_args_is_help=True)


@app.command()
def upgrade(json_: bool = JSON_OPTION) -> None:
    """Apply every pending migration (and, on Postgres, create partitions ahead)."""
    from aimstors.core.db.migrate import current_revision, head_revision
    from aimstors.core.db.migrate import upgrade as do_upgrade

    async def go(services: Services, actor: Actor) -> dict[str, str | None]:
        authorize(actor, Action.SECRETS_ROTATE, "/1/") if not actor.is_system else None
        before = await current_revision(services.db)
        await do_upgrade(services.db)
        return {"before": before, "after": head_revision()}

    result = run(go)
    if json_:
        emit(result, json=True)
    elif result["before"] == result["after"]:
        console.print(f"already at revision {result['after']}")
    else:
        console.print(f"upgraded {result['before'] or '(empty)'} → {result['after']}")


@app.command()
def current(json_: bool = JSON_OPTION) -> None:
    """Show the database's revision and whether it is up to date."""
    from aimstors.core.db.migrate import current_revision, head_revision

    async def go(services: Services, _actor: Actor) -> dict[str, object]:
        rev = await current_revision(services.db)
        return {
            "current": rev,
            "head": head_revision(),
            "up_to_date": rev == head_revision(),
            "dialect": services.db.dialect,
        }

    emit(run(go), json=json_)


@app.command()
def partitions(
    months_ahead: int = typer.Option(3, help="Create partitions up to this many months ahead."),
    detach_before: str | None = typer.Option(
        None, help="Detach monthly partitions that end on or before this date (YYYY-MM-DD), for retention."
    ),
    json_: bool = JSON_OPTION,
) -> None:
    """Postgres: create monthly partitions ahead, list them, optionally detach old ones."""
    import datetime as dt

    from aimstors.core.db import partitions as parts

    cutoff = None
    if detach_before:
        try:
            cutoff = dt.date.fromisoformat(detach_before)
        except ValueError:
            raise InvalidInput(f"--detach-before {detach_before!r} is not a date (YYYY-MM-DD)") from None

    async def go(services: Services, _actor: Actor) -> dict[str, object]:
        db = services.db
        if db.is_sqlite:
            raise InvalidInput("partitions exist on Postgres only; SQLite keeps each log in one table")
        async with db.engine.begin() as conn:
            created = await parts.ensure_partitions(conn, months_ahead=months_ahead)
            detached = await parts.detach_before(conn, cutoff) if cutoff else []
            listing = await parts.list_partitions(conn)
        return {"created": created, "detached": detached, "partitions": listing}

    result = run(go)
    if json_:
        emit(result, json=True)
        return
    for name in result["created"]:  # type: ignore[attr-defined]
        console.print(f"[green]created[/] {name}")
    for name in result["detached"]:  # type: ignore[attr-defined]
        console.print(f"[yellow]detached[/] {name}")
    emit(result["partitions"], json=False, columns=["table", "name", "start", "end"], title="Partitions")
