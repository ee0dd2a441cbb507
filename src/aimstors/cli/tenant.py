"""`aimstors tenant`: the tenant tree (resellers and workspaces)."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, emit
from aimstors.cli.runner import run
from aimstors.core.security import Actor
from aimstors.core.services import Services
from aimstors.core.tenancy import tenants

app = typer.Typer(help="Tenants: the platform root, resellers and workspaces.", no_args_is_help=True)

COLUMNS = ["slug", "name", "kind", "parent_slug", "status", "created_at"]


@app.command()
def create(
    slug: str = typer.Argument(..., help="Short stable name: lowercase letters, digits, '-'."),
    name: str | None = typer.Option(None, help="Display name (default: the slug)."),
    kind: str = typer.Option("workspace", help="workspace or reseller."),
    parent: str | None = typer.Option(None, help="Parent tenant slug (default: the platform root)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Create a workspace (or, with --kind reseller, a reseller)."""

    async def go(services: Services, actor: Actor) -> tenants.TenantInfo:
        return await tenants.create_tenant(
            services.db,
            actor,
            slug=slug,
            name=name,
            kind=kind,  # type: ignore[arg-type]
            parent_slug=parent,
        )

    emit(run(go), json=json_, columns=COLUMNS)


@app.command("list")
def list_(
    kind: str | None = typer.Option(None, help="Only tenants of this kind."),
    json_: bool = JSON_OPTION,
) -> None:
    """List the tenants you may see, in tree order."""

    async def go(services: Services, actor: Actor) -> list[tenants.TenantInfo]:
        return await tenants.list_tenants(services.db, actor, kind=kind)

    emit(run(go), json=json_, columns=COLUMNS, title="Tenants")


@app.command()
def show(slug: str, json_: bool = JSON_OPTION) -> None:
    """Show one tenant."""

    async def go(services: Services, actor: Actor) -> tenants.TenantInfo:
        return await tenants.get_tenant(services.db, actor, slug)

    emit(run(go), json=json_)
