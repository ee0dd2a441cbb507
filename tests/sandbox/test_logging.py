"""Nothing the sandbox logs at INFO or above carries a phone number, a message body or a token."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from tests.sandbox.conftest import AUTH, TOKEN, Receiver, http, send, template_message, text_message

from aimstors.sandbox import CallbackConfig, SandboxRemote, running_sandbox

SECRET_TEXT = "my card number is 4111"


async def test_no_personal_data_in_logs(
    sandbox_config: Any, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.fail_next = 10  # every delivery fails: retries, then a dropped batch is logged
    config = sandbox_config(callbacks=CallbackConfig(flush_interval=0.01, max_attempts=2, retry_initial=0.01))
    async with (
        running_sandbox(config) as sandbox,
        http(sandbox.base_url, headers=AUTH) as graph,
        SandboxRemote(sandbox.base_url) as remote,
    ):
        await remote.say("+1 555 000 7777", SECRET_TEXT)
        await send(graph, text_message(to="+15550007777", body=SECRET_TEXT))
        await send(graph, template_message(to="+15550008888"))
        await graph.post("/v23.0/106540352242922/messages", content=b"{broken")
        await remote.wait_idle()
    logged = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert any("dropped" in r.getMessage() for r in logged)
    text = "\n".join(r.getMessage() for r in logged)
    for needle in ("5550007777", "5550008888", SECRET_TEXT, TOKEN):
        assert needle not in text
