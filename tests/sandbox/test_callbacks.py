"""Webhooks as Meta sends them: signed over ASCII-escaped bytes, statuses in order with callback data and pricing,
batched, retried, inbound messages and replies, template updates, and the verification handshake."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.sandbox.conftest import (
    APP_SECRET,
    AUTH,
    FAST,
    PNID,
    USER,
    USER_WA_ID,
    WABA,
    Receiver,
    http,
    send,
    template_message,
    text_message,
)

from aimstors.core.security import webhook_signature
from aimstors.sandbox import CallbackConfig, SandboxRemote, running_sandbox
from aimstors.sandbox.callbacks import webhook_body

TRICKY = [
    {"text": "héllo wörld — ünïcödé", "emoji": "😀👍🏽", "url": "https://x.example/a/b?c=d"},
    {"backslash": "a\\b\\/c\\\\", "quote": 'say "hi"', "control": "tab\tnew\nline\x01", "cjk": "你好", "rtl": "مرحبا"},
    {"nested": [{"n": 1, "f": 1.5, "t": True, "none": None}], "slash_only": "/", "escaped_u": "\\u00e9"},
]


@pytest.mark.parametrize("payload", TRICKY)
def test_webhook_body_is_byte_identical_to_meta_json_dumps(payload: dict[str, Any]) -> None:
    slow = webhook_signature.meta_escape_json(json.dumps(payload, ensure_ascii=True, separators=(",", ":")))
    assert webhook_body(payload) == slow.encode("ascii")
    assert webhook_body(payload).isascii()


async def test_inbound_non_ascii_text_is_signed_the_way_meta_signs(receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.say(USER, "Olá! ¿Está disponible el modelo azul? 😀", name="Zoë")
    await receiver.wait_for(lambda: bool(receiver.messages()))
    raw = receiver.raw[0]
    assert raw.isascii() and b"\\u00e1" in raw and b"\\ud83d\\ude00" in raw  # escaped, lowercase hex
    assert receiver.bad_signatures == 0  # every POST verified on its raw bytes
    [message] = receiver.messages()
    assert message["text"]["body"] == "Olá! ¿Está disponible el modelo azul? 😀"
    assert message["from"] == USER_WA_ID and message["type"] == "text"
    value = receiver.changes("messages")[0]["value"]
    assert value["contacts"] == [{"profile": {"name": "Zoë"}, "wa_id": USER_WA_ID}]
    assert value["metadata"] == {"display_phone_number": "15550783881", "phone_number_id": PNID}
    assert receiver.bodies[0]["entry"][0]["id"] == WABA


async def test_a_wrong_secret_would_not_verify(receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.say(USER, "hi")
    await receiver.wait_for(lambda: bool(receiver.raw))
    header = webhook_signature.sign(receiver.raw[0], APP_SECRET)
    webhook_signature.verify(receiver.raw[0], header, APP_SECRET)
    with pytest.raises(webhook_signature.SignatureInvalid):
        webhook_signature.verify(receiver.raw[0], header, "another-secret")


async def test_statuses_progress_with_callback_data_pricing_and_conversation(
    graph: httpx.AsyncClient, receiver: Receiver
) -> None:
    response = await send(graph, template_message(biz_opaque_callback_data="attempt-42"))
    wamid = response.json()["messages"][0]["id"]
    await receiver.wait_for(lambda: len(receiver.statuses(wamid)) == 3)
    sent, delivered, read = receiver.statuses(wamid)
    assert [s["status"] for s in (sent, delivered, read)] == ["sent", "delivered", "read"]
    assert all(s["biz_opaque_callback_data"] == "attempt-42" for s in (sent, delivered, read))
    assert all(s["recipient_id"] == USER_WA_ID for s in (sent, delivered, read))
    pricing = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    assert sent["pricing"] == pricing and delivered["pricing"] == pricing and "pricing" not in read
    assert "expiration_timestamp" in sent["conversation"] and "expiration_timestamp" not in delivered["conversation"]
    assert sent["conversation"]["origin"] == {"type": "utility"}
    assert int(sent["timestamp"]) <= int(read["timestamp"])


async def test_v24_statuses_omit_conversation_and_service_messages_are_free(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    await remote.say(USER, "hi")
    response = await graph.post(f"/v24.0/{PNID}/messages", json=text_message())
    wamid = response.json()["messages"][0]["id"]
    await receiver.wait_for(lambda: len(receiver.statuses(wamid)) == 3)
    sent = receiver.statuses(wamid)[0]
    assert "conversation" not in sent
    assert sent["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }


async def test_statuses_are_batched(sandbox_config: Any, receiver: Receiver) -> None:
    callbacks = CallbackConfig(batch_size=10, flush_interval=0.2, delivered_after=0.0, read_after=0.0)
    async with running_sandbox(sandbox_config(callbacks=callbacks)) as sandbox:
        async with http(sandbox.base_url, headers=AUTH) as graph:
            for i in range(10):
                assert (await send(graph, template_message(to=f"+1555300{i:04d}"))).status_code == 200
        async with SandboxRemote(sandbox.base_url) as remote:
            stats = await remote.wait_idle()
    assert len(receiver.statuses()) == 30
    assert stats["posted_items"] == 30
    assert stats["posted_batches"] == len(receiver.bodies) <= 4  # batches of 10, not 30 single POSTs
    assert max(len(change["value"]["statuses"]) for change in receiver.changes()) == 10


async def test_failed_webhook_posts_are_retried(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    receiver.fail_next = 2
    await remote.say(USER, "hi")
    await receiver.wait_for(lambda: bool(receiver.messages()))
    stats = await remote.webhooks()
    assert receiver.failed == 2 and stats["retries"] >= 2 and stats["dropped_items"] == 0


async def test_interactive_replies(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.say(USER, "menu please")
    buttons = {
        "type": "button",
        "body": {"text": "Pick one"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes-1", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no-1", "title": "No"}},
            ]
        },
    }
    first = await send(
        graph, {"messaging_product": "whatsapp", "to": USER, "type": "interactive", "interactive": buttons}
    )
    await remote.reply(USER, "Yes")
    rows = {
        "type": "list",
        "body": {"text": "Choose"},
        "action": {
            "button": "Options",
            "sections": [{"title": "Sizes", "rows": [{"id": "s", "title": "Small", "description": "200 ml"}]}],
        },
    }
    second = await send(
        graph, {"messaging_product": "whatsapp", "to": USER, "type": "interactive", "interactive": rows}
    )
    await remote.reply(USER, "s")
    await receiver.wait_for(lambda: len(receiver.messages()) == 3)
    _, button_reply, list_reply = receiver.messages()
    assert button_reply["interactive"] == {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}}
    assert button_reply["context"]["id"] == first.json()["messages"][0]["id"]
    assert list_reply["interactive"]["list_reply"] == {"id": "s", "title": "Small", "description": "200 ml"}
    assert list_reply["context"]["id"] == second.json()["messages"][0]["id"]


async def test_quick_reply_to_a_template(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.add_template(
        name="promo",
        category="MARKETING",
        components=[
            {"type": "BODY", "text": "Sale on!"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop promotions"}]},
        ],
    )
    button = {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "STOP_PROMOS"}],
    }
    await send(graph, template_message("promo", components=[button]))
    await remote.reply(USER, "STOP_PROMOS")
    await receiver.wait_for(lambda: bool(receiver.messages()))
    assert receiver.messages()[0]["button"] == {"payload": "STOP_PROMOS", "text": "STOP_PROMOS"}


async def test_template_review_posts_status_updates(receiver: Receiver, remote: SandboxRemote) -> None:
    await remote.add_template(name="spring_sale", status="PENDING", components=[{"type": "BODY", "text": "Hi"}])
    await remote.review_template("spring_sale", "approve")
    await remote.review_template("spring_sale", "reject", reason="promotional")
    await receiver.wait_for(lambda: len(receiver.template_updates()) == 2)
    approved, rejected = receiver.template_updates()
    assert approved["event"] == "APPROVED" and approved["reason"] == "NONE"
    assert isinstance(approved["message_template_id"], int)  # an integer here, as at Meta
    assert approved["message_template_name"] == "spring_sale"
    assert rejected["event"] == "REJECTED" and rejected["reason"] == "PROMOTIONAL"
    entry = receiver.bodies[-1]["entry"][0]
    assert entry["id"] == WABA and isinstance(entry["time"], int)


async def test_verification_handshake(receiver: Receiver, remote: SandboxRemote) -> None:
    assert (await remote.verify_webhook())["ok"] is True
    wrong = await remote.verify_webhook(verify_token="not-the-token")
    assert wrong["ok"] is False and wrong["status"] == 403


async def test_no_webhook_url_still_simulates_statuses(sandbox_config: Any) -> None:
    async with running_sandbox(sandbox_config(webhook_url=None, callbacks=FAST)) as sandbox:
        async with http(sandbox.base_url, headers=AUTH) as graph:
            await send(graph, template_message())
        async with SandboxRemote(sandbox.base_url) as remote:
            stats = await remote.wait_idle()
            counts = await remote.recipients()
    assert counts[USER_WA_ID]["read"] == 1 and stats["no_destination"] == 3 and stats["posted_items"] == 0
