"""`aimstors campaign`, `billing` and `usage` in-process against a real database and the sandbox (on a thread)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.core.campaigns.world import PROMO, build_shop

from aimstors.core.services import build
from aimstors.core.settings import load_settings
from aimstors.sandbox import SandboxConfig, SandboxThread

from .conftest import Cli

RATES = "category,country,price\nmarketing,,0.05\nmarketing,GB,0.07\n"


@pytest.fixture
def sandbox() -> Iterator[str]:
    config = SandboxConfig(templates=(PROMO,), undeliverable=("15550100002",), failure_mode="response")
    with SandboxThread(config) as running:
        yield running.base_url


@pytest.fixture
def env(db_url: str, sandbox: str) -> dict[str, str]:
    values = {
        "AIMSTORS_DATABASE_URL": db_url,
        "AIMSTORS_SECRET_KEYS": f"k1:{base64.b64encode(os.urandom(32)).decode()}",
        "AIMSTORS_META_GRAPH_URL": sandbox,
    }

    async def setup() -> None:
        services = build(load_settings(values))
        try:
            await build_shop(services, contacts=6, rates=False, topup=None, throughput=1000)
        finally:
            await services.close()

    asyncio.run(setup())
    return values


def _json(cli: Cli, *args: str, env: dict[str, str]) -> Any:
    result = cli(*args, "--json", env=env)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_rate_card_campaign_and_usage_from_the_shell(cli: Cli, env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("category,country,price\nmarketing,,0.05\npromos,,1\n")
    refused = cli("billing", "ratecard", "load", str(bad), "--plan", "standard", env=env)
    assert refused.exit_code == 3 and "line 3: unknown category 'promos'" in refused.stderr
    card = tmp_path / "rates.csv"
    card.write_text(RATES)
    loaded = _json(cli, "billing", "ratecard", "load", str(card), "--plan", "standard", env=env)
    assert [(r["category"], r["country"], r["price"]) for r in loaded["rows"]] == [
        ("marketing", "", "0.05"), ("marketing", "GB", "0.07"),
    ]  # fmt: skip
    assigned = _json(cli, "billing", "plan", "assign", "shop", "--plan", "standard", env=env)
    assert assigned["plan"] == "standard"

    created = _json(
        cli, "campaign", "create", "--name", "June", "--template", "promo", "--audience", "tag:vip",
        "-p", "1=attr.first_name", "-p", "2=literal:20%", env=env,
    )  # fmt: skip
    campaign = str(created["id"])
    plan = _json(cli, "campaign", "plan", campaign, env=env)
    assert (plan["recipients"], plan["cost"], plan["enough_credits"]) == (6, "0.3", False)
    human_plan = cli("campaign", "plan", campaign, env=env)
    assert human_plan.exit_code == 0 and "not enough credits" in human_plan.stdout

    broke = cli("campaign", "send", campaign, env=env)
    assert (
        broke.exit_code == 7
        and "needs 0.3 credits for 6 messages" in broke.stderr
        and "nothing was sent" in broke.stderr
    )
    assert cli("credits", "topup", "shop", "1", env=env).exit_code == 0

    sent = _json(cli, "campaign", "send", campaign, env=env)
    assert sent["campaign"]["state"] == "completed"
    assert sent["progress"]["by_state"]["failed"] == 1 and sent["progress"]["accepted"] == 5
    status = _json(cli, "campaign", "status", campaign, env=env)
    assert status["state"] == "completed" and status["cost"] == "0.25"

    report = _json(cli, "campaign", "report", campaign, env=env)
    assert (report["sent"], report["failed"]) == (5, 1)
    assert report["failures"][0]["code"] == 131026 and "could not be delivered" in report["failures"][0]["explanation"]
    human = cli("campaign", "report", campaign, env=env)
    assert human.exit_code == 0 and "Failures by error code" in human.stdout and "131026" in human.stdout

    out = tmp_path / "recipients.csv"
    exported = cli("campaign", "export", campaign, "-o", str(out), env=env)
    assert exported.exit_code == 0 and "wrote 6 recipients" in exported.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert sorted(r["state"] for r in rows) == ["failed"] + ["sent"] * 5

    again = cli("campaign", "pause", campaign, env=env)
    assert again.exit_code == 6 and "completed" in again.stderr

    later = _json(cli, "campaign", "create", "--name", "Later", "--template", "promo",
                  "-p", "1=attr.first_name", "-p", "2=literal:10%", env=env)  # fmt: skip
    scheduled = _json(cli, "campaign", "send", str(later["id"]), "--at", "+1h", env=env)
    assert scheduled["campaign"]["state"] == "scheduled"
    listed = _json(cli, "campaign", "list", env=env)
    assert [(c["name"], c["state"]) for c in listed] == [("Later", "scheduled"), ("June", "completed")]
    cancelled = _json(cli, "campaign", "cancel", str(later["id"]), env=env)
    assert cancelled["state"] == "cancelled"

    assert _json(cli, "usage", "rollup", env=env)["tenant_days"] == 1
    usage = _json(cli, "usage", "--tenant", "shop", env=env)
    assert usage["messages"] == {"marketing": 5} and usage["credits"] == "0.25"
    chart = cli("usage", env=env)
    assert chart.exit_code == 0 and "█" in chart.stdout and "marketing 5" in chart.stdout
