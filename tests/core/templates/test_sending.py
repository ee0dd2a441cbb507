"""The check before every send (and preview): values against placeholders, statuses, and the payload built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimstors.core.errors import InvalidInput
from aimstors.core.templates import SendParameters, TemplateNotSendable, check_send
from aimstors.core.templates.definitions import TemplateDefinition
from aimstors.core.templates.preview import render
from aimstors.core.templates.sending import example_parameters

from .conftest import order_update


@dataclass
class Row:
    """Stands in for a ``templates`` row (check_send reads only these attributes)."""

    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    status: str = "APPROVED"
    parameter_format: str = "POSITIONAL"
    extra: dict[str, Any] = field(default_factory=dict)


def row_of(definition: dict[str, Any], status: str = "APPROVED") -> Row:
    spec = TemplateDefinition.from_mapping(definition)
    return Row(spec.name, spec.language, spec.category, list(spec.components), status, spec.parameter_format)


ORDER = row_of(order_update())
GOOD = {"header.1": "#77", "1": "Pablo", "2": "860198", "button.0": "A1B2"}


def test_values_by_key_build_metas_payload() -> None:
    send = check_send(ORDER, GOOD)
    assert send.type == "template"
    assert send.to_payload() == {
        "name": "order_update",
        "language": {"policy": "deterministic", "code": "en_US"},
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "#77"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Pablo"}, {"type": "text", "text": "860198"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A1B2"}]},
        ],
    }
    shown = render(send)
    assert shown.header == "Order #77"
    assert shown.body.startswith("Thank you for your order, Pablo! Your order number is 860198.")
    assert shown.buttons == ("[Track] → https://shop.example/track/A1B2", "[Stop updates]")


def test_values_in_order_fill_the_body() -> None:
    given_ = SendParameters.parse(["Pablo", "860198", "header.1=#77", "button.0=A1B2"])
    assert check_send(ORDER, given_).to_payload() == check_send(ORDER, GOOD).to_payload()
    assert check_send(ORDER, SendParameters.parse(["body.1=Pablo", "2=860198", "header.1=#77", "button.0=A"]))


def test_missing_and_unknown_values_are_named_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_send(ORDER, {"1": "Pablo", "foo": "x", "header.1": "#1"})
    message = caught.value.message
    assert message.startswith("template order_update (en_US): missing body {{2}} (key 2), URL button 0 (key button.0)")
    assert "unknown parameter 'foo'" in message
    assert caught.value.hint == "this template takes header.1 (header); 1, 2 (body); button.0 (buttons), as KEY=VALUE"
    with pytest.raises(InvalidInput, match="3 values given in order but the body has 2 placeholders"):
        check_send(ORDER, SendParameters.parse(["a", "b", "c", "header.1=x", "button.0=y"]))
    with pytest.raises(InvalidInput, match=r"body \{\{1\}\} is given twice"):
        check_send(ORDER, SendParameters(keyed={"1": "a", "2": "b", "header.1": "x", "button.0": "y"}, ordered=("z",)))
    with pytest.raises(InvalidInput, match="parameter '1' is given twice"):
        SendParameters.parse(["1=a", "1=b"])


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"2": "  "}, "the value for body {{2}} is empty"),
        ({"1": "two\nlines"}, "line break, a tab or 5+ spaces"),
        ({"1": "a     b"}, "line break, a tab or 5+ spaces"),
        ({"header.1": "x" * 60}, "with these values the header is 66 characters; Meta allows 60"),
        ({"1": "x" * 1000}, "the body is 1,085 characters; Meta allows 1,024 (132005)"),
        ({"button.0": "a b"}, "encode its spaces"),
    ],
)
def test_bad_values_are_refused(changes: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_send(ORDER, {**GOOD, **changes})
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        ("PAUSED", "is paused by Meta for low quality (132015); nothing was sent"),
        ("DISABLED", "is disabled by Meta (132016)"),
        ("DRAFT", "is a draft"),
        ("PENDING", "waiting for Meta's review"),
        ("REJECTED", "was rejected by Meta"),
        ("DELETED", "has status DELETED, not APPROVED"),
    ],
)
def test_only_approved_templates_are_sent(status: str, fragment: str) -> None:
    with pytest.raises(TemplateNotSendable) as caught:
        check_send(row_of(order_update(), status), GOOD)
    assert fragment in caught.value.message and caught.value.exit_code == 6
    assert check_send(row_of(order_update(), status), GOOD, require_approved=False)  # previews may


NAMED = row_of(
    {
        "name": "welcome",
        "language": "pt_BR",
        "category": "MARKETING",
        "parameter_format": "NAMED",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Sale: {{sale}}",
             "example": {"header_text_named_params": [{"param_name": "sale", "example": "Summer"}]}},
            {"type": "BODY", "text": "Hi {{first_name}}, use {{code}} today.",
             "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"},
                                                    {"param_name": "code", "example": "X1"}]}},
        ],
    }
)  # fmt: skip


def test_named_templates() -> None:
    send = check_send(NAMED, {"code": "SAVE", "first_name": "Ana", "sale": "Winter"})  # a header name may go bare
    body = send.to_payload()["components"][1]
    assert body == {
        "type": "body",
        "parameters": [
            {"type": "text", "text": "Ana", "parameter_name": "first_name"},
            {"type": "text", "text": "SAVE", "parameter_name": "code"},
        ],
    }
    assert render(send).body == "Hi Ana, use SAVE today."
    assert render(check_send(NAMED, example_parameters(NAMED))).header == "Sale: Summer"
    with pytest.raises(InvalidInput, match=r"missing header \{\{sale\}\} \(key header.sale\)"):
        check_send(NAMED, {"code": "SAVE", "first_name": "Ana"})


AUTH_LOCAL = row_of(
    {
        "name": "login_code",
        "language": "en_US",
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 5},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]},
        ],
    }
)
AUTH_FROM_META = Row(  # the same template as Meta lists it after approval
    "login_code",
    "en_US",
    "AUTHENTICATION",
    [
        {"type": "BODY", "text": "*{{1}}* is your verification code. For your security, do not share this code."},
        {"type": "FOOTER", "text": "This code expires in 5 minutes."},
        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Copy code",
                                         "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}"}]},
    ],
)  # fmt: skip


@pytest.mark.parametrize("row", [AUTH_LOCAL, AUTH_FROM_META], ids=["as-created", "as-meta-lists-it"])
def test_authentication_code_fills_body_and_button(row: Row) -> None:
    payload = check_send(row, {"1": "482913"}).to_payload()
    assert payload["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]},
    ]
    with pytest.raises(InvalidInput, match="at most 15"):
        check_send(row, {"1": "1" * 16})


def test_authentication_preview_uses_metas_preset_text() -> None:
    shown = render(check_send(AUTH_LOCAL, ["482913"]))
    assert shown.body == "482913 is your verification code. For your security, do not share this code."
    assert shown.footer == "This code expires in 5 minutes."
    assert shown.buttons == ("[Copy code] → copies 482913",)


def _with_header(header: dict[str, Any]) -> Row:
    definition = order_update()
    definition["components"][0] = header
    return row_of(definition)


def test_media_and_location_headers() -> None:
    image = _with_header({"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1h"]}})
    rest = {k: v for k, v in GOOD.items() if k != "header.1"}
    by_link = check_send(image, {**rest, "header": "https://cdn.example/a.jpg"}).to_payload()
    assert by_link["components"][0] == {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://cdn.example/a.jpg"}}],
    }
    by_id = check_send(image, {**rest, "header": "2871834006348767"}).to_payload()
    assert by_id["components"][0]["parameters"][0] == {"type": "image", "image": {"id": "2871834006348767"}}
    with pytest.raises(InvalidInput, match="missing header image"):
        check_send(image, rest)
    location = _with_header({"type": "HEADER", "format": "LOCATION"})
    payload = check_send(location, {**rest, "header": "37.44, -122.16, Philz Coffee, 101 Forest Ave, Palo Alto"})
    assert payload.to_payload()["components"][0] == {
        "type": "header",
        "parameters": [
            {
                "type": "location",
                "location": {"latitude": "37.44", "longitude": "-122.16", "name": "Philz Coffee",
                             "address": "101 Forest Ave, Palo Alto"},
            }
        ],
    }  # fmt: skip
    with pytest.raises(InvalidInput, match="LATITUDE,LONGITUDE"):
        check_send(location, {**rest, "header": "north pole"})


def test_coupon_button() -> None:
    definition = order_update(category="MARKETING")
    definition["components"][3]["buttons"] = [{"type": "COPY_CODE", "example": "25OFF"}]
    row = row_of(definition)
    payload = check_send(row, {"header.1": "x", "1": "a", "2": "b", "button.0": "SAVE25"}).to_payload()
    assert payload["components"][0] == {
        "type": "button",
        "sub_type": "COPY_CODE",
        "index": "0",
        "parameters": [{"type": "coupon_code", "coupon_code": "SAVE25"}],
    }
    assert example_parameters(row)["button.0"] == "25OFF"


def test_examples_of_a_template_are_a_valid_send() -> None:
    values = example_parameters(ORDER)
    assert values == {"header.1": "#1234", "1": "Pablo", "2": "860198-230332", "button.0": "A1B2"}
    assert render(check_send(ORDER, values)).header == "Order #1234"
    full_url = order_update()
    full_url["components"][3]["buttons"][0]["example"] = ["https://shop.example/track/ZZ9"]  # Meta's docs' style
    assert example_parameters(row_of(full_url))["button.0"] == "ZZ9"


def test_parse_keeps_values_that_merely_contain_equals_signs() -> None:
    parsed = SendParameters.parse(["Total=5 items", "1=a=b", "first_name=Ana"])
    assert parsed.ordered == ("Total=5 items",)
    assert parsed.keyed == {"1": "a=b", "first_name": "Ana"}


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40).filter(
    lambda s: s.strip() and "     " not in s and "{{" not in s
)


@given(first=TEXT, second=TEXT)
def test_property_every_value_reaches_payload_and_rendering(first: str, second: str) -> None:
    send = check_send(ORDER, {**GOOD, "1": first, "2": second})
    body = send.to_payload()["components"][1]["parameters"]
    assert [p["text"] for p in body] == [first, second]
    rendered = render(send).body
    assert first in rendered and second in rendered
