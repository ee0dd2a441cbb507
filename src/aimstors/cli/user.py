"""`aimstors user`: users and their roles in tenants."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core.security import Actor, Role
from aimstors.core.services import Services
from aimstors.core.tenancy import users

app = typer.Typer(help="Users and memberships (a role in a tenant).", no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise typer.BadParameter(f"unknown role {value!r}; one of: {ROLES}") from None


def _rows(infos: list[users.UserInfo]) -> list[dict[str, object]]:
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "active": u.is_active,
            "roles": [f"{m.role}@{m.tenant_slug}" for m in u.memberships],
            "created_at": u.created_at,
        }
        for u in infos
    ]


@app.command()
def create(
    email: str,
    password: str | None = typer.Option(
        None, envvar="AIMSTORS_USER_PASSWORD", help="Password (default: prompt; empty = no password login)."
    ),
    name: str = typer.Option("", help="Display name."),
    tenant: str | None = typer.Option(None, help="Give a role in this tenant right away."),
    role: str | None = typer.Option(None, help=f"The role in --tenant: {ROLES}."),
    json_: bool = JSON_OPTION,
) -> None:
    """Create a user (optionally with a role in a tenant)."""
    if (tenant is None) != (role is None):
        raise typer.BadParameter("--tenant and --role go together")
    if password is None:
        password = (
            typer.prompt("Password", hide_input=True, confirmation_prompt=True, default="", show_default=False) or None
        )
    role_value = _role(role) if role else None

    async def go(services: Services, actor: Actor) -> users.UserInfo:
        return await users.create_user(
            services.db, actor, email=email, password=password, name=name, tenant_slug=tenant, role=role_value
        )

    emit(_rows([run(go)])[0], json=json_)


@app.command()
def grant(email: str, tenant: str, role: str, json_: bool = JSON_OPTION) -> None:
    """Give EMAIL the ROLE in TENANT (replaces a role they had there)."""
    role_value = _role(role)

    async def go(services: Services, actor: Actor) -> users.MembershipInfo:
        return await users.grant(services.db, actor, email=email, tenant_slug=tenant, role=role_value)

    info = run(go)
    if json_:
        emit(info, json=True)
    else:
        console.print(f"{email} is now {info.role} in {info.tenant_slug}")


@app.command()
def revoke(email: str, tenant: str) -> None:
    """Remove EMAIL's role in TENANT and sign them out everywhere."""

    async def go(services: Services, actor: Actor) -> None:
        await users.revoke(services.db, actor, email=email, tenant_slug=tenant)

    run(go)
    console.print(f"{email} no longer has a role in {tenant}")


@app.command("list")
def list_(
    tenant: str | None = typer.Option(None, help="Only members of this tenant."), json_: bool = JSON_OPTION
) -> None:
    """List users with a role in the tenants you may see."""

    async def go(services: Services, actor: Actor) -> list[users.UserInfo]:
        return await users.list_users(services.db, actor, tenant_slug=tenant)

    emit(_rows(run(go)), json=json_, title="Users")
