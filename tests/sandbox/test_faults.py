"""Each fault switch, from the control endpoint: what a client and a webhook receiver see."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tests.sandbox.conftest import AUTH, PNID, Receiver, error_code, http, send, template_message

from aimstors.sandbox import FaultConfig, SandboxRemote, running_sandbox


def users(n: int) -> list[str]:
    return [f"+1555400{i:04d}" for i in range(n)]


async def test_send_5xx(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.set_faults(send_5xx=1.0)
    response = await send(graph, template_message())
    assert response.status_code in (500, 503)
    assert error_code(response) in (131000, 2) and response.json()["error"]["is_transient"] is True
    await remote.clear_faults()
    assert (await send(graph, template_message())).status_code == 200
    assert len(await remote.messages()) == 1  # the failed request sent nothing


async def test_forced_rate_limit_burst(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.set_faults(rate_limit_burst=3)
    codes = [
        error_code(r) if r.status_code != 200 else 200
        for r in [await send(graph, template_message(to=u)) for u in users(5)]
    ]
    assert codes == [130429, 130429, 130429, 200, 200]


async def test_timeout_holds_the_response_but_the_message_goes_out(
    running: Any, receiver: Receiver, remote: SandboxRemote
) -> None:
    await remote.set_faults(send_timeout=1.0, timeout_seconds=2.0)
    async with http(running.base_url, headers=AUTH, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await send(client, template_message(biz_opaque_callback_data="attempt-unknown"))
    await receiver.wait_for(lambda: len(receiver.statuses()) == 3)
    assert {s["biz_opaque_callback_data"] for s in receiver.statuses()} == {"attempt-unknown"}


async def test_callback_latency(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.set_faults(callback_latency=[0.3, 0.3])
    started = time.monotonic()
    await send(graph, template_message())
    await receiver.wait_for(lambda: bool(receiver.statuses()))
    assert time.monotonic() - started >= 0.3


async def test_duplicates(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.set_faults(duplicate=1.0)
    wamid = (await send(graph, template_message())).json()["messages"][0]["id"]
    await remote.wait_idle()
    statuses = [s["status"] for s in receiver.statuses(wamid)]
    assert sorted(statuses) == ["delivered", "delivered", "read", "read", "sent", "sent"]
    assert (await remote.recipients())["15550001111"]["read"] == 1  # the user read it once


async def test_reordered_statuses(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.set_faults(reorder=1.0)
    wamid = (await send(graph, template_message())).json()["messages"][0]["id"]
    await remote.wait_idle()
    assert [s["status"] for s in receiver.statuses(wamid)] == ["read", "delivered", "sent"]


async def test_dropped_callbacks(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.set_faults(drop=1.0)
    wamids = [(await send(graph, template_message(to=user))).json()["messages"][0]["id"] for user in users(3)]
    stats = await remote.wait_idle()
    assert receiver.statuses() == [] and stats["fault_dropped"] == 9
    # the inspection API names what was thrown away, so a test can tell a lost callback from a bug
    dropped = {(d["id"], d["status"]) for d in stats["dropped"] if d["kind"] == "status"}
    assert dropped == {(w, s) for w in wamids for s in ("sent", "delivered", "read")}


async def test_faults_from_config_and_partial_fractions(sandbox_config: Any, receiver: Receiver) -> None:
    config = sandbox_config(faults=FaultConfig(drop=0.5), seed=1)
    async with running_sandbox(config) as sandbox:
        async with http(sandbox.base_url, headers=AUTH) as graph:
            for user in users(20):
                await send(graph, template_message(to=user))
        async with SandboxRemote(sandbox.base_url) as remote:
            stats = await remote.wait_idle()
            injected = (await sandbox_faults(remote))["injected"]
    assert 0 < stats["fault_dropped"] < 60
    assert len(receiver.statuses()) == 60 - stats["fault_dropped"] == stats["posted_items"]
    assert injected["drop"] == stats["fault_dropped"]


async def sandbox_faults(remote: SandboxRemote) -> dict[str, Any]:
    response = await remote._client.get("/_sandbox/faults")
    result: dict[str, Any] = response.json()
    return result


async def test_bad_fault_settings_are_refused(remote: SandboxRemote) -> None:
    from aimstors.sandbox.remote import RemoteError

    with pytest.raises(RemoteError) as info:
        await remote.set_faults(dropp=1.0)
    assert info.value.status == 400 and "dropp" in info.value.message
    assert PNID
