"""`aimstors billing`: rate cards (CSV the operator controls), plans and who is billed on which, effective prices."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core import billing
from aimstors.core.billing import PlanView, PriceView, RateCardRow
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(help="Billing: rate cards per plan (CSV), plans assigned to tenants, effective prices.",
                  no_args_is_help=True)  # fmt: skip
ratecard = typer.Typer(help="Rate cards: prices per category (and country) of a plan.", no_args_is_help=True)
plan = typer.Typer(help="Plans: list them, set the plan a tenant is billed on.", no_args_is_help=True)
app.add_typer(ratecard, name="ratecard")
app.add_typer(plan, name="plan")

OWNER = typer.Option(None, "--owner", help="The plan's owner: the platform (default) or a reseller's slug.")
PLAN = typer.Option(..., "--plan", help="Plan name.")


def _rows_table(title: str, rows: tuple[RateCardRow, ...]) -> Table:
    table = Table(title=title)
    for col in ("category", "country", "price (credits)"):
        table.add_column(col, justify="right" if col.startswith("price") else "left")
    for row in rows:
        table.add_row(row.category, row.country or "(all others)", row.price)
    return table


def _show_plan(view: PlanView) -> None:
    margin = f", margin {view.margin_bps / 100:g}% over {view.owner}'s cost" if view.margin_bps else ""
    console.print(_rows_table(f"Plan {view.name} of {view.owner}{margin}", view.rows))
    console.print(f"billed on it: {', '.join(view.tenants) or 'nobody yet'}")


@ratecard.command("load")
def ratecard_load(
    file: Path = typer.Argument(..., help="CSV with columns category, country (optional), price (credits)."),
    plan_name: str = PLAN,
    owner: str | None = OWNER,
    margin: int | None = typer.Option(None, "--margin", help="Basis points over the owner's cost (2000 = 20%)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Replace PLAN's rate card with FILE (created if new). All or nothing; mistakes are named by line."""

    async def go(services: Services, actor: Actor) -> PlanView:
        return await billing.load_rate_card(
            services.db, actor, file, plan=plan_name, owner_slug=owner, margin_bps=margin
        )

    view = run(go)
    if json_:
        emit(view, json=True)
        return
    console.print(f"loaded {len(view.rows)} prices into plan {view.name}")
    _show_plan(view)


@ratecard.command("show")
def ratecard_show(plan_name: str = PLAN, owner: str | None = OWNER, json_: bool = JSON_OPTION) -> None:
    """Show PLAN's rate card and who is billed on it."""

    async def go(services: Services, actor: Actor) -> PlanView:
        return await billing.show_rate_card(services.db, actor, plan=plan_name, owner_slug=owner)

    view = run(go)
    emit(view, json=True) if json_ else _show_plan(view)


@plan.command("list")
def plan_list(owner: str | None = OWNER, json_: bool = JSON_OPTION) -> None:
    """The owner's plans."""

    async def go(services: Services, actor: Actor) -> list[PlanView]:
        return await billing.list_plans(services.db, actor, owner_slug=owner)

    views = run(go)
    rows = [
        {
            "plan": v.name,
            "owner": v.owner,
            "margin_bps": v.margin_bps,
            "prices": len(v.rows),
            "tenants": list(v.tenants),
        }
        for v in views
    ]
    emit(rows, json=json_, title="Plans")


@plan.command("assign")
def plan_assign(
    tenant: str = typer.Argument(..., help="The tenant to bill on the plan."),
    plan_name: str = PLAN,
    owner: str | None = OWNER,
    json_: bool = JSON_OPTION,
) -> None:
    """Bill TENANT on PLAN (a plan of a tenant above it)."""

    async def go(services: Services, actor: Actor) -> PriceView:
        return await billing.assign_plan(services.db, actor, tenant, plan=plan_name, owner_slug=owner)

    view = run(go)
    if json_:
        emit(view, json=True)
        return
    console.print(f"{view.tenant} is billed on plan {view.plan}")
    console.print(_rows_table(f"Prices of {view.tenant}", view.prices))


@app.command()
def prices(tenant: str, json_: bool = JSON_OPTION) -> None:
    """What TENANT pays per message, after plans and reseller margins."""

    async def go(services: Services, actor: Actor) -> PriceView:
        return await billing.show_prices(services.db, actor, tenant)

    view = run(go)
    if json_:
        emit(view, json=True)
    else:
        console.print(
            _rows_table(f"Prices of {view.tenant} (plan {view.plan or 'none: messages cost 0'})", view.prices)
        )
