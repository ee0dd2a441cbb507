"""`aimstors templates` from a YAML file to Meta's approval and back, with the sandbox as Meta over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aimstors.sandbox import (
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    DEFAULT_WABA_ID,
    RunningSandbox,
    SandboxConfig,
    SandboxRemote,
    SandboxThread,
)

from .conftest import Cli

PROMO = """\
name: order_update
language: en_US
category: UTILITY
components:
  - type: HEADER
    format: TEXT
    text: "Order {{1}}"
    example: {header_text: ["#1234"]}
  - type: BODY
    text: "Thank you for your order, {{1}}! Your order number is {{2}}. We will write when it ships."
    example: {body_text: [[Pablo, "860198-230332"]]}
  - type: BUTTONS
    buttons:
      - {type: URL, text: Track, url: "https://shop.example/track/{{1}}", example: [A1B2]}
"""
BAD = PROMO.replace("Your order number is {{2}}", "Your order number is {{3}}").replace(
    "name: order_update", "name: bad"
)


@pytest.fixture(scope="module")
def meta() -> Iterator[RunningSandbox]:
    with SandboxThread(SandboxConfig(templates=(), seed=7)) as running:
        yield running


def sandbox(meta: RunningSandbox, method: str, *args: Any) -> Any:
    async def call() -> Any:
        async with SandboxRemote(meta.base_url) as remote:
            return await getattr(remote, method)(*args)

    return asyncio.run(call())


def _setup(cli: Cli, db_url: str, meta: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    sandbox(meta, "reset")
    env = {"AIMSTORS_DATABASE_URL": db_url, "AIMSTORS_META_GRAPH_URL": meta.base_url}
    assert cli("init", env=env).exit_code == 0
    for slug, email in [("shop-a", "a@shop-a.test"), ("shop-b", "b@shop-b.test")]:
        assert cli("tenant", "create", slug, env=env).exit_code == 0
        user = ("user", "create", email, "--password", "long enough pw", "--tenant", slug, "--role", "workspace_admin")
        assert cli(*user, env=env).exit_code == 0
    connect = cli(
        "whatsapp", "connect", "shop-a", "--waba-id", DEFAULT_WABA_ID, "--phone-number-id", DEFAULT_PHONE_NUMBER_ID,
        "--token", DEFAULT_TOKEN, env=env,
    )  # fmt: skip
    assert connect.exit_code == 0, connect.stderr
    (tmp_path / "order.yaml").write_text(PROMO, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    return env


def test_create_submit_approve_sync_preview_delete(cli: Cli, db_url: str, meta: RunningSandbox, tmp_path: Path) -> None:
    env = _setup(cli, db_url, meta, tmp_path)
    a = ("--tenant", "shop-a")

    linted = cli("templates", "lint", "bad.yaml", env=env)
    assert linted.exit_code == 3
    assert "body uses {{3}} but no {{2}}" in linted.stdout and "bad.yaml: 1 error" in linted.stderr
    refused = cli("templates", "create", "bad.yaml", *a, env=env)
    assert refused.exit_code == 3 and refused.stdout == ""
    assert "template 'bad' has 1 lint error; nothing was changed" in refused.stderr
    assert "components[1].text: body uses {{3}} but no {{2}}" in refused.stderr
    assert cli("templates", "list", *a, "--json", env=env).json() == []

    created = cli("templates", "create", "order.yaml", *a, env=env)
    assert created.exit_code == 0, created.stderr
    assert f"created draft order_update (en_US) for WABA {DEFAULT_WABA_ID} in shop-a" in created.stdout
    assert cli("templates", "lint", "order_update", *a, env=env).stdout.strip().endswith("no problems")
    submitted = cli("templates", "submit", "order_update", *a, env=env)
    assert submitted.exit_code == 0, submitted.stderr
    assert "submitted order_update (en_US): PENDING at Meta" in submitted.stdout

    sandbox(meta, "review_template", "order_update", "approve")
    synced = cli("templates", "sync", *a, "--json", env=env).json()
    assert [(r["waba_id"], r["updated"]) for r in synced] == [(DEFAULT_WABA_ID, 1)]  # type: ignore[index,union-attr]
    listed = cli("templates", "list", *a, "--status", "approved", "--json", env=env).json()
    assert [(t["name"], t["status"]) for t in listed] == [("order_update", "APPROVED")]  # type: ignore[index,union-attr]
    shown = cli("templates", "show", "order_update", *a, "--json", env=env).json()
    assert shown["meta_id"] and shown["components"][1]["type"] == "BODY"  # type: ignore[index,call-overload]

    params = ("-p", "Pablo", "-p", "2=860198", "-p", "header.1=#77", "-p", "button.0=ZZ9")
    preview = cli("templates", "preview", "order_update", *a, *params, env=env)
    assert preview.exit_code == 0, preview.stderr
    assert "Order #77" in preview.stdout and "Thank you for your order, Pablo!" in preview.stdout
    assert "[Track] → https://shop.example/track/ZZ9" in preview.stdout
    missing = cli("templates", "preview", "order_update", *a, "-p", "1=Pablo", "-p", "coupon=X", env=env)
    assert missing.exit_code == 3 and missing.stdout == ""
    assert "missing header {{1}} (key header.1), body {{2}} (key 2), URL button 0 (key button.0)" in missing.stderr
    assert "unknown parameter 'coupon'" in missing.stderr
    examples = cli("templates", "preview", "order_update", *a, "--examples", "--json", env=env).json()
    assert examples["header"] == "Order #1234"  # type: ignore[index,call-overload]

    deleted = cli("templates", "delete", "order_update", *a, "--yes", env=env)
    assert deleted.exit_code == 0, deleted.stderr
    assert "deleted order_update (en_US): 1 at Meta, 1 here" in deleted.stdout
    assert sandbox(meta, "templates") == []
    assert cli("templates", "list", *a, "--json", env=env).json() == []


def test_another_workspaces_templates_are_invisible(
    cli: Cli, db_url: str, meta: RunningSandbox, tmp_path: Path
) -> None:
    env = _setup(cli, db_url, meta, tmp_path)
    assert cli("templates", "create", "order.yaml", "--tenant", "shop-a", env=env).exit_code == 0
    as_b = {**env, "AIMSTORS_AS": "b@shop-b.test"}
    for args in (
        ("show", "order_update", "--tenant", "shop-a"),
        ("list", "--tenant", "shop-a"),
        ("submit", "order_update", "--tenant", "shop-a"),
        ("delete", "order_update", "--tenant", "shop-a", "--yes"),
        ("create", "order.yaml", "--tenant", "shop-a"),
        ("show", "order_update"),  # in b's own workspace: no such template
        ("preview", "order_update", "-p", "x"),
        ("lint", "order_update"),
    ):
        result = cli("templates", *args, env=as_b)
        assert result.exit_code == 4, (args, result.stdout, result.stderr)
        assert "no tenant 'shop-a'" in result.stderr or "no template 'order_update'" in result.stderr
    assert cli("templates", "list", "--json", env=as_b).json() == []
    as_a = {**env, "AIMSTORS_AS": "a@shop-a.test"}
    assert [t["name"] for t in cli("templates", "list", "--json", env=as_a).json()] == ["order_update"]  # type: ignore[index,union-attr]
    no_tenant = cli("templates", "list", env=env)
    assert no_tenant.exit_code == 3 and "name one" in no_tenant.stderr
