"""Every message type the client builds, sent by the production client to the sandbox over real HTTP.

Each send must be accepted, appear in the sandbox's inspection API exactly as the client built it (type, body,
``biz_opaque_callback_data``), and be followed by signed status webhooks that the product's parser reads back
with the same callback data. Also: mark-as-read with the typing indicator, and simulated users answering the
interactive messages and quick-reply templates they received.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.integration.conftest import PNID, USER, USER_WA_ID, Hook

from aimstors.core.channel import (
    Audio,
    CloudApiClient,
    ContactAddress,
    ContactCard,
    ContactEmail,
    ContactOrg,
    ContactPhone,
    Contacts,
    ContactUrl,
    CurrencyParam,
    DateTimeParam,
    Document,
    Image,
    InboundMessage,
    ListMessage,
    ListRow,
    ListSection,
    Location,
    MediaHeader,
    MediaParam,
    MessageType,
    OutgoingMessage,
    QuickReplyButton,
    Reaction,
    ReplyButton,
    ReplyButtons,
    StatusKind,
    Sticker,
    Template,
    Text,
    TextHeader,
    TextParam,
    UrlButton,
    Video,
)
from aimstors.core.channel.messages import MessageContent
from aimstors.sandbox import RunningSandbox, SandboxRemote

# Small files of each kind (the sandbox checks MIME type and size, not content).
FILES = {
    "image": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png", "photo.png"),
    "video": (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "clip.mp4"),
    "audio": (b"OggS" + b"\x00" * 64, "audio/ogg", "voice.ogg"),
    "document": (b"%PDF-1.4\n" + b"\x00" * 64, "application/pdf", "invoice.pdf"),
    "sticker": (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64, "image/webp", "sticker.webp"),
}


@dataclass(frozen=True)
class Ctx:
    """What a case may refer to: uploaded media ids by kind, and the user's last inbound message."""

    media: dict[str, str]
    inbound: str


Case = Callable[[Ctx], MessageContent]
_LINK = "https://cdn.example/files/"

