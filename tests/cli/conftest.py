"""CLI fixtures: invoke `aimstors` in-process (Typer's runner) or as a real subprocess, in a scratch directory."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aimstors.cli.app import app

from ..conftest import PG_ADMIN_DSN, _pg_admin, _sa_url, require_postgres


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


Cli = Callable[..., Result]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: no user config or data directory leaks in."""
    monkeypatch.chdir(tmp_path)
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "AIMSTORS_ADMIN_PASSWORD": "long enough pw",
    }
    for key in list(os.environ):
        if key.startswith("AIMSTORS_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def cli(cli_env: dict[str, str]) -> Cli:
    """Run the CLI in-process: ``cli("tenant", "list", "--json", env={...})``."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def run_cli(cli_env: dict[str, str], tmp_path: Path) -> Cli:
    """Run the installed `aimstors` entry point as a subprocess in the scratch directory."""

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "aimstors.cli.app", *args],
            capture_output=True,
            text=True,
            input=input,
            env={**os.environ, **cli_env, **(env or {})},
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return invoke


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (nothing migrated): what `aimstors init` meets on a fresh install."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'aimstors.db'}"
        return
    require_postgres()
    name = f"aimstors_e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield _sa_url(PG_ADMIN_DSN, name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
