"""The rest of the Graph surface: media round trip, template lifecycle with paging, phone number info,
registration, webhook subscriptions, and Embedded Signup from code exchange to a first send."""

from __future__ import annotations

from typing import Any

import httpx
from tests.sandbox.conftest import (
    AUTH,
    PNID,
    USER,
    VERIFY_TOKEN,
    WABA,
    Receiver,
    error_code,
    http,
    send,
    template_message,
)

from aimstors.sandbox import AccountConfig, PhoneNumberConfig, SandboxRemote, SignupCodeConfig, running_sandbox

JPEG = b"\xff\xd8\xff\xe0" + b"sandbox-jpeg" * 100


async def test_media_round_trip(graph: httpx.AsyncClient, running: Any) -> None:
    upload = await graph.post(
        f"/v23.0/{PNID}/media",
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("cat.jpg", JPEG, "image/jpeg")},
    )
    assert upload.status_code == 200
    media_id = upload.json()["id"]
    meta = (await graph.get(f"/v23.0/{media_id}", params={"phone_number_id": PNID})).json()
    assert meta["mime_type"] == "image/jpeg" and meta["file_size"] == str(len(JPEG))
    assert meta["messaging_product"] == "whatsapp" and len(meta["sha256"]) == 64
    async with http(running.base_url) as anonymous:
        assert (await anonymous.get(meta["url"])).status_code == 401  # the URL needs the token
    download = await graph.get(meta["url"])
    assert download.status_code == 200 and download.content == JPEG
    assert download.headers["content-type"].startswith("image/jpeg")
    other_number = await graph.get(f"/v23.0/{media_id}", params={"phone_number_id": "123"})
    assert error_code(other_number) == 100
    assert (await graph.delete(f"/v23.0/{media_id}")).json() == {"success": True}
    assert (await graph.get(meta["url"])).status_code == 400


async def test_media_upload_rules(graph: httpx.AsyncClient) -> None:
    wrong_type = await graph.post(
        f"/v23.0/{PNID}/media",
        data={"messaging_product": "whatsapp"},
        files={"file": ("x.exe", b"MZ", "application/x-msdownload")},
    )
    assert error_code(wrong_type) == 100 and "types" in wrong_type.json()["error"]["error_data"]["details"]
    too_big = await graph.post(
        f"/v23.0/{PNID}/media",
        data={"messaging_product": "whatsapp"},
        files={"file": ("s.webp", b"x" * (500 * 1024 + 1), "image/webp")},
    )
    assert error_code(too_big) == 100
    no_product = await graph.post(f"/v23.0/{PNID}/media", files={"file": ("c.jpg", JPEG, "image/jpeg")})
    assert error_code(no_product) == 100