CASES: dict[str, Case] = {
    "text_with_preview_url": lambda c: Text("New arrivals: https://shop.example/new", preview_url=True),
    "text_plain": lambda c: Text("Olá! Your order shipped 📦"),
    "template_no_parameters": lambda c: Template("hello_world", "en_US"),
    "template_positional_image_header_quick_reply_and_url_buttons": lambda c: Template(
        "order_update",
        "en_US",
        header=MediaParam("image", id=c.media["image"]),
        body=(TextParam("Mark"), CurrencyParam("$100.99", "USD", 100990), DateTimeParam("May 1, 2026")),
        buttons=(QuickReplyButton(0, "TRACK-A1"), UrlButton(1, "A1")),
    ),
    "template_positional_video_header_by_link": lambda c: Template(
        "promo_video", "en_US", header=MediaParam("video", link=_LINK + "spring.mp4"), body=(TextParam("spring"),)
    ),
    "template_named_document_header": lambda c: Template(
        "named_receipt",
        "en_US",
        header=MediaParam("document", link=_LINK + "r-42.pdf", filename="receipt-42.pdf"),
        body=(TextParam("R-42", name="receipt_id"), TextParam("Ana", name="first_name")),
    ),
    "template_named_text_header_and_buttons": lambda c: Template(
        "named_table",
        "en_US",
        header=(TextParam("Ana", name="party_name"),),
        body=(TextParam("4", name="party_size"),),
        buttons=(QuickReplyButton(0, "ON-MY-WAY"), UrlButton(1, "T-4")),
    ),
    "template_otp": lambda c: Template.otp("auth_code", "en_US", "482913"),
    "image_by_id": lambda c: Image(id=c.media["image"], caption="Your photo"),
    "image_by_link": lambda c: Image(link=_LINK + "photo.jpg"),
    "video_by_id": lambda c: Video(id=c.media["video"], caption="The clip"),
    "video_by_link": lambda c: Video(link=_LINK + "clip.mp4"),
    "audio_by_id": lambda c: Audio(id=c.media["audio"]),
    "audio_by_link": lambda c: Audio(link=_LINK + "voice.ogg"),
    "document_by_id": lambda c: Document(id=c.media["document"], caption="Invoice", filename="invoice.pdf"),
    "document_by_link": lambda c: Document(link=_LINK + "terms.pdf", filename="terms.pdf"),
    "sticker_by_id": lambda c: Sticker(id=c.media["sticker"]),
    "sticker_by_link": lambda c: Sticker(link=_LINK + "sticker.webp"),
    "location": lambda c: Location(37.483307, -122.148981, name="Pablo Morales", address="1 Hacker Way"),
    "contacts": lambda c: Contacts(
        (
            ContactCard(
                "Lucía Gómez",
                first_name="Lucía",
                last_name="Gómez",
                phones=(ContactPhone("+1 983 555 2319", "WORK", wa_id="19835552319"),),
                emails=(ContactEmail("lucia@example.com", "WORK"),),
                urls=(ContactUrl("https://example.com", "WORK"),),
                addresses=(ContactAddress(street="1 Main St", city="Menlo Park", country_code="US", type="WORK"),),
                org=ContactOrg(company="Example", title="Manager"),
                birthday="1990-04-01",
            ),
            ContactCard("Support desk", phones=(ContactPhone("+1 650 555 0100"),)),
        )
    ),
    "reply_buttons_text_header": lambda c: ReplyButtons(
        "Did the parcel arrive?",
        (ReplyButton("yes", "Yes"), ReplyButton("no", "No"), ReplyButton("later", "Ask me later")),
        header=TextHeader("Delivery"),
        footer="Reply with a button",
    ),
    "reply_buttons_image_header": lambda c: ReplyButtons(
        "Keep this colour?", (ReplyButton("keep", "Keep"),), header=MediaHeader("image", id=c.media["image"])
    ),
    "list": lambda c: ListMessage(
        "Pick a delivery slot",
        "Slots",
        (
            ListSection((ListRow("mon-am", "Monday morning", "8-12"), ListRow("mon-pm", "Monday afternoon")), "Mon"),
            ListSection((ListRow("tue-am", "Tuesday morning"),), "Tue"),
        ),
        header="Delivery",
        footer="Times are local",
    ),
    "reaction": lambda c: Reaction(c.inbound, "👍"),
}
REPLY_CASES: dict[str, Case] = {
    "contextual_reply_text": lambda c: Text("Replying to your question"),
    "contextual_reply_image": lambda c: Image(link=_LINK + "answer.jpg"),
}


async def _context(client: CloudApiClient, remote: SandboxRemote) -> Ctx:
    media = {
        kind: await client.media.upload(PNID, data, mime, filename=name) for kind, (data, mime, name) in FILES.items()
    }
    inbound = await remote.say(USER, "hi, is my order ready?")  # opens the 24-hour window
    return Ctx(media, inbound)


async def _sent_and_settled(
    client: CloudApiClient, remote: SandboxRemote, hook: Hook, message: OutgoingMessage, expected: list[str]
) -> dict[str, Any]:
    """Send; check the inspection API and the status webhooks; return the inspected row."""
    sent = await client.send_message(PNID, message)
    assert sent.message_id.startswith("wamid.")
    assert (sent.input, sent.wa_id) == (USER, USER_WA_ID)
    assert sent.message_status == ("accepted" if message.type == "template" else None)

    [row] = [m for m in await remote.messages(to=USER) if m["id"] == sent.message_id]
    assert row["type"] == message.type
    assert row["biz_opaque_callback_data"] == message.callback_data
    assert row["body"] == message.to_payload()  # the sandbox holds exactly what the client built
    assert row["error_code"] is None

    await hook.wait_for(lambda: len(hook.statuses(sent.message_id)) == len(expected))
    statuses = hook.statuses(sent.message_id)
    assert [s.status_name for s in statuses] == expected
    assert all(s.biz_opaque_callback_data == message.callback_data for s in statuses)
    assert all(s.recipient_id == USER_WA_ID and not s.errors for s in statuses)
    return row


@pytest.mark.parametrize("name", sorted(CASES))
async def test_every_message_type_is_accepted_and_inspectable(
    name: str, client: CloudApiClient, remote: SandboxRemote, hook: Hook
) -> None:
    ctx = await _context(client, remote)
    content = CASES[name](ctx)
    message = OutgoingMessage(USER, content, callback_data=f"attempt-{name}")
    expected = ["sent"] if content.type == "reaction" else ["sent", "delivered", "read"]  # as at Meta
    await _sent_and_settled(client, remote, hook, message, expected)


