"""`aimstors config`: show the effective settings (secrets redacted)."""

from __future__ import annotations

import typer

from aimstors.cli.context import get_settings
from aimstors.cli.output import JSON_OPTION, emit

app = typer.Typer(help="Effective configuration.", no_args_is_help=True)


@app.command()
def show(json_: bool = JSON_OPTION) -> None:
    """Print every setting with its value; secrets show as ***."""
    emit(get_settings().redacted(), json=json_, title="Settings")
