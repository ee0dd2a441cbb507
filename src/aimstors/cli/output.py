"""Rendering results: rich tables for people, ``--json`` for scripts. Secrets never reach either."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json as jsonlib
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["JSON_OPTION", "console", "emit", "to_jsonable"]

console = Console(highlight=False, soft_wrap=True)
JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return jsonlib.dumps(to_jsonable(value), ensure_ascii=False)
    return str(value)


def emit(data: Any, *, json: bool, columns: Sequence[str] | None = None, title: str | None = None) -> None:
    """Print ``data`` (a dataclass, a mapping, or a list of either) as a table, or as JSON with ``json=True``."""
    plain = to_jsonable(data)
    if json:
        sys.stdout.write(jsonlib.dumps(plain, indent=2, ensure_ascii=False) + "\n")
        return
    rows = plain if isinstance(plain, list) else None
    if rows is None:
        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for key, value in plain.items() if isinstance(plain, Mapping) else [("value", plain)]:
            if columns is None or key in columns:
                table.add_row(key, _cell(value))
        console.print(table)
        return
    if not rows:
        console.print(f"[dim]no {title.lower() if title else 'rows'}[/]")
        return
    cols = list(columns) if columns else list(rows[0].keys())
    table = Table(title=title)
    for col in cols:
        table.add_column(col.replace("_", " "))
    for row in rows:
        table.add_row(*(_cell(row.get(col)) for col in cols))
    console.print(table)