@pytest.mark.parametrize("name", sorted(REPLY_CASES))
async def test_contextual_reply_quotes_the_users_message(
    name: str, client: CloudApiClient, remote: SandboxRemote, hook: Hook
) -> None:
    ctx = await _context(client, remote)
    message = OutgoingMessage(USER, REPLY_CASES[name](ctx), reply_to=ctx.inbound, callback_data=f"attempt-{name}")
    row = await _sent_and_settled(client, remote, hook, message, ["sent", "delivered", "read"])
    assert row["body"]["context"] == {"message_id": ctx.inbound}


async def test_callback_data_at_its_512_character_limit_round_trips(
    client: CloudApiClient, remote: SandboxRemote, hook: Hook
) -> None:
    callback = "é" + "x" * 510 + "\u00ff"  # non-ASCII: the webhook body escapes it and still verifies
    message = OutgoingMessage(USER, Template("hello_world", "en_US"), callback_data=callback)
    await _sent_and_settled(client, remote, hook, message, ["sent", "delivered", "read"])


async def test_mark_read_with_typing_indicator(
    client: CloudApiClient, remote: SandboxRemote, shared_sandbox: RunningSandbox
) -> None:
    first = await remote.say(USER, "hello")
    second = await remote.say(USER, "anyone there?")
    assert await client.mark_read(PNID, second, typing_indicator=True) is True
    # The inspection API lists sends, not read receipts; the live sandbox (same process) shows their effect:
    # marking one message read marks the earlier ones of the chat too.
    inbound = shared_sandbox.sandbox.state.inbound
    assert inbound[first].read and inbound[second].read
    assert await remote.messages() == []  # a read receipt is not a message
    assert await client.mark_read(PNID, first) is True  # without the indicator too


async def test_users_answer_buttons_lists_and_quick_replies(
    client: CloudApiClient, remote: SandboxRemote, hook: Hook
) -> None:
    ctx = await _context(client, remote)
    buttons = await client.send_message(PNID, OutgoingMessage(USER, CASES["reply_buttons_text_header"](ctx)))
    await remote.reply(USER, "Ask me later", message_id=buttons.message_id)
    menu = await client.send_message(PNID, OutgoingMessage(USER, CASES["list"](ctx)))
    await remote.reply(USER, "tue-am", message_id=menu.message_id)
    template = CASES["template_positional_image_header_quick_reply_and_url_buttons"](ctx)
    order = await client.send_message(PNID, OutgoingMessage(USER, template))
    await remote.reply(USER, "TRACK-A1", message_id=order.message_id)

    def answers() -> list[InboundMessage]:
        return [m for m in hook.inbound() if m.context is not None]

    await hook.wait_for(lambda: len(answers()) == 3)
    by_context = {m.context.id: m for m in answers() if m.context is not None}
    button_reply, list_reply, quick_reply = (by_context[s.message_id] for s in (buttons, menu, order))
    assert button_reply.type is MessageType.INTERACTIVE and button_reply.interactive is not None
    assert (button_reply.interactive.id, button_reply.interactive.title) == ("later", "Ask me later")
    assert list_reply.interactive is not None and list_reply.interactive.id == "tue-am"
    assert quick_reply.type is MessageType.BUTTON and quick_reply.button is not None
    assert quick_reply.button.payload == "TRACK-A1"
    assert all(m.from_wa_id == USER_WA_ID for m in (button_reply, list_reply, quick_reply))


async def test_status_webhooks_carry_pricing(client: CloudApiClient, remote: SandboxRemote, hook: Hook) -> None:
    await remote.say(USER, "hi")
    sent = await client.send_message(PNID, OutgoingMessage(USER, Template("hello_world", "en_US"), callback_data="p"))
    await hook.wait_for(lambda: any(s.status is StatusKind.READ for s in hook.statuses(sent.message_id)))
    [first] = [s for s in hook.statuses(sent.message_id) if s.status is StatusKind.SENT]
    assert first.pricing is not None and first.pricing.category_name == "utility"
