"""Sending over real HTTP: Meta's response shape and headers, and each rule with Meta's code and HTTP status."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tests.sandbox.conftest import (
    AUTH,
    PNID,
    USER,
    USER_WA_ID,
    Receiver,
    error_code,
    http,
    send,
    template_message,
    text_message,
)

from aimstors.sandbox import AccountConfig, PhoneNumberConfig, SandboxRemote, running_sandbox


async def test_template_send_is_answered_like_meta(graph: httpx.AsyncClient) -> None:
    response = await send(graph, template_message())
    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": USER, "wa_id": USER_WA_ID}]
    [message] = body["messages"]
    assert message["id"].startswith("wamid.") and message["message_status"] == "accepted"
    for header in ("x-fb-trace-id", "x-fb-request-id", "facebook-api-version", "x-business-use-case-usage"):
        assert header in response.headers
    assert response.headers["facebook-api-version"] == "v23.0"


async def test_free_form_message_inside_the_window(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.say(USER, "hi there")
    response = await send(graph, text_message(biz_opaque_callback_data="attempt-1"))
    assert response.status_code == 200
    assert "message_status" not in response.json()["messages"][0]  # Meta reports it for templates only


async def test_wrong_missing_or_foreign_token_is_190(running: Any, graph: httpx.AsyncClient) -> None:
    async with http(running.base_url) as anonymous:
        missing = await anonymous.post(f"/v23.0/{PNID}/messages", json=template_message())
        wrong = await anonymous.post(
            f"/v23.0/{PNID}/messages", json=template_message(), headers={"Authorization": "Bearer nope"}
        )
    for response in (missing, wrong):
        assert response.status_code == 401
        assert error_code(response) == 190
        assert response.json()["error"]["type"] == "OAuthException"
        assert "fbtrace_id" in response.json()["error"]


async def test_token_of_another_waba_is_190(sandbox_config: Any) -> None:
    other = AccountConfig(
        waba_id="200000000000001",
        tokens=("other-token",),
        phone_numbers=(PhoneNumberConfig(phone_number_id="300000000000001", display_phone_number="+1 555 0100"),),
    )
    config = sandbox_config(accounts=(*sandbox_config().accounts, other))
    async with running_sandbox(config) as sandbox, http(sandbox.base_url) as client:
        response = await client.post(
            f"/v23.0/{PNID}/messages", json=template_message(), headers={"Authorization": "Bearer other-token"}
        )
    assert response.status_code == 401 and error_code(response) == 190


async def test_unknown_number_is_100_subcode_33(graph: httpx.AsyncClient) -> None:
    response = await send(graph, template_message(), number="999999999999")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and error["error_subcode"] == 33


async def test_invalid_body_is_100_naming_the_parameter(graph: httpx.AsyncClient) -> None:
    response = await send(graph, {"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"bdy": "x"}})
    assert response.status_code == 400 and error_code(response) == 100
    assert "bdy" in response.json()["error"]["error_data"]["details"]
    not_json = await graph.post(
        f"/v23.0/{PNID}/messages", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert error_code(not_json) == 100
    bad_number = await send(graph, template_message(to="call me"))
    assert error_code(bad_number) == 100


async def test_fields_the_spec_lacks_are_accepted(graph: httpx.AsyncClient) -> None:
    response = await send(graph, template_message(biz_opaque_callback_data="x" * 512))
    assert response.status_code == 200
    too_long = await send(graph, template_message(biz_opaque_callback_data="x" * 513))
    assert error_code(too_long) == 100


async def test_outside_the_window_fails_with_131047_as_a_status(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    response = await send(graph, text_message(biz_opaque_callback_data="attempt-2"))
    assert response.status_code == 200  # Meta accepts, then reports the failure
    wamid = response.json()["messages"][0]["id"]
    await receiver.wait_for(lambda: len(receiver.statuses(wamid)) == 1)
    [status] = receiver.statuses(wamid)
    assert status["status"] == "failed"
    assert status["errors"][0]["code"] == 131047
    assert status["biz_opaque_callback_data"] == "attempt-2"


async def test_expired_window_fails_synchronously_in_response_mode(
    graph: httpx.AsyncClient, remote: SandboxRemote
) -> None:
    await remote.settings(failure_mode="response")
    await remote.say(USER, "hello")
    assert (await send(graph, text_message())).status_code == 200
    await remote.advance_clock(24 * 3600 + 1)
    response = await send(graph, text_message())
    assert response.status_code == 400 and error_code(response) == 131047


async def test_undeliverable_number_fails_with_131026(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    await remote.settings(undeliverable=["+1 555 999 0000"])
    response = await send(graph, template_message(to="+15559990000"))
    wamid = response.json()["messages"][0]["id"]
    await receiver.wait_for(lambda: bool(receiver.statuses(wamid)))
    assert receiver.statuses(wamid)[0]["errors"][0]["code"] == 131026
    await remote.settings(failure_mode="response")
    sync = await send(graph, template_message(to="+15559990000"))
    assert sync.status_code == 400 and error_code(sync) == 131026


async def test_throughput_above_the_number_limit_is_130429(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.number(PNID, throughput_mps=5)
    codes = [(await send(graph, template_message(to=f"+1555100{i:04d}"))).status_code for i in range(8)]
    assert codes.count(200) == 5
    rejected = await send(graph, template_message(to="+15551009999"))
    assert rejected.status_code == 400 and error_code(rejected) == 130429
    assert rejected.json()["error"]["is_transient"] is True
    await remote.settings(http_status_overrides={"130429": 429})
    assert (await send(graph, template_message(to="+15551009998"))).status_code == 429
    histogram = (await remote.histogram(PNID))[PNID]
    assert histogram["max_sliding_1s"] <= 5 and histogram["rejected_130429"] >= 4


async def test_pair_rate_is_131056(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.settings(pair_rate_limit=3, pair_rate_window=60)
    codes = [(await send(graph, template_message())).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    response = await send(graph, template_message())
    assert response.status_code == 400 and error_code(response) == 131056
    other_user = await send(graph, template_message(to="+15550002222"))
    assert other_user.status_code == 200


async def test_template_must_exist_and_be_approved(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    missing = await send(graph, template_message("no_such_template"))
    assert missing.status_code == 404 and error_code(missing) == 132001
    await remote.add_template(name="pending_one", status="PENDING", components=[{"type": "BODY", "text": "Hi"}])
    assert error_code(await send(graph, template_message("pending_one"))) == 132001
    await remote.review_template("hello_world", "pause")
    assert error_code(await send(graph, template_message())) == 132015
    await remote.review_template("hello_world", "disable")
    assert error_code(await send(graph, template_message())) == 132016


async def test_template_parameters_must_match(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.add_template(
        name="order_update",
        components=[
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{1}}, order {{2}} ships today."},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track", "url": "https://x.example/t/{{1}}"}]},
        ],
    )
    header = {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.example/a.jpg"}}]}
    body = {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "A-1"}]}
    button = {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A-1"}]}
    assert (await send(graph, template_message("order_update", components=[header, body, button]))).status_code == 200
    short_body = {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}
    response = await send(graph, template_message("order_update", components=[header, short_body, button]))
    assert response.status_code == 400 and error_code(response) == 132000
    no_button = await send(graph, template_message("order_update", components=[header, body]))
    assert error_code(no_button) == 132000
    text_header = {"type": "header", "parameters": [{"type": "text", "text": "nope"}]}
    wrong_format = await send(graph, template_message("order_update", components=[text_header, body, button]))
    assert wrong_format.status_code == 400 and error_code(wrong_format) == 132012


async def test_named_parameters(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.add_template(
        name="named_hi",
        parameter_format="named",
        components=[{"type": "BODY", "text": "Hi {{first_name}}, welcome to {{shop}}."}],
    )
    params = [
        {"type": "text", "parameter_name": "shop", "text": "Lucky"},
        {"type": "text", "parameter_name": "first_name", "text": "Ann"},
    ]
    ok = await send(graph, template_message("named_hi", components=[{"type": "body", "parameters": params}]))
    assert ok.status_code == 200
    params[0]["parameter_name"] = "store"
    wrong = await send(graph, template_message("named_hi", components=[{"type": "body", "parameters": params}]))
    assert error_code(wrong) == 132000


async def test_unregistered_number_is_133010(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote.number(PNID, registered=False)
    response = await send(graph, template_message())
    assert error_code(response) == 133010


async def test_mark_as_read_with_typing_indicator(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    inbound = await remote.say(USER, "are you there?")
    response = await send(
        graph,
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": inbound,
            "typing_indicator": {"type": "text"},
        },
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    bad = await send(graph, {"messaging_product": "whatsapp", "status": "read"})
    assert error_code(bad) == 100


async def test_media_by_unknown_id_fails_with_131053(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    await remote.say(USER, "send me the photo")
    body = {"messaging_product": "whatsapp", "to": USER, "type": "image", "image": {"id": "1234"}}
    wamid = (await send(graph, body)).json()["messages"][0]["id"]
    await receiver.wait_for(lambda: bool(receiver.statuses(wamid)))
    assert receiver.statuses(wamid)[0]["errors"][0]["code"] == 131053


async def test_sends_run_concurrently(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    responses = await asyncio.gather(*(send(graph, template_message(to=f"+1555200{i:04d}")) for i in range(40)))
    assert all(r.status_code == 200 for r in responses)
    assert len({r.json()["messages"][0]["id"] for r in responses}) == 40
    assert len(await remote.messages()) == 40


async def test_non_numeric_ids_get_the_same_answers(graph: httpx.AsyncClient) -> None:
    # Served by the Litestar route rather than the fast lane; the errors must be the same.
    response = await graph.post("/v23.0/not-a-number/messages", json=template_message())
    assert response.status_code == 400 and response.json()["error"]["error_subcode"] == 33
    unknown_edge = await graph.get(f"/v23.0/{PNID}/nothing_here", headers=AUTH)
    assert unknown_edge.status_code == 400 and error_code(unknown_edge) == 100
