"""`aimstors contacts`: import (all or nothing, --skip-invalid), list, show, tag, export, opt-out, and `--as`.

The commands are thin shells over core services tested on both dialects; here SQLite suffices, except for the
tenancy test, which also runs on Postgres (row-level security).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli

LEADS = "Mobile,Name,City,Labels\n(202) 555-0123,Ann,Paris,vip\n+44 7911 123456,Bob,,\n"


def _setup(cli: Cli, db_url: str) -> dict[str, str]:
    env = {"AIMSTORS_DATABASE_URL": db_url}
    assert cli("init", env=env).exit_code == 0
    for slug in ("shop-a", "shop-b"):
        assert cli("tenant", "create", slug, env=env).exit_code == 0
    for email, slug in (("a@shop-a.test", "shop-a"), ("b@shop-b.test", "shop-b")):
        created = cli("user", "create", email, "--password", "long enough pw", "--tenant", slug,
                      "--role", "workspace_admin", env=env)  # fmt: skip
        assert created.exit_code == 0, created.stderr
    return env


def _contacts(cli: Cli, env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    result = cli("contacts", "list", "--tenant", "shop-a", "--json", *args, env=env)
    assert result.exit_code == 0, result.stderr
    page = result.json()
    assert isinstance(page, dict)
    items: list[dict[str, Any]] = page["items"]
    return items


@pytest.mark.sqlite_only
def test_import_then_list_show_tag_optout_and_export(cli: Cli, db_url: str, tmp_path: Path) -> None:
    env = _setup(cli, db_url)
    (tmp_path / "leads.csv").write_text(LEADS)
    result = cli("contacts", "import", "leads.csv", "--tenant", "shop-a", "--region", "US", "--attr", "City=city",
                 "--tag-column", "Labels", "--tags", "june", "--json", env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert isinstance(report, dict)
    assert (report["inserted"], report["phone_column"], report["attributes"]) == (2, "Mobile", {"City": "city"})
    items = _contacts(cli, env)
    assert [(c["phone"], c["profile_name"], c["tags"]) for c in items] == [
        ("+12025550123", "Ann", ["june", "vip"]),
        ("+447911123456", "Bob", ["june"]),
    ]
    assert [c["phone"] for c in _contacts(cli, env, "--attr-equals", "city=Paris")] == ["+12025550123"]
    human = cli("contacts", "import", "leads.csv", "--tenant", "shop-a", "--region", "US", env=env)
    assert human.exit_code == 0 and "updated" in human.stdout and "2" in human.stdout
    shown = cli("contacts", "show", "+44 7911 123456", "--tenant", "shop-a", "--json", env=env).json()
    assert isinstance(shown, dict) and shown["profile_name"] == "Bob"
    assert cli("contacts", "tag", "+447911123456", "gold", "new", "-t", "shop-a", env=env).exit_code == 0
    assert cli("contacts", "untag", str(shown["id"]), "new", "-t", "shop-a", env=env).exit_code == 0
    assert cli("contacts", "optout", "+447911123456", "-t", "shop-a", env=env).stdout.strip().endswith("opted out")
    exported = cli("contacts", "export", "--tenant", "shop-a", env=env)
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    bob = next(r for r in rows if r["phone"] == "+447911123456")
    assert (bob["tags"], bob["opted_out"]) == ("gold;june", "true")
    assert cli("contacts", "export", "vips.csv", "--tag", "vip", "-t", "shop-a", env=env).exit_code == 0
    assert len((tmp_path / "vips.csv").read_text().splitlines()) == 2
    assert cli("contacts", "optin", "+447911123456", "-t", "shop-a", env=env).exit_code == 0


@pytest.mark.sqlite_only
def test_a_malformed_csv_is_refused_naming_the_line(cli: Cli, db_url: str, tmp_path: Path) -> None:
    env = _setup(cli, db_url)
    (tmp_path / "bad.csv").write_text("phone,name\n+15550100001,Ann\n+15550100002\nnope,Carl\n")
    result = cli("contacts", "import", "bad.csv", "--tenant", "shop-a", env=env)
    assert result.exit_code == 3
    assert "error: line 3: has 1 fields where the header has 2; 2 of 3 rows are invalid; nothing was imported" in (
        result.stderr.replace("\n", " ")
    )
    assert "--skip-invalid" in result.stderr
    assert _contacts(cli, env) == []
    (tmp_path / "latin.csv").write_bytes(b"phone,name\n+15550100001,Jos\xe9\n")
    result = cli("contacts", "import", "latin.csv", "--tenant", "shop-a", env=env)
    assert result.exit_code == 3 and "line 2: byte 0xe9 at column 17 is not valid utf-8" in result.stderr
    assert "--encoding" in result.stderr
    assert _contacts(cli, env) == []
    skipped = cli("contacts", "import", "bad.csv", "--tenant", "shop-a", "--skip-invalid", "--rejects", "rej.csv",
                  "--json", env=env)  # fmt: skip
    assert skipped.exit_code == 0, skipped.stderr
    report = skipped.json()
    assert isinstance(report, dict) and (report["inserted"], report["rejected"]) == (1, 2)
    assert [r["line"] for r in report["rejections"]] == [3, 4]
    assert (tmp_path / "rej.csv").read_text().splitlines()[0] == "line,reason,phone,name"


def test_another_workspace_is_out_of_reach(cli: Cli, db_url: str, tmp_path: Path) -> None:
    env = _setup(cli, db_url)
    (tmp_path / "leads.csv").write_text(LEADS)
    assert cli("contacts", "import", "leads.csv", "--tenant", "shop-a", "--region", "US", env=env).exit_code == 0
    assert cli("audiences", "create", "Secret", "--kind", "segment", "-t", "shop-a", env=env).exit_code == 0
    as_b = {**env, "AIMSTORS_AS": "b@shop-b.test"}
    assert cli("contacts", "list", "--tenant", "shop-a", env=as_b).exit_code == 4
    assert cli("contacts", "show", "+12025550123", env=as_b).exit_code == 4
    assert cli("contacts", "import", "leads.csv", "--tenant", "shop-a", env=as_b).exit_code == 4
    own = cli("contacts", "list", "--json", env=as_b).json()
    assert own == {"items": [], "next_cursor": None}
    assert cli("contacts", "export", env=as_b).stdout.count("\n") == 1  # the header only
    assert cli("audiences", "list", "--json", env=as_b).json() == []
    assert cli("audiences", "list", "--tenant", "shop-a", env=as_b).exit_code == 4
    assert cli("audiences", "show", "Secret", env=as_b).exit_code == 4
    assert cli("audiences", "preview", "Secret", "--tenant", "shop-a", env=as_b).exit_code == 4
    assert cli("audiences", "delete", "Secret", "--yes", "--tenant", "shop-a", env=as_b).exit_code == 4
    assert cli("audiences", "show", "Secret", "-t", "shop-a", env=env).exit_code == 0
