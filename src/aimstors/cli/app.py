"""The root `aimstors` command: global options, then one sub-app per command group."""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from aimstors import __version__
from aimstors.cli.context import CliState, set_state

app = typer.Typer(
    name="aimstors",
    help="Self-hosted WhatsApp Business marketing and automation.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

# (module, command name) for each command group, in the order `--help` shows them.
GROUPS: list[tuple[str, str]] = [
    ("db", "db"),
    ("tenant", "tenant"),
    ("user", "user"),
    ("apikey", "apikey"),
    ("credits", "credits"),
    ("billing", "billing"),
    ("usage", "usage"),
    ("campaign", "campaign"),
    ("whatsapp", "whatsapp"),
    ("templates", "templates"),
    ("secrets", "secrets"),
    ("jobs", "jobs"),
    ("webhooks", "webhooks"),
    ("branding", "branding"),
    ("domain", "domain"),
    ("config", "config"),
    ("sandbox", "sandbox"),
    ("contacts", "contacts"),
    ("audiences", "audiences"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aimstors {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="AIMSTORS_CONFIG", help="Path of aimstors.toml.", show_envvar=True
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Override the database URL (else AIMSTORS_DATABASE_URL or the config)."
    ),
    as_user: str | None = typer.Option(
        None,
        "--as",
        envvar="AIMSTORS_AS",
        help="Act as this user (email) with their role, not as the operator.",
    ),
    as_tenant: str | None = typer.Option(
        None, "--as-tenant", help="With --as: which of the user's memberships to act under."
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    ctx.obj = CliState(config_file=config, database_url=database_url, as_user=as_user, as_tenant=as_tenant)
    set_state(ctx.obj)


def _register() -> None:
    from aimstors.cli.init import init
    from aimstors.cli.serve import serve, worker

    app.command("init")(init)
    app.command("serve")(serve)
    app.command("worker")(worker)
    for module_name, command in GROUPS:
        try:
            module = importlib.import_module(f"aimstors.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"aimstors.cli.{module_name}":
                raise
            continue
        app.add_typer(module.app, name=command)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
