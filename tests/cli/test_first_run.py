"""The first minutes of a new operator, as real subprocesses in an empty directory, on SQLite and Postgres."""

from __future__ import annotations

from pathlib import Path

from .conftest import Cli


def test_init_tenant_topup_balance_and_init_again(run_cli: Cli, empty_db_url: str, tmp_path: Path) -> None:
    env = {"AIMSTORS_DATABASE_URL": empty_db_url}
    first = run_cli("init", "--json", env=env)
    assert first.exit_code == 0, first.stderr
    report = first.json()
    assert isinstance(report, dict)
    assert (tmp_path / "aimstors.toml").exists()
    assert any("platform root" in item for item in report["created"])
    assert "long enough pw" not in first.stdout  # a password given by the operator is never echoed

    assert run_cli("tenant", "create", "acme", env=env).exit_code == 0
    topup = run_cli("credits", "topup", "acme", "1000", env=env)
    assert topup.exit_code == 0, topup.stderr
    balance = run_cli("credits", "balance", "acme", "--json", env=env)
    assert balance.exit_code == 0, balance.stderr
    data = balance.json()
    assert isinstance(data, dict)
    assert data["available"] == "1000" or data["available_micro"] == 1_000_000_000

    config_before = (tmp_path / "aimstors.toml").read_text()
    second = run_cli("init", "--json", env=env)
    assert second.exit_code == 0, second.stderr
    assert second.json()["created"] == []  # type: ignore[index]
    assert (tmp_path / "aimstors.toml").read_text() == config_before
    tenants = run_cli("tenant", "list", "--json", env=env).json()
    assert [t["slug"] for t in tenants] == ["platform", "default", "acme"]  # type: ignore[index,union-attr]


def test_errors_go_to_stderr_with_documented_exit_codes(run_cli: Cli, empty_db_url: str) -> None:
    env = {"AIMSTORS_DATABASE_URL": empty_db_url}
    assert run_cli("init", env=env).exit_code == 0
    assert run_cli("tenant", "create", "acme", env=env).exit_code == 0
    cases = [
        (("tenant", "create", "acme"), 6, "already exists"),
        (("tenant", "show", "nope"), 4, "no tenant 'nope'"),
        (("tenant", "create", "Not A Slug"), 3, "invalid"),
        (("credits", "topup", "acme", "-5"), 3, "positive"),
    ]
    for args, code, message in cases:
        result = run_cli(*args, env=env)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        assert message in result.stderr
        assert result.stdout == ""


def test_a_missing_database_is_reported_not_crashed(run_cli: Cli, tmp_path: Path) -> None:
    env = {"AIMSTORS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never-initialised.db'}"}
    result = run_cli("tenant", "list", env=env)
    assert result.exit_code == 10
    assert "aimstors db upgrade" in result.stderr or "aimstors init" in result.stderr
    assert "Traceback" not in result.stderr
