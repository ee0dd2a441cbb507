"""`aimstors sandbox ...` against a running sandbox (the session's shared one, on its own thread)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from aimstors.cli.app import app
from aimstors.sandbox import RunningSandbox


def invoke(sandbox: RunningSandbox, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sandbox", *args, "--url", sandbox.base_url])
    return result.exit_code, result.output


def test_say_review_faults_and_sent(shared_sandbox: RunningSandbox) -> None:
    CliRunner().invoke(app, ["sandbox", "faults", "clear", "--url", shared_sandbox.base_url])
    code, out = invoke(shared_sandbox, "say", "+15550001111", "hi from the CLI", "--name", "Ana")
    assert code == 0 and "sent wamid." in out
    code, out = invoke(shared_sandbox, "template", "pause", "hello_world", "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "PAUSED"
    code, out = invoke(shared_sandbox, "template", "approve", "no_such_template")
    assert code == 4 and "no template named" in out
    code, out = invoke(shared_sandbox, "faults", "set", "--drop", "0.25", "--latency", "0.1,0.2", "--json")
    assert code == 0 and json.loads(out)["drop"] == 0.25 and json.loads(out)["callback_latency"] == [0.1, 0.2]
    code, _ = invoke(shared_sandbox, "faults", "clear")
    assert code == 0
    code, out = invoke(shared_sandbox, "sent", "--json")
    assert code == 0 and isinstance(json.loads(out), list)


def test_unreachable_sandbox_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["sandbox", "say", "+15550001111", "hi", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 11 and "no sandbox answers" in result.output
