"""Fixtures for the WhatsApp channel: Meta's OpenAPI spec as a validator, recorded webhook payloads.

Meta's spec (``../shared/reference/business-messaging-api_v23.0.yaml``, OpenAPI 3.1 = JSON Schema 2020-12)
cannot validate its own send-message examples as written. :data:`SPEC_ERRATA` lists each correction applied
before validating, with the reason; each one keeps the schema strict (unknown fields still fail) and is
checked by ``test_spec_examples_validate_after_errata``:

1. ``allOf: [BaseMessageProperties, {additionalProperties: false, ...}]`` rejects the base properties
   (``to``, ``messaging_product``…) as "additional" in 2020-12; the intent is ``unevaluatedProperties: false``
   on the whole message, which is what we apply.
2. ``biz_opaque_callback_data`` is missing from the message schemas (reference §2.6: a documented top-level
   send field since 2023, max 512); the spec's own definition of it on the Calling request is added to
   ``BaseMessageProperties``.
3. ``LocationMessage.location.latitude/longitude`` are typed ``string`` while the spec's examples and Meta's
   docs send numbers: numbers are accepted too.
4. Template button ``index`` has pattern ``^[2-6, 11-14]$`` (one character out of a garbled class) while its
   own description says "Position index of the button (0-9)" and every example sends ``"0"``: ``^[0-9]$``.
5. ``discriminator`` mappings (template components, parameters, button parameters) are honoured, so each
   component/parameter is checked against its specific schema (JSON Schema ignores ``discriminator``).
6. The read receipt ("Send typing indicator and read receipt", one of the endpoint's own examples) has no
   schema; one is written from that example and reference §2.4 and the request body is
   ``oneOf: [Message, MarkReadRequest]``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SPEC_PATH = REPO / "tests" / "data" / "meta" / "business-messaging-api_v23.0.yaml"
WEBHOOKS = REPO / "tests" / "data" / "webhooks"
SEND_PATH = "/{Version}/{Phone-Number-ID}/messages"

SPEC_ERRATA = (
    "allOf+additionalProperties:false -> unevaluatedProperties:false",
    "biz_opaque_callback_data added to BaseMessageProperties (from the spec's Calling schema)",
    "location latitude/longitude accept numbers",
    "template button index pattern ^[0-9]$",
    "discriminator mappings honoured",
    "MarkReadRequest schema for the read receipt / typing indicator",
)


@cache
def load_spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Meta's OpenAPI spec is required under CI: {SPEC_PATH}")
        pytest.skip(f"Meta's OpenAPI spec not found at {SPEC_PATH}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)
    return spec


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def apply_errata(spec: dict[str, Any]) -> dict[str, Any]:
    """A corrected copy of ``spec`` (see the module docstring); the original is left untouched."""
    spec = copy.deepcopy(spec)
    schemas: dict[str, Any] = spec["components"]["schemas"]

    # 1. allOf branches with additionalProperties:false → unevaluatedProperties:false on the parent.
    for schema in schemas.values():
        branches = schema.get("allOf") if isinstance(schema, dict) else None
        for branch in branches or []:
            if isinstance(branch, dict) and branch.get("additionalProperties") is False:
                del branch["additionalProperties"]
                schema["unevaluatedProperties"] = False

    # 2. biz_opaque_callback_data, as the spec defines it for calls.
    calls = spec["paths"]["/{Version}/{Phone-Number-ID}/calls"]["post"]["requestBody"]["content"]
    call_schema = calls["application/json"]["schema"]
    call_schema = _resolve(spec, call_schema)
    callback = _find_property(spec, call_schema, "biz_opaque_callback_data")
    assert callback == {**callback, "type": "string", "maxLength": 512}, callback
    schemas["BaseMessageProperties"]["properties"]["biz_opaque_callback_data"] = callback

    # 3. Coordinates as numbers.
    location = schemas["LocationMessage"]["allOf"][1]["properties"]["location"]["properties"]
    for axis in ("latitude", "longitude"):
        location[axis]["type"] = ["number", "string"]

    # 4. Button index 0-9.
    for name in ("TemplateComponent", "ButtonComponent"):
        target = schemas[name] if name == "TemplateComponent" else schemas[name]["allOf"][1]
        target["properties"]["index"]["pattern"] = "^[0-9]$"

    # 5. Discriminators: refs to the base are replaced by a oneOf over the mapped schemas.
    for base in ("TemplateComponent", "ParameterObject", "ButtonParameterObject"):
        mapping = schemas[base]["discriminator"]["mapping"]
        schemas[f"{base}Dispatch"] = {"oneOf": [{"$ref": target} for target in mapping.values()]}
    schemas["TemplateObject"]["properties"]["components"]["items"] = _ref("TemplateComponentDispatch")
    for component, base in (
        ("HeaderComponent", "ParameterObject"),
        ("BodyComponent", "ParameterObject"),
        ("ButtonComponent", "ButtonParameterObject"),
    ):
        schemas[component]["allOf"][1]["properties"]["parameters"]["items"] = _ref(f"{base}Dispatch")

    # 6. The read receipt.
    schemas["MarkReadRequest"] = {
        "type": "object",
        "required": ["messaging_product", "status", "message_id"],
        "additionalProperties": False,
        "properties": {
            "messaging_product": {"const": "whatsapp"},
            "status": {"const": "read"},
            "message_id": {"type": "string", "minLength": 1},
            "typing_indicator": {
                "type": "object",
                "required": ["type"],
                "additionalProperties": False,
                "properties": {"type": {"enum": ["text"]}},
            },
        },
    }
    schemas["SendMessageRequest"] = {"oneOf": [_ref("Message"), _ref("MarkReadRequest")]}
    return spec


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node_path(node["$ref"]):
            target = target[part]
        node = target
    return node


def node_path(ref: str) -> list[str]:
    return ref.removeprefix("#/").split("/")


def _find_property(spec: dict[str, Any], schema: Any, name: str) -> dict[str, Any]:
    """Depth-first search for property ``name`` below ``schema``, following local refs."""
    stack = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                target: Any = spec
                for part in node_path(node["$ref"]):
                    target = target[part]
                if id(target) not in seen:
                    seen.add(id(target))
                    stack.append(target)
                continue
            props = node.get("properties")
            if isinstance(props, dict) and name in props:
                return dict(props[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise LookupError(name)


@cache
def _validator_for(schema_name: str, corrected: bool) -> Any:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = apply_errata(load_spec()) if corrected else load_spec()
    registry = Registry().with_resource("urn:meta-spec", Resource.from_contents(spec, DRAFT202012))
    schema = {"$ref": f"urn:meta-spec#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def schema_errors(body: Any, *, schema: str = "SendMessageRequest", corrected: bool = True) -> list[str]:
    """Messages of every validation error of ``body`` against ``schema`` (empty when valid)."""
    import jsonschema

    validator = _validator_for(schema, corrected)
    errors = list(validator.iter_errors(body))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    path = "/".join(str(p) for p in best.absolute_path)
    return [f"{path or '<body>'}: {best.message}"]


def send_examples() -> dict[str, Any]:
    """The request examples Meta gives for ``POST /{Phone-Number-ID}/messages``."""
    content = load_spec()["paths"][SEND_PATH]["post"]["requestBody"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


def webhook_examples() -> dict[str, Any]:
    """The webhook payload examples of ``POST /whatsapp/webhooks`` in Meta's spec."""
    content = load_spec()["paths"]["/whatsapp/webhooks"]["post"]["requestBody"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


@pytest.fixture
def validate_send() -> Callable[..., list[str]]:
    """``validate_send(body)`` → validation errors of a send-message body against Meta's corrected spec."""
    return schema_errors


@pytest.fixture
def webhook_payload() -> Callable[[str], dict[str, Any]]:
    """Load ``tests/data/webhooks/<name>.json``."""

    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((WEBHOOKS / f"{name}.json").read_text(encoding="utf-8"))
        return data

    return load


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over every recorded payload (``recorded_webhook``) and over Meta's own examples
    (``spec_send_example``, ``spec_webhook_example``), by name. Without the spec (outside CI) the example
    tests get an empty parameter set, which pytest reports as skipped."""
    if "recorded_webhook" in metafunc.fixturenames:
        paths = sorted(WEBHOOKS.glob("*.json"))
        metafunc.parametrize("recorded_webhook", paths, ids=[p.stem for p in paths])
    for name, examples in (("spec_send_example", send_examples), ("spec_webhook_example", webhook_examples)):
        if name in metafunc.fixturenames:
            found = examples() if SPEC_PATH.exists() or os.environ.get("CI") else {}
            metafunc.parametrize(name, [(key, found[key]) for key in sorted(found)], ids=sorted(found))
