"""Tenancy through the CLI: listings as JSON, and `--as` confining a user to their own tenants."""

from __future__ import annotations

from .conftest import Cli


def _setup(cli: Cli, db_url: str) -> dict[str, str]:
    env = {"AIMSTORS_DATABASE_URL": db_url}
    assert cli("init", env=env).exit_code == 0
    for slug in ["shop-a", "shop-b"]:
        assert cli("tenant", "create", slug, env=env).exit_code == 0
    for email, slug in [("a@shop-a.test", "shop-a"), ("b@shop-b.test", "shop-b")]:
        result = cli(
            "user",
            "create",
            email,
            "--password",
            "long enough pw",
            "--tenant",
            slug,
            "--role",
            "workspace_admin",
            env=env,
        )
        assert result.exit_code == 0, result.stderr
    return env


def test_as_a_workspace_admin_other_tenants_do_not_exist(cli: Cli, db_url: str) -> None:
    env = _setup(cli, db_url)
    as_a = {**env, "AIMSTORS_AS": "a@shop-a.test"}
    listing = cli("tenant", "list", "--json", env=as_a).json()
    assert [t["slug"] for t in listing] == ["shop-a"]  # type: ignore[index,union-attr]
    assert cli("tenant", "show", "shop-b", env=as_a).exit_code == 4
    assert cli("apikey", "list", "shop-b", env=as_a).exit_code == 4
    assert cli("apikey", "create", "shop-b", "--name", "x", env=as_a).exit_code == 4
    assert cli("user", "grant", "a@shop-a.test", "shop-b", "workspace_admin", env=as_a).exit_code == 4
    users = cli("user", "list", "--json", env=as_a).json()
    assert [u["email"] for u in users] == ["a@shop-a.test"]  # type: ignore[index,union-attr]
    assert cli("tenant", "create", "mine", env=as_a).exit_code == 5


def test_api_key_secret_is_shown_once(cli: Cli, db_url: str) -> None:
    env = _setup(cli, db_url)
    created = cli("apikey", "create", "shop-a", "--name", "ci", "--json", env=env).json()
    assert isinstance(created, dict)
    secret = created["secret"]
    listing = cli("apikey", "list", "shop-a", "--json", env=env)
    assert secret not in listing.stdout
    assert created["key"]["prefix"] in listing.stdout
    assert cli("apikey", "revoke", created["key"]["prefix"], env=env).exit_code == 0
    revoked = cli("apikey", "list", "shop-a", "--json", env=env).json()
    assert revoked[0]["revoked_at"] is not None  # type: ignore[index]


def test_config_show_redacts_secrets(cli: Cli, db_url: str) -> None:
    env = {"AIMSTORS_DATABASE_URL": db_url, "AIMSTORS_JWT_SECRET": "super-secret-jwt-value-" + "z" * 20}
    shown = cli("config", "show", "--json", env=env)
    assert shown.exit_code == 0
    assert "super-secret-jwt-value" not in shown.stdout
    assert shown.json()["jwt_secret"] == "***"  # type: ignore[index]


def test_shell_completion_offers_commands(run_cli: Cli) -> None:
    result = run_cli(env={"_AIMSTORS_COMPLETE": "complete_bash", "COMP_WORDS": "aimstors ten", "COMP_CWORD": "1"})
    assert "tenant" in result.stdout
