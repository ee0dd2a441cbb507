"""The template linter, rule by rule: Meta's own create examples pass; each broken variant names its problem."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimstors.core.templates import TemplateLinter, TemplateLintFailed
from aimstors.core.templates.definitions import TemplateDefinition
from aimstors.core.templates.findings import Finding
from aimstors.core.templates.lint import summary

from .conftest import order_update

SPEC = Path(__file__).resolve().parents[2] / "data" / "meta" / "business-messaging-api_v23.0.yaml"
LINTER = TemplateLinter()


@cache
def meta_create_examples() -> dict[str, dict[str, Any]]:
    """The request examples of Meta's ``POST /{WABA-ID}/message_templates`` (OpenAPI spec, v23.0)."""
    if not SPEC.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Meta's OpenAPI spec is required under CI: {SPEC}")
        pytest.skip(f"Meta's OpenAPI spec not found at {SPEC}")
    import yaml

    spec = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    operation = spec["paths"]["/{Version}/{WABA-ID}/message_templates"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return {name: example["value"] for name, example in examples.items()}


def errors(definition: Any) -> list[Finding]:
    return [f for f in LINTER.lint(definition) if f.is_error]


def rules(definition: Any) -> set[str]:
    return {f.rule for f in errors(definition)}


def test_every_create_example_in_metas_spec_passes() -> None:
    examples = meta_create_examples()
    assert len(examples) >= 8
    for title, example in examples.items():
        definition = copy.deepcopy(example)
        if definition["name"] == "<TEMPLATE_NAME>":  # the spec's placeholder for a name
            definition["name"] = "flow_offer"
        assert errors(definition) == [], title


def test_good_definitions_pass() -> None:
    assert LINTER.lint(order_update()) == []
    named = {
        "name": "order_named",
        "language": "en_US",
        "category": "utility",  # Meta accepts either case
        "parameter_format": "named",
        "components": [
            {
                "type": "header",
                "format": "text",
                "text": "Our new sale starts {{sale_start_date}}!",
                "example": {"header_text_named_params": [{"param_name": "sale_start_date", "example": "December 1st"}]},
            },
            {
                "type": "body",
                "text": "Thank you, {{first_name}}! Your order number is {{order_number}}.",
                "example": {
                    "body_text_named_params": [
                        {"param_name": "order_number", "example": "860198-230332"},  # any order
                        {"param_name": "first_name", "example": "Pablo"},
                    ]
                },
            },
        ],
    }
    assert LINTER.lint(named) == []


Mutation = Callable[[dict[str, Any]], None]


def body(d: dict[str, Any]) -> dict[str, Any]:
    return d["components"][1]  # type: ignore[no-any-return]


def header(d: dict[str, Any]) -> dict[str, Any]:
    return d["components"][0]  # type: ignore[no-any-return]


def buttons(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["components"][3]["buttons"]  # type: ignore[no-any-return]


def set_body(text: str, *example: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        body(d)["text"] = text
        body(d)["example"] = {"body_text": [list(example)]}

    return mutate


CASES: list[tuple[str, Mutation, str, str, str]] = [
    # (case, mutation, rule, path, message fragment)
    ("name with spaces", lambda d: d.update(name="Order Update"), "name", "name", "e.g. 'order_update'"),
    ("name too long", lambda d: d.update(name="a" * 513), "name", "name", "at most 512"),
    ("name missing", lambda d: d.pop("name"), "name", "name", "needs a name"),
    (
        "language with hyphen",
        lambda d: d.update(language="en-US"),
        "language",
        "language",
        "'en_US' with an underscore",
    ),
    ("language not a code", lambda d: d.update(language="English"), "language", "language", "not a language code"),
    (
        "unknown category",
        lambda d: d.update(category="PROMO"),
        "category",
        "category",
        "MARKETING, UTILITY or AUTHENTICATION",
    ),
    (
        "unknown format",
        lambda d: d.update(parameter_format="numbers"),
        "parameter_format",
        "parameter_format",
        "POSITIONAL or NAMED",
    ),
    ("unknown field", lambda d: d.update(tags=["x"]), "unknown-field", "tags", "unknown field 'tags'"),
    ("no components", lambda d: d.update(components=[]), "components", "components", "at least a BODY"),
    ("no body", lambda d: d["components"].pop(1), "body-required", "components", "needs a BODY"),
    (
        "two bodies",
        lambda d: d["components"].insert(2, dict(body(d))),
        "component-duplicate",
        "components[2]",
        "a second BODY",
    ),
    (
        "footer before body",
        lambda d: d["components"].insert(0, d["components"].pop(2)),
        "component-order",
        "components[1]",
        "order the components HEADER, BODY, FOOTER, BUTTONS",
    ),
    (
        "unknown component",
        lambda d: d["components"].append({"type": "CAROUSEL"}),
        "component-type",
        "components[4].type",
        "one of HEADER, BODY, FOOTER, BUTTONS",
    ),
    (
        "placeholder gap",
        set_body("Hi {{1}}, your code is {{3}} today.", "a", "b"),
        "placeholder-gap",
        "components[1].text",
        "body uses {{3}} but no {{2}}: placeholders must be numbered 1, 2, 3",
    ),
    (
        "placeholder order",
        set_body("Hi {{2}}, your code is {{1}} today.", "a", "b"),
        "placeholder-order",
        "components[1].text",
        "{{2}} appears before {{1}}",
    ),
    (
        "placeholder from zero",
        set_body("Hi {{0}}, see you soon.", "a"),
        "placeholder-syntax",
        "components[1].text",
        "numbered from {{1}}",
    ),
    (
        "placeholder with spaces",
        set_body("Hi {{ 1 }}, see you soon.", "a"),
        "placeholder-syntax",
        "components[1].text",
        "write {{1}}",
    ),
    (
        "placeholder with special characters",
        set_body("Hi {{first-name}}, see you soon.", "a"),
        "placeholder-syntax",
        "components[1].text",
        "not a valid placeholder",
    ),
    (
        "unbalanced braces",
        set_body("Hi {{1}, see you soon.", "a"),
        "placeholder-braces",
        "components[1].text",
        "unbalanced braces",
    ),
    (
        "named in positional",
        set_body("Hi {{name}}, see you soon.", "a"),
        "parameter-format",
        "components[1].text",
        "set parameter_format: NAMED",
    ),
    (
        "starts with placeholder",
        set_body("{{1}} is your order number, thanks.", "a"),
        "placeholder-at-edge",
        "components[1].text",
        "starts with {{1}}",
    ),
    (
        "ends with placeholder",
        set_body("Thanks, your order number is {{1}}", "a"),
        "placeholder-at-edge",
        "components[1].text",
        "ends with {{1}}",
    ),
    (
        "adjacent placeholders",
        set_body("Hello {{1}}{{2}} and thanks for shopping.", "a", "b"),
        "placeholder-adjacent",
        "components[1].text",
        "side by side",
    ),
    (
        "example count",
        set_body("Hi {{1}}, order {{2}} has shipped.", "Pablo"),
        "example-count",
        "components[1].example.body_text[0]",
        "example has 1 value but the body has 2 placeholders",
    ),
    (
        "example missing",
        lambda d: body(d).pop("example"),
        "example-missing",
        "components[1].example",
        "the body has 2 placeholders ({{1}}, {{2}}) but no example",
    ),
    (
        "example flat list",
        lambda d: body(d).update(example={"body_text": ["Pablo", "1"]}),
        "example-shape",
        "components[1].example.body_text",
        "one list",
    ),
    (
        "example empty value",
        lambda d: body(d).update(example={"body_text": [["Pablo", " "]]}),
        "example-value",
        "components[1].example.body_text[0][1]",
        "empty",
    ),
    (
        "named examples in positional",
        lambda d: body(d).update(example={"body_text_named_params": []}),
        "example-format",
        "components[1].example.body_text_named_params",
        "example.body_text",
    ),
    (
        "body too long",
        lambda d: body(d).update(text="Hi {{1}}, order {{2}}. " + "x" * 1020),
        "text-length",
        "components[1].text",
        "at most 1,024",
    ),
    ("body empty", lambda d: body(d).update(text=""), "text-required", "components[1].text", "needs text"),
    (
        "header too long",
        lambda d: header(d).update(text="Order {{1}} " + "x" * 60),
        "text-length",
        "components[0].text",
        "at most 60",
    ),
    (
        "header two placeholders",
        lambda d: header(d).update(text="Order {{1}} of {{2}}"),
        "header-placeholders",
        "components[0].text",
        "at most 1 placeholder",
    ),
    (
        "header newline",
        lambda d: header(d).update(text="Order\n{{1}}"),
        "header-newline",
        "components[0].text",
        "one line",
    ),
    (
        "header format",
        lambda d: header(d).update(format="GIF"),
        "header-format",
        "components[0].format",
        "TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION",
    ),
    (
        "image header without handle",
        lambda d: d["components"].__setitem__(0, {"type": "HEADER", "format": "IMAGE"}),
        "example-missing",
        "components[0].example.header_handle",
        "Resumable Upload API",
    ),
    (
        "footer too long",
        lambda d: d["components"][2].update(text="x" * 61),
        "text-length",
        "components[2].text",
        "at most 60",
    ),
    (
        "footer placeholder",
        lambda d: d["components"][2].update(text="Ref {{1}} ok"),
        "footer-placeholder",
        "components[2].text",
        "footers can't hold placeholders",
    ),
    (
        "no buttons",
        lambda d: d["components"][3].update(buttons=[]),
        "buttons-required",
        "components[3].buttons",
        "needs a list of buttons",
    ),
    (
        "unknown button",
        lambda d: buttons(d).append({"type": "CALL_ME", "text": "x"}),
        "button-type",
        "components[3].buttons[2].type",
        "unknown button type",
    ),
    (
        "label too long",
        lambda d: buttons(d)[1].update(text="x" * 26),
        "button-text-length",
        "components[3].buttons[1].text",
        "at most 25",
    ),
    (
        "label missing",
        lambda d: buttons(d)[1].pop("text"),
        "button-text",
        "components[3].buttons[1].text",
        "needs a label",
    ),
    (
        "eleven quick replies",
        lambda d: buttons(d).extend({"type": "QUICK_REPLY", "text": f"r{i}"} for i in range(10)),
        "button-count",
        "components[3].buttons",
        "at most 10",
    ),
    (
        "three URL buttons",
        lambda d: buttons(d).extend([{"type": "URL", "text": f"u{i}", "url": "https://a.example"} for i in range(2)]),
        "button-count",
        "components[3].buttons",
        "3 URL buttons; a template has at most 2",
    ),
    (
        "two phone buttons",
        lambda d: buttons(d).extend(
            [{"type": "PHONE_NUMBER", "text": f"p{i}", "phone_number": "15550051310"} for i in range(2)]
        ),
        "button-count",
        "components[3].buttons",
        "PHONE_NUMBER buttons; a template has at most 1",
    ),
    (
        "quick replies split",
        lambda d: buttons(d).insert(0, {"type": "QUICK_REPLY", "text": "Yes"}),
        "quick-reply-grouping",
        "components[3].buttons[1]",
        "grouped together",
    ),
    (
        "URL placeholder not at end",
        lambda d: buttons(d)[0].update(url="https://shop.example/{{1}}/track"),
        "url-placeholder",
        "components[3].buttons[0].url",
        "very end of the URL",
    ),
    (
        "URL placeholder not {{1}}",
        lambda d: buttons(d)[0].update(url="https://shop.example/{{2}}"),
        "url-placeholder",
        "components[3].buttons[0].url",
        "always {{1}}",
    ),
    (
        "URL two placeholders",
        lambda d: buttons(d)[0].update(url="https://x.example/{{1}}/{{1}}"),
        "url-placeholder",
        "components[3].buttons[0].url",
        "one placeholder at most",
    ),
    (
        "URL without scheme",
        lambda d: buttons(d)[0].update(url="shop.example/{{1}}"),
        "url-scheme",
        "components[3].buttons[0].url",
        "https://",
    ),
    (
        "URL example missing",
        lambda d: buttons(d)[0].pop("example"),
        "example-missing",
        "components[3].buttons[0].example",
        "needs an example",
    ),
    (
        "URL too long",
        lambda d: buttons(d)[0].update(url="https://x.example/" + "a" * 2000),
        "url-length",
        "components[3].buttons[0].url",
        "at most 2,000",
    ),
    (
        "phone too long",
        lambda d: buttons(d).append({"type": "PHONE_NUMBER", "text": "Call", "phone_number": "1" * 21}),
        "phone-length",
        "components[3].buttons[2].phone_number",
        "at most 20",
    ),
    (
        "OTP outside authentication",
        lambda d: buttons(d).append({"type": "OTP", "otp_type": "COPY_CODE"}),
        "otp-category",
        "components[3].buttons[2]",
        "AUTHENTICATION",
    ),
    (
        "coupon outside marketing",
        lambda d: buttons(d).append({"type": "COPY_CODE", "example": "25OFF"}),
        "coupon-category",
        "components[3].buttons[2]",
        "MARKETING",
    ),
    (
        "security recommendation outside authentication",
        lambda d: body(d).update(add_security_recommendation=True),
        "auth-only",
        "components[1].add_security_recommendation",
        "AUTHENTICATION",
    ),
]


@pytest.mark.parametrize(("mutation", "rule", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_its_problem(mutation: Mutation, rule: str, path: str, fragment: str) -> None:
    definition = order_update()
    mutation(definition)
    found = [f for f in errors(definition) if f.rule == rule]
    assert found, f"expected {rule}; got {[str(f) for f in LINTER.lint(definition)]}"
    assert any(f.path == path and fragment in f.message for f in found), [str(f) for f in found]


def auth(**button: Any) -> dict[str, Any]:
    return {
        "name": "login_code",
        "language": "en_US",
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code", **button}]},
        ],
    }


def test_authentication_templates() -> None:
    assert LINTER.lint(auth()) == []
    with_text = auth()
    with_text["components"][0]["text"] = "Your code is {{1}}."
    assert "auth-body" in rules(with_text)
    long_expiry = auth()
    long_expiry["components"][1]["code_expiration_minutes"] = 91
    assert "auth-footer" in rules(long_expiry)
    with_header = auth()
    with_header["components"].insert(0, {"type": "HEADER", "format": "TEXT", "text": "Login"})
    assert "auth-header" in rules(with_header)
    assert "otp-app" in rules(auth(otp_type="ONE_TAP"))
    assert rules(auth(otp_type="ONE_TAP", package_name="com.example.app", signature_hash="K8a%2FAINcGX7")) == set()
    assert "otp-type" in rules(auth(otp_type="SMS"))
    no_buttons = auth()
    no_buttons["components"].pop()
    assert "otp-required" in rules(no_buttons)
    quick = auth()
    quick["components"][2]["buttons"].append({"type": "QUICK_REPLY", "text": "Not me"})
    assert "otp-only" in rules(quick)


def test_named_parameter_rules() -> None:
    named = order_update(parameter_format="NAMED")
    body(named)["text"] = "Hi {{1}}, thanks."
    assert "parameter-format" in rules(named)
    body(named)["text"] = "Hi {{first_name}}, order {{order_id}} shipped."
    body(named)["example"] = {"body_text_named_params": [{"param_name": "first_name", "example": "Pablo"},
                                                        {"param_name": "coupon", "example": "X"}]}  # fmt: skip
    found = [f for f in errors(named) if f.rule == "example-count"]
    messages = " / ".join(f.message for f in found)
    assert "no value for {{order_id}}" in messages and "names {{coupon}}, which the body does not use" in messages


def test_warnings_do_not_block() -> None:
    definition = order_update()
    body(definition)["text"] = "Hi {{1}} {{2}} ok now."
    body(definition)["example"] = {"body_text": [["a", "b"]]}
    findings = LINTER.lint(definition)
    assert "placeholder-adjacent" in {f.rule for f in findings}  # side by side (an error) …
    definition = order_update()
    header(definition)["text"] = "Order {{1}} *now*"
    findings = LINTER.lint(definition)
    assert [f.rule for f in findings] == ["header-formatting"] and not findings[0].is_error
    assert LINTER.require_clean(definition) == findings
    assert summary(findings) == "1 warning"


def test_require_clean_lists_every_error() -> None:
    definition = order_update(name="Bad Name", category="PROMO")
    with pytest.raises(TemplateLintFailed) as caught:
        LINTER.require_clean(definition)
    assert caught.value.exit_code == 3
    assert "has 2 lint errors; nothing was changed" in caught.value.message
    assert "  name: 'Bad Name' may hold only" in caught.value.message
    assert "  category: category must be" in caught.value.message
    assert len(caught.value.findings) == 2


def test_not_a_mapping() -> None:
    assert [f.rule for f in LINTER.lint(["name"])] == ["definition"]
    assert "component-type" in rules(order_update(components=["BODY"]))


def test_normalised_definition_matches_what_meta_returns() -> None:
    definition = order_update(category="utility")
    body(definition)["type"] = "body"
    body(definition)["example"] = {"body_text": [["Pablo", 860198]]}  # YAML reads numbers as numbers
    assert errors(definition) == []
    spec = TemplateDefinition.from_mapping(definition)
    assert spec.category == "UTILITY" and spec.parameter_format == "POSITIONAL"
    assert spec.components[1]["type"] == "BODY"
    assert spec.components[1]["example"] == {"body_text": [["Pablo", "860198"]]}
    assert spec.create_body()["parameter_format"] == "positional"


# -- properties ---------------------------------------------------------------------------------------------

WORDS = st.lists(st.sampled_from(["order", "ready", "thanks", "today", "pickup", "store"]), min_size=2, max_size=3)


def _body_with(numbers: list[int], words: list[list[str]]) -> str:
    parts = ["Hello"]
    for number, filler in zip(numbers, words, strict=False):
        parts.append(f"{{{{{number}}}}} {' '.join(filler)}")
    return " ".join(parts) + "."


@given(n=st.integers(1, 12), words=st.lists(WORDS, min_size=12, max_size=12))
def test_property_numbered_placeholders_with_matching_examples_pass(n: int, words: list[list[str]]) -> None:
    definition = order_update()
    body(definition)["text"] = _body_with(list(range(1, n + 1)), words)
    body(definition)["example"] = {"body_text": [[f"v{i}" for i in range(n)]]}
    assert errors(definition) == []


@given(n=st.integers(2, 12), data=st.data())
def test_property_a_gap_is_always_named(n: int, data: st.DataObject) -> None:
    missing = data.draw(st.integers(1, n - 1))
    numbers = [i for i in range(1, n + 1) if i != missing]
    definition = order_update()
    body(definition)["text"] = _body_with(numbers, [["thanks", "today"]] * n)
    body(definition)["example"] = {"body_text": [[f"v{i}" for i in numbers]]}
    gap = [f for f in errors(definition) if f.rule == "placeholder-gap"]
    assert len(gap) == 1 and f"uses {{{{{n}}}}} but no {{{{{missing}}}}}" in gap[0].message


@given(placeholders=st.integers(1, 8), values=st.integers(0, 10))
def test_property_example_count_must_match(placeholders: int, values: int) -> None:
    definition = order_update()
    body(definition)["text"] = _body_with(list(range(1, placeholders + 1)), [["thanks", "today"]] * placeholders)
    body(definition)["example"] = {"body_text": [[f"v{i}" for i in range(values)]]}
    counted = [f for f in errors(definition) if f.rule == "example-count"]
    assert bool(counted) == (values != placeholders)
