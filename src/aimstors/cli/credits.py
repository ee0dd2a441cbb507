"""`aimstors credits`: top up, allocate down the tenant tree, balances and statements."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core import credits
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(
    help="Credits: top up, allocate, balance, history (amounts in credits, e.g. 12.5).", no_args_is_help=True
)

KEY_OPTION = typer.Option(None, "--key", help="Idempotency key: repeating a command with the same key applies it once.")
AMOUNT = typer.Argument(..., help="Credits, e.g. 1000 or 12.5.", metavar="AMOUNT")


@app.command(context_settings={"ignore_unknown_options": True})
def topup(
    tenant: str,
    amount: str = AMOUNT,
    memo: str = typer.Option("", help="A note for the statement."),
    key: str | None = KEY_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Issue AMOUNT new credits to TENANT."""

    async def go(services: Services, actor: Actor) -> credits.MovementView:
        return await credits.topup(services.db, actor, tenant, amount, key=key, memo=memo)

    result = run(go)
    if json_:
        emit(result, json=True)
    else:
        note = " (already applied; nothing changed)" if result.replayed else ""
        console.print(f"topped up {result.tenant} with {result.amount} credits{note}")


@app.command(context_settings={"ignore_unknown_options": True})
def allocate(
    source: str,
    target: str,
    amount: str = AMOUNT,
    memo: str = typer.Option("", help="A note for the statement."),
    key: str | None = KEY_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Move AMOUNT credits from SOURCE to TARGET, a tenant below it."""

    async def go(services: Services, actor: Actor) -> credits.MovementView:
        return await credits.allocate(services.db, actor, source, target, amount, key=key, memo=memo)

    result = run(go)
    if json_:
        emit(result, json=True)
    else:
        console.print(f"allocated {result.amount} credits from {source} to {target}")


@app.command()
def balance(tenant: str, json_: bool = JSON_OPTION) -> None:
    """Show TENANT's available and reserved credits."""

    async def go(services: Services, actor: Actor) -> credits.BalanceView:
        return await credits.balance(services.db, actor, tenant)

    emit(run(go), json=json_, columns=["tenant", "available", "reserved", "ai_available", "ai_reserved"])


@app.command()
def history(
    tenant: str,
    limit: int = typer.Option(50, min=1, max=1000),
    before: int | None = typer.Option(None, help="Show entries older than this entry id (paging)."),
    json_: bool = JSON_OPTION,
) -> None:
    """TENANT's statement, newest first."""

    async def go(services: Services, actor: Actor) -> list[credits.HistoryView]:
        return await credits.history(services.db, actor, tenant, limit=limit, before_id=before)

    emit(
        run(go),
        json=json_,
        title="Credits history",
        columns=["entry_id", "kind", "amount", "balance_after", "counterparty", "memo"],
    )
