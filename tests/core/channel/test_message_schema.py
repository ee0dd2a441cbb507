"""Every request body the client can build validates against Meta's OpenAPI schema for sending messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aimstors.core.channel import (
    Audio,
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
    ListMessage,
    ListRow,
    ListSection,
    Location,
    MediaHeader,
    MediaParam,
    OtpButton,
    OutgoingMessage,
    QuickReplyButton,
    Reaction,
    ReplyButton,
    ReplyButtons,
    Sticker,
    Template,
    Text,
    TextHeader,
    TextParam,
    UrlButton,
    Video,
    mark_read_payload,
)
from aimstors.core.channel.messages import MessageContent

TO = "+16505551234"
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"
CALLBACK = "attempt-0193f2c4-" + "x" * 495  # 512 characters, the documented maximum

# One content value per builder option; each is sent plain, as a reply and with callback data.
CONTENTS: dict[str, MessageContent] = {
    "text": Text("Your order shipped"),
    "text_preview": Text("Track it at https://example.com/t/1", preview_url=True),
    "image_id": Image(id="1003383421387256", caption="Your receipt"),
    "image_link": Image(link="https://example.com/receipt.png"),
    "video_id": Video(id="1948839695874560"),
    "video_link": Video(link="https://example.com/tour.mp4", caption="Tour"),
    "audio_id": Audio(id="1108946680856520"),
    "audio_link": Audio(link="https://example.com/note.ogg"),
    "document_id": Document(id="1185183649738566", caption="Invoice", filename="invoice.pdf"),
    "document_link": Document(link="https://example.com/invoice.pdf", filename="invoice.pdf"),
    "sticker_id": Sticker(id="1273395390890024"),
    "sticker_link": Sticker(link="https://example.com/s.webp"),
    "location": Location(37.4847, -122.1486, name="Meta HQ", address="1 Hacker Way, Menlo Park, CA 94025"),
    "location_bare": Location(-33.8688, 151.2093),
    "contacts": Contacts(
        (
            ContactCard(
                "John Smith",
                first_name="John",
                last_name="Smith",
                middle_name="D.",
                prefix="Dr",
                suffix="Jr",
                phones=(ContactPhone("+1 (650) 555-1234", "WORK", wa_id="16505551234"), ContactPhone("+1 940 555")),
                emails=(ContactEmail("john@example.com", "WORK"),),
                urls=(ContactUrl("https://www.example.com", "HOME"),),
                addresses=(ContactAddress(street="1 Hacker Way", city="Menlo Park", zip="94025", type="WORK"),),
                org=ContactOrg(company="WhatsApp", title="Manager"),
                birthday="2012-08-18",
            ),
            ContactCard("Lucía Gómez"),
        )
    ),
    "reply_buttons": ReplyButtons(
        "Change your appointment?",
        (ReplyButton("change", "Change"), ReplyButton("cancel", "Cancel"), ReplyButton("keep", "Keep it")),
        footer="Reply any time",
    ),
    "reply_buttons_text_header": ReplyButtons("Pick one", (ReplyButton("a", "A"),), header=TextHeader("Your order")),
    "reply_buttons_image_header": ReplyButtons(
        "Like it?", (ReplyButton("yes", "Yes"), ReplyButton("no", "No")), header=MediaHeader("image", id="1")
    ),
    "reply_buttons_video_header": ReplyButtons(
        "Watch", (ReplyButton("ok", "OK"),), header=MediaHeader("video", link="https://example.com/v.mp4")
    ),
    "reply_buttons_document_header": ReplyButtons(
        "Read", (ReplyButton("ok", "OK"),), header=MediaHeader("document", id="77")
    ),
    "list": ListMessage(
        "Choose a shipping option",
        "Options",
        (
            ListSection((ListRow("std", "Standard", "3-5 days"), ListRow("exp", "Express")), title="Ground"),
            ListSection((ListRow("air", "Priority Mail Express", "Next Day to 2 Days"),), title="Air"),
        ),
        header="Shipping",
        footer="Prices include tax",
    ),
    "list_single_section": ListMessage("Pick", "Menu", (ListSection((ListRow("1", "One"),)),)),
    "template_no_params": Template("hello_world", "en_US"),
    "template_positional": Template(
        "order_update",
        "en_US",
        header=MediaParam("image", id="2871834006348767"),
        body=(
            TextParam("Mark"),
            CurrencyParam("$100.99", "USD", 100990),
            DateTimeParam("February 25, 1977"),
        ),
        buttons=(QuickReplyButton(0, "ORDER_DETAILS"), UrlButton(1, "summer2023")),
    ),
    "template_named": Template(
        "order_named",
        "pt_BR",
        header=(TextParam("Summer", name="season"),),
        body=(TextParam("Pablo", name="first_name"), TextParam("25OFF", name="code")),
    ),
    "template_video_header_link": Template(
        "promo_video", "en", header=MediaParam("video", link="https://example.com/promo.mp4")
    ),
    "template_document_header": Template(
        "invoice_doc", "en", header=MediaParam("document", id="55", filename="invoice.pdf")
    ),
    "template_otp": Template.otp("auth_code", "en_US", "123456"),
    "template_otp_explicit": Template(
        "auth_code", "es", body=(TextParam("987654"),), buttons=(OtpButton("987654", index=0),)
    ),
    "reaction": Reaction(WAMID, "\U0001f44d"),
    "reaction_removed": Reaction(WAMID, ""),
}


def _bodies() -> list[tuple[str, dict[str, Any]]]:
    bodies = []
    for name, content in CONTENTS.items():
        bodies.append((name, OutgoingMessage(TO, content).to_payload()))
        bodies.append((f"{name}+callback", OutgoingMessage(TO, content, callback_data=CALLBACK).to_payload()))
        if content.type != "reaction":
            bodies.append((f"{name}+reply", OutgoingMessage(TO, content, reply_to=WAMID).to_payload()))
    bodies.append(
        ("group_text", OutgoingMessage("Y2FwaV9ncm91cDox", Text("hi all"), recipient_type="group").to_payload())
    )
    bodies.append(("mark_read", dict(mark_read_payload(WAMID))))
    bodies.append(("mark_read_typing", dict(mark_read_payload(WAMID, typing_indicator=True))))
    return bodies


BODIES = _bodies()


@pytest.mark.parametrize(("name", "body"), BODIES, ids=[name for name, _ in BODIES])
def test_every_builder_body_validates_against_metas_schema(
    name: str, body: dict[str, Any], validate_send: Callable[..., list[str]]
) -> None:
    assert validate_send(body) == [], name


def test_every_message_type_is_covered() -> None:
    types = {content.type for content in CONTENTS.values()}
    assert types == {
        "text", "image", "video", "audio", "document", "sticker", "location",
        "contacts", "interactive", "template", "reaction",
    }  # fmt: skip
    interactive = {c.to_payload()["type"] for c in CONTENTS.values() if c.type == "interactive"}
    assert interactive == {"button", "list"}


def test_text_body_is_exactly_what_meta_documents() -> None:
    body = OutgoingMessage(TO, Text("Hi", preview_url=True), reply_to=WAMID, callback_data="a1").to_payload()
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Hi", "preview_url": True},
        "context": {"message_id": WAMID},
        "biz_opaque_callback_data": "a1",
    }


def test_template_body_is_exactly_what_meta_documents() -> None:
    body = CONTENTS["template_positional"].to_payload()
    assert body == {
        "name": "order_update",
        "language": {"policy": "deterministic", "code": "en_US"},
        "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"id": "2871834006348767"}}]},
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Mark"},
                    {"type": "currency",
                     "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}},
                    {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977"}},
                ],
            },
            {"type": "button", "sub_type": "quick_reply", "index": "0",
             "parameters": [{"type": "payload", "payload": "ORDER_DETAILS"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "summer2023"}]},
        ],
    }  # fmt: skip


def test_named_parameters_carry_their_names() -> None:
    components = CONTENTS["template_named"].to_payload()["components"]
    assert components[1]["parameters"][0] == {"type": "text", "text": "Pablo", "parameter_name": "first_name"}


def test_otp_template_puts_the_code_in_body_and_button() -> None:
    components = CONTENTS["template_otp"].to_payload()["components"]
    assert components == [
        {"type": "body", "parameters": [{"type": "text", "text": "123456"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "123456"}]},
    ]


def test_mark_read_with_typing_indicator() -> None:
    assert mark_read_payload(WAMID, typing_indicator=True) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": WAMID,
        "typing_indicator": {"type": "text"},
    }


# --- the corrected spec is still strict ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda b: b.update(unexpected="x"), "unknown top-level field"),
        (lambda b: b.update(biz_opaque_callback_data="x" * 513), "callback data over 512"),
        (lambda b: b.pop("to"), "no recipient"),
        (lambda b: b.update(type="image"), "type does not match content"),
        (lambda b: b["text"].update(colour="red"), "unknown text field"),
    ],
)
def test_corrected_schema_still_rejects_bad_bodies(
    mutate: Callable[[dict[str, Any]], object], why: str, validate_send: Callable[..., list[str]]
) -> None:
    body = OutgoingMessage(TO, Text("hi")).to_payload()
    mutate(body)
    assert validate_send(body) != [], why


def test_corrected_schema_checks_template_parameters(validate_send: Callable[..., list[str]]) -> None:
    body = OutgoingMessage(TO, Template("t", "en", body=(TextParam("x"),))).to_payload()
    body["template"]["components"][0]["parameters"][0] = {"type": "currency", "currency": {"code": "USD"}}
    assert validate_send(body) != []
    body["template"]["components"][0]["parameters"][0] = {"type": "hologram"}
    assert validate_send(body) != []


def test_uncorrected_spec_rejects_even_its_own_examples(validate_send: Callable[..., list[str]]) -> None:
    body = OutgoingMessage(TO, Text("hi")).to_payload()
    assert (
        validate_send(body, schema="Message", corrected=False) != []
    )  # allOf + additionalProperties:false, see conftest


# Meta's own examples that violate Meta's own schema, for reasons the errata deliberately do not paper over.
EXAMPLE_DEFECTS = {
    "Send Contact Message": "no recipient_type (required)",
    "Send Reply to Contact Message": "no recipient_type (required)",
    "Send Reply to List Message": "no type (required)",
    "Send Text Message with Preview URL": "no type and no recipient_type (required)",
    "Send Message Template Interactive": "language without policy (required)",
    "Send Message Template Media": "language without policy (required)",
    "Send Message Template Text": "language without policy (required)",
    "Send Sample Shipping Confirmation Template": "language without policy (required)",
    "Send Sample Text Message": "language without policy (required)",
    "Send Test Message": "language without policy (required)",
    "Send Catalog Template Message": "integer index, sub_type CATALOG/action parameter not in the schema",
    "Send Flow Template Message": "sub_type flow / action parameter not in the schema",
    "Send Sample Issue Resolution Template": "integer index and boolean text",
    "Send Multi-Product Message": "placeholder header type <HEADER_TYPE>",
    "Send Order Details Message": "order_details action not in the schema",
    "Send Order Status Message": "order_status action not in the schema",
}


def test_spec_examples_validate_after_errata(
    spec_send_example: tuple[str, dict[str, Any]], validate_send: Callable[..., list[str]]
) -> None:
    name, body = spec_send_example
    errors = validate_send(body)
    if name in EXAMPLE_DEFECTS:
        assert errors, f"{name} now validates: drop it from EXAMPLE_DEFECTS"
    else:
        assert errors == [], name
