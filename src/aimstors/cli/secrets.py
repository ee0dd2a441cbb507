"""`aimstors secrets`: the keyring that encrypts stored third-party tokens."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core.security import Action, Actor, authorize, generate_key_entry
from aimstors.core.security.stored_secrets import RotationReport, rotate
from aimstors.core.services import Services

app = typer.Typer(help="Secrets at rest: generate keys, re-encrypt under the newest key.", no_args_is_help=True)


@app.command("rotate")
def rotate_(json_: bool = JSON_OPTION) -> None:
    """Re-encrypt every stored secret under the first key of `secret_keys`.

    To rotate: put a new key first in `secret_keys` (keep the old ones after it), run this, then remove the old
    keys once it reports nothing left to re-encrypt.
    """

    async def go(services: Services, actor: Actor) -> list[RotationReport]:
        authorize(actor, Action.SECRETS_ROTATE, "/1/" if not actor.is_system else "/")
        return await rotate(services.db, services.keyring)

    reports = run(go)
    if json_:
        emit(reports, json=True)
        return
    emit(reports, json=False, title="Re-encrypted secrets")
    console.print(
        f"{sum(r.reencrypted for r in reports)} secret(s) re-encrypted, {sum(r.total for r in reports)} checked"
    )


@app.command("generate-key")
def generate_key(key_id: str = typer.Argument(..., help="An id for the key, e.g. k2 or 2026-11.")) -> None:
    """Print a new keyring entry (KEY_ID:BASE64) to put first in `secret_keys`."""
    typer.echo(generate_key_entry(key_id))
