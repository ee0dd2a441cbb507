"""Meta's own request examples (from the OpenAPI spec's ``examples``) for every endpoint the sandbox implements
are accepted over HTTP. Placeholders such as ``{{Recipient-Phone-Number}}`` or ``<TEMPLATE_NAME>`` are replaced
by real values, as anyone running the examples must; templates named by send examples are seeded to match."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx
import pytest
from tests.sandbox.conftest import PNID, USER, VERIFY_TOKEN, WABA, Receiver

from aimstors.sandbox import SandboxRemote
from aimstors.sandbox.spec import load_excerpt

EXAMPLES = load_excerpt()["operations"]


def examples(operation: str, media_type: str = "application/json") -> list[tuple[str, Any]]:
    content = EXAMPLES[operation]["content"].get(media_type, {})
    return [(name, example["value"]) for name, example in sorted((content.get("examples") or {}).items())]


def fill(value: Any, **extra: str) -> Any:
    text = json.dumps(value)
    text = text.replace("{{Recipient-Phone-Number}}", USER).replace("{{Recipient-WA-Phone-Number}}", USER)
    text = text.replace("<HEADER_TYPE>", "text")
    for placeholder, real in extra.items():
        text = text.replace(placeholder, real)
    return json.loads(text)


def template_for(send: dict[str, Any]) -> dict[str, Any]:
    """An approved template whose placeholders match what the send example provides."""
    components: list[dict[str, Any]] = []
    buttons: list[dict[str, Any]] = []
    for component in send.get("components", []):
        kind = component["type"].lower()
        params = component.get("parameters", [])
        if kind == "header":
            fmt = params[0]["type"].upper() if params else "TEXT"
            components.append({"type": "HEADER", "format": fmt, **({"text": "Hi {{1}}"} if fmt == "TEXT" else {})})
        elif kind == "body":
            text = "Hello " + " and ".join(f"{{{{{i}}}}}" for i in range(1, len(params) + 1)) + "."
            components.append({"type": "BODY", "text": text})
        else:
            sub_type = component["sub_type"].upper()
            button = {"type": sub_type, "text": "Go"}
            if sub_type == "URL":
                button["url"] = "https://x.example/{{1}}"
            buttons.append(button)
    if not any(c["type"] == "BODY" for c in components):
        components.append({"type": "BODY", "text": "Hello there."})
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {"name": send["name"], "language": send["language"]["code"], "components": components}


@pytest.mark.parametrize(("name", "body"), examples("send_message"), ids=lambda v: v if isinstance(v, str) else "")
async def test_send_examples_are_accepted(
    name: str, body: Any, graph: httpx.AsyncClient, remote: SandboxRemote
) -> None:
    body = fill(body)
    await remote.say(USER, "hi")  # free-form examples need the customer-service window open
    if body.get("type") == "template":
        await remote.add_template(**template_for(body["template"]))
    response = await graph.post(f"/v23.0/{PNID}/messages", json=body)
    assert response.status_code == 200, response.text
    assert response.json().get("success") is True or response.json()["messages"][0]["id"].startswith("wamid.")


@pytest.mark.parametrize(("name", "body"), examples("create_template"), ids=lambda v: v if isinstance(v, str) else "")
async def test_template_create_examples_are_accepted(name: str, body: Any, graph: httpx.AsyncClient) -> None:
    response = await graph.post(
        f"/v23.0/{WABA}/message_templates", json=fill(body, **{"<TEMPLATE_NAME>": "flow_offer"})
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "PENDING"


async def test_template_edit_example_is_accepted(graph: httpx.AsyncClient, remote: SandboxRemote) -> None:
    [(_, body)] = examples("edit_template")
    # The example edits a marketing template (an approved template's category cannot change).
    template = await remote.add_template(
        name=body["name"], category="MARKETING", components=[{"type": "BODY", "text": "Old text"}]
    )
    response = await graph.post(f"/v23.0/{template['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}


@pytest.mark.parametrize(("name", "body"), examples("register"), ids=lambda v: v if isinstance(v, str) else "")
async def test_register_examples_are_accepted(name: str, body: Any, graph: httpx.AsyncClient) -> None:
    response = await graph.post(f"/v23.0/{PNID}/register", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}


@pytest.mark.parametrize(("name", "body"), examples("subscribe_app"), ids=lambda v: v if isinstance(v, str) else "")
async def test_subscribe_examples_are_accepted(
    name: str, body: Any, graph: httpx.AsyncClient, receiver: Receiver
) -> None:
    # The example's callback URL is on the internet; the handshake goes to the test's receiver instead.
    body = fill(
        body,
        **{"https://your-webhook-endpoint.com/webhook": receiver.url, "YOUR_VERIFY_TOKEN_PLACEHOLDER": VERIFY_TOKEN},
    )
    response = await graph.post(f"/v23.0/{WABA}/subscribed_apps", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


@pytest.mark.parametrize(("name", "body"), examples("upload_media"), ids=lambda v: v if isinstance(v, str) else "")
async def test_upload_examples_are_accepted(name: str, body: Any, graph: httpx.AsyncClient) -> None:
    # The JSON examples spell curl's -F syntax ("@/path;type=..."); sent as the multipart form they stand for.
    match = re.fullmatch(r"@(?P<path>[^;]+);type=(?P<type>.+)", body["file"])
    assert match is not None
    filename = match["path"].rsplit("/", 1)[-1]
    files = {"file": (filename, b"\x00fake media bytes", match["type"])}
    response = await graph.post(
        f"/v23.0/{PNID}/media", data={"messaging_product": body["messaging_product"]}, files=files
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"].isdigit()


def test_every_implemented_operation_has_its_examples_here() -> None:
    counted = {op: sum(len(c.get("examples") or {}) for c in spec["content"].values()) for op, spec in EXAMPLES.items()}
    assert counted["send_message"] == 50
    assert sum(counted.values()) == 70
    assert copy.deepcopy(EXAMPLES) == load_excerpt()["operations"]  # the tests did not modify the excerpt
