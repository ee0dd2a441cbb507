"""The inspection API: exact counts per recipient, filters, conversations, histogram, reset."""

from __future__ import annotations

import httpx
from tests.sandbox.conftest import PNID, USER, USER_WA_ID, send, template_message, text_message

from aimstors.sandbox import SandboxRemote


async def test_sent_messages_and_counts(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    for i in range(3):
        await send(graph, template_message(to=f"+1555500{i:04d}", biz_opaque_callback_data=f"a-{i}"))
    await send(graph, template_message())
    await send(graph, text_message())  # outside the window: accepted, then failed
    await remote.wait_idle()
    mine = await remote.messages(to=USER)
    assert [m["type"] for m in mine] == ["template", "text"] and mine[1]["error_code"] == 131047
    assert mine[0]["statuses"] == ["sent", "delivered", "read"] and mine[0]["template"] == "hello_world/en_US"
    assert len(await remote.messages(phone_number_id=PNID)) == 5
    assert await remote.messages(phone_number_id="nope") == []
    counts = await remote.recipients()
    assert counts[USER_WA_ID] == {"accepted": 2, "sent": 1, "delivered": 1, "read": 1, "failed": 1}
    assert counts["15555000002"]["read"] == 1
    one = (await remote._client.get("/_sandbox/recipients", params={"wa_id": "+1 555 500 0001"})).json()
    assert one == {"15555000001": {"accepted": 1, "sent": 1, "delivered": 1, "read": 1}}


async def test_conversations_templates_histogram(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.say(USER, "hi", name="Ana")
    await send(graph, text_message())
    [conversation] = await remote.conversations()
    assert conversation["wa_id"] == USER_WA_ID and conversation["window_open"] is True
    assert conversation["inbound"] == 1 and conversation["outbound"] == 1 and conversation["name"] == "Ana"
    assert [t["name"] for t in await remote.templates()] == ["hello_world"]
    histogram = (await remote.histogram())[PNID]
    assert histogram["accepted"] == 1 and histogram["limit"] == 80 and histogram["max_sliding_1s"] == 1
    assert sum(histogram["per_second"].values()) == 1


async def test_reset_forgets_everything(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.say(USER, "hi")
    await send(graph, text_message())
    await remote.set_faults(drop=1.0)
    await remote.reset()
    assert await remote.messages() == [] and await remote.recipients() == {} and await remote.conversations() == []
    assert (await remote._client.get("/_sandbox/faults")).json()["config"]["drop"] == 0.0
    summary = (await remote._client.get("/_sandbox")).json()
    assert summary["messages"] == 0 and summary["accounts"][0]["phone_numbers"] == [PNID]


async def test_control_errors_name_the_problem(remote: SandboxRemote) -> None:
    response = await remote._client.post("/_sandbox/say", json={"from": "+1", "text": "x"})
    assert response.status_code == 400 and "digits" in response.json()["error"]["message"]
    response = await remote._client.post("/_sandbox/reply", json={"from": USER, "choice": "Yes"})
    assert response.status_code == 400 and "no interactive" in response.json()["error"]["message"]
    missing = await remote._client.post("/_sandbox/templates/nope/approve")
    assert missing.status_code == 404
    bad_action = await remote._client.post("/_sandbox/templates/hello_world/bless")
    assert bad_action.status_code == 400 and "approve" in bad_action.json()["error"]["message"]
    throughput = await remote._client.post(f"/_sandbox/numbers/{PNID}", json={"throughput_mps": 5000})
    assert throughput.status_code == 400
