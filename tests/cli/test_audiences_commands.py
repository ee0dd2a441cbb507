"""`aimstors audiences`: create each kind, list, show, preview, add/remove, delete (SQLite: the commands are thin
shells over services tested on both dialects; `--as` is in test_contacts_commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli
from .test_contacts_commands import LEADS, _setup


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return result.json()


@pytest.mark.sqlite_only
def test_audiences_from_the_command_line(cli: Cli, db_url: str, tmp_path: Path) -> None:
    env = _setup(cli, db_url)
    (tmp_path / "leads.csv").write_text(LEADS)
    created = cli(
        "audiences", "create", "June", "--kind", "static", "--from-csv", "leads.csv", "--region", "US",
        "--attr", "City=city", "--tenant", "shop-a", env=env,
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert "created static audience 'June'" in created.stdout and "2 members" in created.stdout
    segment = _json(cli("audiences", "create", "Parisians", "--kind", "segment", "--attr-contains", "city=paris",
                        "--inbound-older-than", "30d", "-t", "shop-a", "--json", env=env))  # fmt: skip
    assert segment["definition"] == {
        "attributes": [{"name": "city", "op": "contains", "value": "paris"}],
        "inbound_older_than": "30d",
    }
    (tmp_path / "weekly.csv").write_text("phone\n+15550100077\n")
    assert cli("audiences", "create", "Weekly", "--kind", "csv", "--file", "weekly.csv", "-t", "shop-a",
               env=env).exit_code == 0  # fmt: skip
    listing = _json(cli("audiences", "list", "--tenant", "shop-a", "--json", env=env))
    assert [(a["name"], a["kind"], a["members"]) for a in listing] == [
        ("June", "static", 2), ("Parisians", "segment", None), ("Weekly", "csv", None),
    ]  # fmt: skip
    preview = _json(cli("audiences", "preview", "June", "--tenant", "shop-a", "--json", env=env))
    assert preview["count"]["eligible"] == 2
    assert [r["phone"] for r in preview["sample"]] == ["+12025550123", "+447911123456"]
    assert cli("contacts", "optout", "+447911123456", "-t", "shop-a", env=env).exit_code == 0
    shown = cli("audiences", "show", "June", "--tenant", "shop-a", env=env)
    assert shown.exit_code == 0 and "1 recipients" in shown.stdout and "1 opted out" in shown.stdout
    assert _json(cli("audiences", "show", "Parisians", "-t", "shop-a", "--json", env=env))["count"]["eligible"] == 1
    removed = cli("audiences", "remove", "June", "--phone", "+12025550123", "-t", "shop-a", env=env)
    assert removed.exit_code == 0 and "removed 1 members" in removed.stdout
    added = cli("audiences", "add", "June", "--attr-equals", "city=Paris", "-t", "shop-a", env=env)
    assert added.stdout.startswith("added 1 ")
    assert cli("audiences", "delete", "Weekly", "--yes", "-t", "shop-a", env=env).exit_code == 0
    assert len(_json(cli("audiences", "list", "-t", "shop-a", "--json", env=env))) == 2


@pytest.mark.sqlite_only
def test_bad_audiences_are_refused_and_nothing_is_saved(cli: Cli, db_url: str, tmp_path: Path) -> None:
    env = _setup(cli, db_url)
    (tmp_path / "bad.csv").write_text("phone,name\n+15550100001,Ann\nnope,Bob\n")
    result = cli("audiences", "create", "Bad", "--kind", "static", "--from-csv", "bad.csv", "-t", "shop-a", env=env)
    assert result.exit_code == 3 and "line 3:" in result.stderr and "nothing was imported" in result.stderr
    result = cli("audiences", "create", "X", "--kind", "segment", "--inbound-within", "soon", "-t", "shop-a", env=env)
    assert result.exit_code == 3 and "'soon' is not a duration" in result.stderr
    result = cli("audiences", "create", "X", "--kind", "retarget", "--campaign", "5", "--status", "read",
                 "-t", "shop-a", env=env)  # fmt: skip
    assert result.exit_code == 4 and "no campaign 5" in result.stderr
    result = cli("audiences", "create", "X", "--kind", "csv", "--tag", "vip", "-t", "shop-a", env=env)
    assert result.exit_code == 3 and "filter options do not apply to a csv audience" in result.stderr
    assert _json(cli("audiences", "list", "-t", "shop-a", "--json", env=env)) == []
    assert _json(cli("contacts", "list", "-t", "shop-a", "--json", env=env))["items"] == []
