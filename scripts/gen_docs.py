"""Generate the reference pages in docs/ from the code itself, so they cannot drift.

    docs/cli.md            every command, its help and options (from the Typer app)
    docs/configuration.md  every setting (from aimstors.core.settings.Settings)
    docs/permissions.md    the role × action matrix (from aimstors.core.security.permissions)

Usage: .venv/bin/python scripts/gen_docs.py [--check]   (--check exits 1 when a page is out of date)
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import typer.main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _param_row(param: Any) -> str | None:
    if param.name in {"help", "install_completion", "show_completion"}:
        return None
    if param.param_type_name == "argument":
        name = f"`{param.name.upper()}`"
        kind = "argument" + ("" if param.required else " (optional)")
    else:
        name = ", ".join(f"`{o}`" for o in param.opts)
        kind = "flag" if param.is_flag else "option"
    help_text = (getattr(param, "help", None) or "").replace("\n", " ").replace("|", "\\|")
    default = param.default
    if default not in (None, False, ()) and not callable(default) and param.param_type_name != "argument":
        help_text += f" Default: `{default}`."
    envvar = getattr(param, "envvar", None)
    if envvar:
        help_text += f" Env: `{envvar}`."
    return f"| {name} | {kind} | {help_text.strip()} |"


def _walk(command: Any, path: list[str], out: list[str]) -> None:
    name = " ".join(path)
    level = min(len(path) + 1, 4)
    out.append(f"{'#' * level} `{name}`\n")
    doc = (command.help or "").strip()
    if doc:
        out.append(doc.replace("\b\n", "") + "\n")
    rows = [r for r in (_param_row(p) for p in command.params) if r]
    if rows:
        out.append("| name | kind | description |\n|---|---|---|")
        out.extend(rows)
        out.append("")
    sub = getattr(command, "commands", None)
    if sub:
        for child_name in sorted(sub) if len(path) > 1 else list(sub):
            _walk(sub[child_name], [*path, child_name], out)


def cli_reference() -> str:
    from aimstors.cli.app import app

    command = typer.main.get_command(app)
    out = [
        "# CLI reference\n",
        "Generated from the command definitions by `scripts/gen_docs.py` (`make docs`); do not edit by hand.\n",
        "Exit codes: 0 ok · 1 unexpected error · 2 usage error · 3 invalid input · 4 not found · "
        "5 permission denied · 6 conflict · 7 insufficient funds · 8 configuration error · "
        "9 authentication failed · 10 database unavailable · 130 interrupted. Errors go to stderr; "
        "`--json` output goes to stdout.\n",
    ]
    _walk(command, ["aimstors"], out)
    return "\n".join(out).rstrip() + "\n"


def configuration_reference() -> str:
    from aimstors.core.settings import Settings

    out = [
        "# Configuration\n",
        "Generated from `aimstors.core.settings.Settings` by `scripts/gen_docs.py`; do not edit by hand.\n",
        "Settings come from, lowest precedence first: the defaults below, `aimstors.toml` (found through "
        "`AIMSTORS_CONFIG`, else `./aimstors.toml`, else the user's config directory), then `AIMSTORS_<NAME>` "
        "environment variables. Secrets are never printed (`aimstors config show` shows `***`).\n",
        "| setting | environment | default | description |",
        "|---|---|---|---|",
    ]
    for f in dataclasses.fields(Settings):
        if f.default is not dataclasses.MISSING:
            default = f"`{f.default!r}`" if f.default not in ("", ()) else "(empty)"
        else:
            default = "(computed)"
        secret = " **Secret.**" if f.metadata.get("secret") else ""
        out.append(f"| `{f.name}` | `AIMSTORS_{f.name.upper()}` | {default} | {f.metadata['doc']}{secret} |")
    return "\n".join(out) + "\n"


def permissions_reference() -> str:
    from aimstors.core.security.permissions import Role, matrix_rows

    roles = list(Role)
    out = [
        "# Permissions\n",
        "Generated from `aimstors.core.security.permissions` by `scripts/gen_docs.py`; do not edit by hand.\n",
        "Every service consults this matrix, and an actor acts only inside its own tenant's subtree: a reseller "
        "admin on its reseller and the workspaces under it, a workspace role on its one workspace.\n",
        "| action | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action, allowed in matrix_rows():
        out.append(f"| `{action.value}` | " + " | ".join("✓" if allowed[r] else "·" for r in roles) + " |")
    return "\n".join(out) + "\n"


PAGES = {
    "cli.md": cli_reference,
    "configuration.md": configuration_reference,
    "permissions.md": permissions_reference,
}


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for name, build in PAGES.items():
        text = build()
        path = DOCS / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run `make docs`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
