"""`aimstors branding` and `aimstors domain`: white-label brands and custom domains of resellers and workspaces."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core import branding as brands
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(help="White-label branding of a reseller or workspace.", no_args_is_help=True)
domains = typer.Typer(help="Custom domains that serve a tenant's brand once verified.", no_args_is_help=True)


@app.command("set")
def set_(
    tenant: str,
    name: str = typer.Option(..., "--name", help="Display name."),
    logo_url: str | None = typer.Option(None, help="https:// URL of the logo."),
    primary_color: str | None = typer.Option(None, help="#RRGGBB."),
    accent_color: str | None = typer.Option(None, help="#RRGGBB."),
    support_email: str | None = typer.Option(None, help="Where customers write for help."),
    json_: bool = JSON_OPTION,
) -> None:
    """Set TENANT's brand (its workspaces wear it too, unless they have their own)."""

    async def go(services: Services, actor: Actor) -> brands.BrandView:
        return await brands.set_branding(
            services.db, actor, tenant, display_name=name, logo_url=logo_url, primary_color=primary_color,
            accent_color=accent_color, support_email=support_email,
        )  # fmt: skip

    emit(run(go), json=json_)


@app.command()
def show(
    host: str = typer.Argument(..., help="A host name, as a browser would send it."), json_: bool = JSON_OPTION
) -> None:
    """The brand a request for HOST gets (the platform's when HOST is unknown or unverified)."""

    async def go(services: Services, _actor: Actor) -> brands.BrandView:
        return await brands.resolve_branding(services.db, host)

    emit(run(go), json=json_)


@domains.command("add")
def add(tenant: str, hostname: str, json_: bool = JSON_OPTION) -> None:
    """Add HOSTNAME to TENANT; prints the DNS TXT record that proves you own it."""

    async def go(services: Services, actor: Actor) -> brands.DomainView:
        return await brands.add_domain(services.db, actor, tenant, hostname)

    view = run(go)
    if json_:
        emit(view, json=True)
        return
    console.print(f"added {view.hostname} to {view.tenant} (not verified yet)")
    console.print(f"publish the DNS TXT record [bold]{view.txt_record}[/] = [bold]{view.txt_value}[/], "
                  "then ask a platform admin to run `aimstors domain verify`")  # fmt: skip


@domains.command("verify")
def verify(hostname: str, json_: bool = JSON_OPTION) -> None:
    """Mark HOSTNAME verified (platform admins, after checking its TXT record)."""

    async def go(services: Services, actor: Actor) -> brands.DomainView:
        return await brands.verify_domain(services.db, actor, hostname)

    emit(run(go), json=json_)


@domains.command("list")
def list_(tenant: str, json_: bool = JSON_OPTION) -> None:
    """TENANT's custom domains."""

    async def go(services: Services, actor: Actor) -> list[brands.DomainView]:
        return await brands.list_domains(services.db, actor, tenant)

    emit(run(go), json=json_, title="Domains", columns=["hostname", "verified", "verified_at", "txt_record"])
