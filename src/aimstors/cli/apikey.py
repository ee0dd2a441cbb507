"""`aimstors apikey`: API keys for scripts and integrations (the secret is shown once)."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.cli.user import ROLES, _role
from aimstors.core.security import Actor
from aimstors.core.services import Services
from aimstors.core.tenancy import apikeys

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

COLUMNS = ["prefix", "name", "tenant_slug", "role", "created_at", "last_used_at", "revoked_at"]


@app.command()
def create(
    tenant: str,
    name: str = typer.Option(..., help="What the key is for."),
    role: str = typer.Option("workspace_admin", help=f"The key's role: {ROLES}."),
    json_: bool = JSON_OPTION,
) -> None:
    """Create an API key for TENANT. The secret is printed once and never stored."""
    role_value = _role(role)

    async def go(services: Services, actor: Actor) -> tuple[apikeys.ApiKeyInfo, str]:
        return await apikeys.create_api_key(services.db, actor, tenant_slug=tenant, name=name, role=role_value)

    info, secret = run(go)
    if json_:
        emit({"key": info, "secret": secret}, json=True)
        return
    console.print(f"created API key [bold]{info.prefix}[/] ({info.role} in {info.tenant_slug})")
    console.print(f"secret (shown once, store it now): [bold]{secret}[/]")


@app.command("list")
def list_(tenant: str, json_: bool = JSON_OPTION) -> None:
    """List TENANT's API keys (prefixes only; secrets are never stored)."""

    async def go(services: Services, actor: Actor) -> list[apikeys.ApiKeyInfo]:
        return await apikeys.list_api_keys(services.db, actor, tenant_slug=tenant)

    emit(run(go), json=json_, columns=COLUMNS, title="API keys")


@app.command()
def revoke(prefix: str, json_: bool = JSON_OPTION) -> None:
    """Revoke the key with PREFIX (e.g. ak_abcd1234)."""

    async def go(services: Services, actor: Actor) -> apikeys.ApiKeyInfo:
        return await apikeys.revoke_api_key(services.db, actor, prefix=prefix)

    info = run(go)
    if json_:
        emit(info, json=True)
    else:
        console.print(f"revoked {info.prefix}")
