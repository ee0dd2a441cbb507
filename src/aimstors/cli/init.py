"""`aimstors init`: config file with fresh secrets, database schema, platform root, default workspace, admin."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from aimstors.cli.context import current_state
from aimstors.cli.output import console, emit
from aimstors.cli.runner import run
from aimstors.core.security import Actor, generate_key_entry, generate_token_secret
from aimstors.core.services import Services
from aimstors.core.settings import CONFIG_FILE_NAME

CONFIG_TEMPLATE = """\
# aimstors configuration, written by `aimstors init`. Every key can be overridden by AIMSTORS_<KEY>.
# Keep this file private: it holds the keys that encrypt your stored secrets and sign session tokens.
secret_keys = ["{key_entry}"]
jwt_secret = "{jwt_secret}"
meta_verify_token = "{verify_token}"
# database_url = "postgresql+asyncpg://aimstors@127.0.0.1/aimstors"   # default: SQLite in the data directory
# meta_app_secret = ""   # from your Meta app's settings; verifies webhook signatures
"""


def write_config(path: Path) -> bool:
    """Write a config file with fresh secrets unless one exists. Returns True when written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    text = CONFIG_TEMPLATE.format(
        key_entry=generate_key_entry("k1"),
        jwt_secret=generate_token_secret(),
        verify_token=secrets.token_urlsafe(24),
    )
    path.touch(mode=0o600)
    path.write_text(text, encoding="utf-8")
    return True


def init(
    admin_email: str = typer.Option(
        "admin@localhost",
        "--admin-email",
        envvar="AIMSTORS_ADMIN_EMAIL",
        help="Email of the first super admin.",
    ),
    admin_password: str | None = typer.Option(
        None,
        "--admin-password",
        envvar="AIMSTORS_ADMIN_PASSWORD",
        help="Password of the first super admin (default: generated, shown once).",
    ),
    json_: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Set up aimstors here: config, database, platform root, default workspace, first super admin.

    Safe to run twice: what exists is left as it is.
    """
    from aimstors.core.setup import initialise

    state = current_state()
    config_path = state.config_file or Path.cwd() / CONFIG_FILE_NAME
    wrote_config = write_config(config_path)
    state.config_file = config_path
    password = admin_password or secrets.token_urlsafe(12)

    async def go(services: Services, _actor: Actor) -> object:
        return await initialise(services.db, admin_email=admin_email, admin_password=password)

    report = run(go)
    created = ([f"config {config_path}"] if wrote_config else []) + report.created  # type: ignore[attr-defined]
    settings = state.settings()
    result = {
        "config_file": str(config_path),
        "database_url": _redact_url(settings.database_url),
        "revision": report.revision,  # type: ignore[attr-defined]
        "created": created,
        "admin_email": report.admin_email,  # type: ignore[attr-defined]
    }
    if report.admin_created and admin_password is None:  # type: ignore[attr-defined]
        result["admin_password"] = password  # shown once, only when we generated it
    if json_:
        emit(result, json=True)
        return
    if not created:
        console.print("[green]aimstors is already initialised here; nothing changed.[/]")
    else:
        for item in created:
            console.print(f"[green]created[/] {item}")
    console.print(f"database: {result['database_url']} (revision {result['revision']})")
    if "admin_password" in result:
        console.print(
            f"super admin [bold]{result['admin_email']}[/], password [bold]{result['admin_password']}"
            "[/] (shown once: store it now)"
        )


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