async def test_sending_uploaded_media_by_id(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    media_id = (
        await graph.post(
            f"/v23.0/{PNID}/media",
            data={"messaging_product": "whatsapp"},
            files={"file": ("c.jpg", JPEG, "image/jpeg")},
        )
    ).json()["id"]
    await remote.say(USER, "photo?")
    body = {"messaging_product": "whatsapp", "to": USER, "type": "image", "image": {"id": media_id, "caption": "Hi"}}
    wamid = (await send(graph, body)).json()["messages"][0]["id"]
    await receiver.wait_for(lambda: len(receiver.statuses(wamid)) == 3)
    assert [s["status"] for s in receiver.statuses(wamid)] == ["sent", "delivered", "read"]


async def test_template_lifecycle(graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote) -> None:
    definition = {
        "name": "order_shipped",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Order {{1}} has shipped.", "example": {"body_text": [["A-1"]]}}],
    }
    created = await graph.post(f"/v23.0/{WABA}/message_templates", json=definition)
    assert created.status_code == 200 and created.json()["status"] == "PENDING"
    template_id = created.json()["id"]
    duplicate = await graph.post(f"/v23.0/{WABA}/message_templates", json=definition)
    assert duplicate.json()["error"]["error_subcode"] == 2388024
    body = {"type": "body", "parameters": [{"type": "text", "text": "A-1"}]}
    assert error_code(await send(graph, template_message("order_shipped", components=[body]))) == 132001
    await remote.review_template("order_shipped", "approve")
    assert (await send(graph, template_message("order_shipped", components=[body]))).status_code == 200
    got = (await graph.get(f"/v23.0/{template_id}", params={"fields": "status,name"})).json()
    assert got == {"status": "APPROVED", "name": "order_shipped", "id": template_id}
    edit = {"components": [{"type": "BODY", "text": "Your order {{1}} is on its way."}]}
    assert (await graph.post(f"/v23.0/{template_id}", json=edit)).json() == {"success": True}
    assert (await graph.get(f"/v23.0/{template_id}")).json()["status"] == "PENDING"  # back in review
    deleted = await graph.delete(f"/v23.0/{WABA}/message_templates", params={"name": "order_shipped"})
    assert deleted.json() == {"success": True}
    assert (await graph.get(f"/v23.0/{template_id}")).status_code == 400
    await receiver.wait_for(lambda: len(receiver.template_updates()) == 2)
    assert [u["event"] for u in receiver.template_updates()] == ["APPROVED", "PENDING_DELETION"]


async def test_template_creation_rules(graph: httpx.AsyncClient) -> None:
    async def create(**changes: Any) -> httpx.Response:
        body = {
            "name": "ok_name",
            "language": "en_US",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Hello {{1}} friend"}],
            **changes,
        }
        return await graph.post(f"/v23.0/{WABA}/message_templates", json=body)

    assert (await create()).status_code == 200
    assert error_code(await create(name="Bad Name")) == 100
    assert error_code(await create(name="x2", category="SPAM")) == 100
    trailing = await create(name="x3", components=[{"type": "BODY", "text": "Hello {{1}}"}])
    assert trailing.json()["error"]["error_subcode"] == 2388299
    long_footer = [{"type": "BODY", "text": "Hi"}, {"type": "FOOTER", "text": "x" * 61}]
    assert (await create(name="x4", components=long_footer)).json()["error"]["error_subcode"] == 2388040
    gaps = await create(name="x5", components=[{"type": "BODY", "text": "A {{1}} and {{3}} b"}])
    assert error_code(gaps) == 100


async def test_template_list_paging(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    for i in range(5):
        await remote.add_template(name=f"promo_{i}", category="MARKETING", components=[{"type": "BODY", "text": "Hi"}])
    first = (await graph.get(f"/v23.0/{WABA}/message_templates", params={"limit": 2, "name": "promo"})).json()
    assert [t["name"] for t in first["data"]] == ["promo_0", "promo_1"]
    assert "next" in first["paging"]
    second = (await graph.get(first["paging"]["next"])).json()
    assert [t["name"] for t in second["data"]] == ["promo_2", "promo_3"]
    back = await graph.get(
        f"/v23.0/{WABA}/message_templates",
        params={"limit": 2, "name": "promo", "before": second["paging"]["cursors"]["before"]},
    )
    assert [t["name"] for t in back.json()["data"]] == ["promo_0", "promo_1"]
    approved = await graph.get(f"/v23.0/{WABA}/message_templates", params={"status": "APPROVED", "fields": "name"})
    assert all(set(t) == {"name", "id"} for t in approved.json()["data"])


async def test_phone_number_info(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    info = (await graph.get(f"/v23.0/{PNID}")).json()
    assert info["throughput"] == {"level": "STANDARD"} and info["quality_rating"] == "GREEN"
    assert info["display_phone_number"] == "+1 555-078-3881" and info["verified_name"]
    await remote.number(PNID, throughput_mps=1000)
    fields = "throughput,messaging_limit_tier,quality_rating"
    picked = (await graph.get(f"/v23.0/{PNID}", params={"fields": fields})).json()
    assert picked == {
        "throughput": {"level": "HIGH"},
        "messaging_limit_tier": "TIER_250",
        "quality_rating": "GREEN",
        "id": PNID,
    }
    assert error_code(await graph.get(f"/v23.0/{PNID}", params={"fields": "nonsense"})) == 100


async def test_register_pin_and_limit(graph: httpx.AsyncClient) -> None:
    ok = await graph.post(f"/v23.0/{PNID}/register", json={"messaging_product": "whatsapp", "pin": "123456"})
    assert ok.json() == {"success": True}
    mismatch = await graph.post(f"/v23.0/{PNID}/register", json={"messaging_product": "whatsapp", "pin": "654321"})
    assert error_code(mismatch) == 133005
    short = await graph.post(f"/v23.0/{PNID}/register", json={"messaging_product": "whatsapp", "pin": "12"})
    assert error_code(short) == 100
    codes = [
        error_code(r) if r.status_code != 200 else 200
        for r in [
            await graph.post(f"/v23.0/{PNID}/register", json={"messaging_product": "whatsapp", "pin": "123456"})
            for _ in range(10)
        ]
    ]
    assert codes[-1] == 133016


async def test_subscribed_apps_with_override_callback(
    graph: httpx.AsyncClient, receiver: Receiver, remote: SandboxRemote
) -> None:
    listed = (await graph.get(f"/v23.0/{WABA}/subscribed_apps")).json()
    assert listed["data"][0]["whatsapp_business_api_data"]["name"]
    bad = await graph.post(
        f"/v23.0/{WABA}/subscribed_apps", json={"override_callback_uri": receiver.url, "verify_token": "wrong"}
    )
    assert bad.status_code == 400 and error_code(bad) == 2200
    await remote.settings(webhook_url="http://127.0.0.1:9/unused")
    good = await graph.post(
        f"/v23.0/{WABA}/subscribed_apps", json={"override_callback_uri": receiver.url, "verify_token": VERIFY_TOKEN}
    )
    assert good.json()["data"][0]["override_callback_uri"] == receiver.url
    await remote.say(USER, "routed to the override")
    await receiver.wait_for(lambda: bool(receiver.messages()))
    assert (await graph.delete(f"/v23.0/{WABA}/subscribed_apps")).json() == {"success": True}
    assert (await graph.get(f"/v23.0/{WABA}/subscribed_apps")).json() == {"data": []}


async def test_embedded_signup(sandbox_config: Any, receiver: Receiver) -> None:
    customer = AccountConfig(
        waba_id="524126980791429",
        name="Customer WABA",
        phone_numbers=(PhoneNumberConfig(phone_number_id="106540352242999", display_phone_number="+1 555-010-9999"),),
    )
    config = sandbox_config(
        signup_codes=(SignupCodeConfig(code="AQD-code", business_token="biz-token", account=customer),)
    )
    async with running_sandbox(config) as sandbox, http(sandbox.base_url) as client:
        query = {"client_id": config.app_id, "client_secret": config.app_secret, "code": "AQD-code"}
        before = await client.post(
            "/v23.0/106540352242999/messages", json=template_message(), headers={"Authorization": "Bearer biz-token"}
        )
        assert error_code(before) == 190  # not exchanged yet
        exchanged = await client.get("/v23.0/oauth/access_token", params=query)
        assert exchanged.json() == {"access_token": "biz-token", "token_type": "bearer"}
        reused = await client.get("/v23.0/oauth/access_token", params=query)
        assert reused.json()["error"]["error_subcode"] == 36009
        bad_secret = await client.get("/v23.0/oauth/access_token", params={**query, "client_secret": "x"})
        assert error_code(bad_secret) == 1
        customer_auth = {"Authorization": "Bearer biz-token"}
        assert (
            error_code(
                await client.post("/v23.0/106540352242999/messages", json=template_message(), headers=customer_auth)
            )
            == 133010
        )  # not registered yet
        assert (await client.post("/v23.0/524126980791429/subscribed_apps", headers=customer_auth)).status_code == 200
        register = await client.post(
            "/v23.0/106540352242999/register",
            headers=customer_auth,
            json={"messaging_product": "whatsapp", "pin": "581063"},
        )
        assert register.json() == {"success": True}
        await SandboxRemote(sandbox.base_url).add_template(
            name="hello_world", waba_id="524126980791429", components=[{"type": "BODY", "text": "Hello"}]
        )
        sent = await client.post("/v23.0/106540352242999/messages", json=template_message(), headers=customer_auth)
        assert sent.status_code == 200
        assert (
            error_code(await client.post(f"/v23.0/{PNID}/messages", json=template_message(), headers=customer_auth))
            == 190
        )  # scoped to the customer's WABA
    await receiver.wait_for(lambda: bool(receiver.statuses()))
    assert receiver.bodies[0]["entry"][0]["id"] == "524126980791429"


async def test_unknown_objects(graph: httpx.AsyncClient) -> None:
    response = await graph.get("/v23.0/4242424242")
    assert response.status_code == 400 and response.json()["error"]["error_subcode"] == 33
    assert AUTH
