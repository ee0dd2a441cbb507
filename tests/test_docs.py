"""Docs that cannot drift: generated pages match the code, and the README shows the two first commands."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _gen_docs():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", ["cli.md", "configuration.md", "permissions.md"])
def test_generated_reference_is_current(page: str) -> None:
    gen = _gen_docs()
    expected = gen.PAGES[page]()
    actual = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert actual == expected, f"docs/{page} is out of date: run `make docs`"


def test_every_command_and_setting_is_documented() -> None:
    import dataclasses

    import typer.main

    from aimstors.cli.app import app
    from aimstors.core.settings import Settings

    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        assert f"`aimstors {name}`" in cli_doc
        for sub in getattr(command, "commands", {}):
            assert f"`aimstors {name} {sub}`" in cli_doc
    config_doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(Settings):
        assert f"`AIMSTORS_{field.name.upper()}`" in config_doc


def test_readme_first_screen_has_demo_and_test() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen
