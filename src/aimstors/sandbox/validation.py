"""Request bodies checked against Meta's OpenAPI schemas, with the few deviations Meta's own examples need.

The schemas come from the shipped excerpt (:mod:`aimstors.sandbox.spec`). Before compiling, they are
prepared once per process:

* ``$ref`` is inlined and ``allOf`` of plain object schemas is merged into one object. Meta writes each
  message type as ``allOf: [BaseMessageProperties, {additionalProperties: false, ...}]``, which under JSON
  Schema rejects every message (the base properties count as "additional" in the second branch); merged, the
  ``additionalProperties: false`` closes the union as intended. Inlining also makes validation ~4x faster.
* ``discriminator`` is an OpenAPI annotation with no JSON Schema meaning; the sandbox dispatches on ``type``
  itself, so errors name the message type's own schema instead of eleven ``oneOf`` branches.

Deviations (:data:`PATCHES`), each because Meta's spec is narrower than what Meta accepts and documents:

* ``biz_opaque_callback_data`` (string, at most 512 characters) on every message: documented, missing from
  the spec.
* ``type`` and ``recipient_type`` are optional: Meta defaults them (``text`` / the type key present, and
  ``individual``); the spec's own examples omit them.
* ``language.policy`` is optional: the spec requires it, but its examples omit it.
* Template button ``index`` is ``"0"``…``"9"`` or 0…9 (the spec's pattern ``^[2-6, 11-14]$`` rejects its own
  examples), ``sub_type`` any documented button kind in either case (examples use ``CATALOG``, ``flow``).
* Location ``latitude``/``longitude`` may be numbers (the spec says string; its examples send numbers).
* Interactive ``type`` also allows the documented ``order_details``, ``order_status``, ``cta_url``,
  ``location_request_message``, ``address_message``, ``voice_call``, and ``action`` their named actions
  (``review_and_pay``, ``review_order``, ``cta_url``, …), which the spec's examples use but its schema lacks.
* Mark-as-read/typing bodies (``{"status": "read", "message_id", "typing_indicator"?}``) share the endpoint
  but have no schema in the spec; :data:`MARK_READ_SCHEMA` is written from Meta's documentation and example.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import msgspec
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.spec import load_excerpt

__all__ = [
    "MARK_READ_SCHEMA",
    "MESSAGE_TYPES",
    "PATCHES",
    "message_type",
    "operation_schema",
    "validate_message",
    "validate_operation",
]

_ANNOTATIONS = frozenset({"example", "examples", "description", "discriminator", "summary"})

MARK_READ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["messaging_product", "status", "message_id"],
    "additionalProperties": False,
    "properties": {
        "messaging_product": {"type": "string", "enum": ["whatsapp"]},
        "status": {"type": "string", "enum": ["read"]},
        "message_id": {"type": "string", "minLength": 1},
        "typing_indicator": {
            "type": "object",
            "required": ["type"],
            "additionalProperties": False,
            "properties": {"type": {"type": "string", "enum": ["text"]}},
        },
    },
}

_BUTTON_SUB_TYPES = "quick_reply|url|catalog|flow|mpm|copy_code|voice_call|order_details"


def _patch_base(schemas: dict[str, Any]) -> None:
    base = schemas["BaseMessageProperties"]
    base["properties"]["biz_opaque_callback_data"] = {"type": "string", "maxLength": 512}
    base["required"] = ["messaging_product", "to"]


def _patch_language(schemas: dict[str, Any]) -> None:
    schemas["LanguageObject"]["required"] = ["code"]


def _patch_template_component(schemas: dict[str, Any]) -> None:
    props = schemas["TemplateComponent"]["properties"]
    props["index"] = {
        "anyOf": [{"type": "string", "pattern": "^[0-9]$"}, {"type": "integer", "minimum": 0, "maximum": 9}]
    }
    props["sub_type"] = {"type": "string", "pattern": f"(?i)^({_BUTTON_SUB_TYPES})$"}


def _patch_location(schemas: dict[str, Any]) -> None:
    location = schemas["LocationMessage"]["allOf"][1]["properties"]["location"]["properties"]
    for key in ("latitude", "longitude"):
        location[key] = {"type": ["number", "string"]}


def _patch_interactive(schemas: dict[str, Any]) -> None:
    enum = schemas["InteractiveObject"]["properties"]["type"]["enum"]
    enum.extend(
        ["order_details", "order_status", "cta_url", "location_request_message", "address_message", "voice_call"]
    )
    schemas["ActionObject"]["oneOf"].append(
        {
            "required": ["name"],
            "properties": {
                "name": {
                    "enum": [
                        "review_and_pay",
                        "review_order",
                        "cta_url",
                        "send_location",
                        "address_message",
                        "voice_call",
                    ]
                },
                "parameters": {"type": "object"},
            },
        }
    )


PATCHES: tuple[Callable[[dict[str, Any]], None], ...] = (
    _patch_base,
    _patch_language,
    _patch_template_component,
    _patch_location,
    _patch_interactive,
)


def _inline(node: Any, schemas: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[1]
            if name in seen:  # no recursive schema among the implemented operations; keep the guard
                raise ValueError(f"recursive schema {name}")
            out = _inline(schemas[name], schemas, (*seen, name))
            extra = {k: _inline(v, schemas, seen) for k, v in node.items() if k != "$ref" and k not in _ANNOTATIONS}
            return {**out, **extra}
        return {k: _inline(v, schemas, seen) for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [_inline(v, schemas, seen) for v in node]
    return node


_MERGEABLE = frozenset({"type", "properties", "required", "additionalProperties"})


def _merge_all_of(node: Any) -> Any:
    if isinstance(node, list):
        return [_merge_all_of(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _merge_all_of(v) for k, v in node.items()}
    parts = node.get("allOf")
    if isinstance(parts, list) and all(isinstance(p, dict) and set(p) <= _MERGEABLE for p in parts):
        properties: dict[str, Any] = {}
        required: list[str] = []
        closed = False
        for part in parts:
            properties.update(part.get("properties", {}))
            required.extend(r for r in part.get("required", []) if r not in required)
            closed = closed or part.get("additionalProperties") is False
        del node["allOf"]
        node.update(type="object", properties=properties, required=required)
        if closed:
            node["additionalProperties"] = False
    return node


@cache
def _prepared_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = copy.deepcopy(load_excerpt()["schemas"])
    for patch in PATCHES:
        patch(schemas)
    return schemas


def _prepare(schema: Any) -> dict[str, Any]:
    prepared: dict[str, Any] = _merge_all_of(_inline(schema, _prepared_schemas()))
    return prepared


@cache
def _message_validators() -> dict[str, Draft202012Validator]:
    mapping: dict[str, str] = _prepared_schemas()["Message"]["discriminator"]["mapping"]
    return {kind: Draft202012Validator(_prepare({"$ref": ref})) for kind, ref in mapping.items()}


MESSAGE_TYPES: tuple[str, ...] = (
    "text",
    "audio",
    "document",
    "image",
    "location",
    "video",
    "sticker",
    "reaction",
    "interactive",
    "template",
    "contacts",
)


@cache
def _mark_read_validator() -> Draft202012Validator:
    return Draft202012Validator(MARK_READ_SCHEMA)


def operation_schema(operation: str, media_type: str = "application/json") -> dict[str, Any]:
    """The prepared request schema of one operation in :data:`aimstors.sandbox.spec.OPERATIONS`."""
    content = load_excerpt()["operations"][operation]["content"]
    return _prepare(content[media_type]["schema"])


@cache
def _operation_validator(operation: str) -> Draft202012Validator:
    return Draft202012Validator(operation_schema(operation))


def _path(error: ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f"['{part}']" if out else str(part))
    return out


def _raise_first(validator: Draft202012Validator, body: Any, prefix: str = "") -> None:
    errors = sorted(validator.iter_errors(body), key=lambda e: (len(e.absolute_path), e.message))
    if not errors:
        return
    first = errors[0]
    where = _path(first)
    location = f"{prefix}{where}" if where else (prefix or "body")
    raise GraphError(100, f"Param {location}: {first.message[:300]}")


def message_type(body: dict[str, Any]) -> str:
    """The message ``type``: as given, else the one type key present (Meta defaults a bare body to text)."""
    kind = body.get("type")
    if isinstance(kind, str):
        return kind
    present = [t for t in MESSAGE_TYPES if t in body]
    return present[0] if len(present) == 1 else "text"


def validate_message(body: Any) -> str:
    """Check a ``POST /{phone_number_id}/messages`` body; return its kind (a message type or ``"read"``).

    Raises :class:`GraphError` 100 naming the first offending parameter.
    """
    if not isinstance(body, dict):
        raise GraphError(100, "The request body must be a JSON object.")
    if "status" in body and "to" not in body:
        validator = _mark_read_validator()
        if not validator.is_valid(body):
            _raise_first(validator, body)
        return "read"
    kind = message_type(body)
    validators = _message_validators()
    if kind not in validators:
        raise GraphError(100, f"Param type: unsupported message type {kind!r}")
    validator = validators[kind]
    key = _shape_key(_schema_of(kind), body)
    if key in _valid_shapes:
        return kind
    if not validator.is_valid(body):  # the fast path; collect errors only for bad bodies
        _raise_first(validator, body)
    if len(_valid_shapes) >= _CACHE_SIZE:
        _valid_shapes.pop(next(iter(_valid_shapes)))
    _valid_shapes[key] = kind
    return kind


# Bodies already found valid, by *shape*. A body's shape replaces every value whose validity its schema decides
# from the value alone and trivially (a string with only a type and length bounds, a boolean, a number, an array
# with no item schema) by a marker when the value passes, and keeps everything else. Objects and arrays of plain
# schemas keep their keys and lengths, so ``required``/``additionalProperties``/item counts see the same thing.
# Two bodies with one shape are both valid or both invalid, so a valid shape never needs validating again: a
# campaign to thousands of users (another ``to``, name, callback data each) is validated once, not thousands of
# times (jsonschema: ~50-100 µs a template send; the shape: a few µs).
_CACHE_SIZE = 4096
_valid_shapes: dict[bytes, str] = {}
_key_encoder = msgspec.json.Encoder()
_PASSED = "\x00"  # marks a value that passed; raw strings are prefixed with \x01, so never equal it
_STRING_KEYS = frozenset({"type", "minLength", "maxLength"})
_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems"})


def _raw(value: Any) -> Any:
    if isinstance(value, str):
        return "\x01" + value
    if isinstance(value, dict):
        return {k: _raw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_raw(v) for v in value]
    return value


def _shape(schema: dict[str, Any], value: Any) -> Any:
    kind = schema.get("type")
    keys = schema.keys()
    if kind == "string" and keys <= _STRING_KEYS:
        if isinstance(value, str) and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return _PASSED
    elif kind == "boolean" and len(keys) == 1:
        if isinstance(value, bool):
            return _PASSED
    elif kind in ("number", "integer") and len(keys) == 1:
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and (kind == "number" or isinstance(value, int))
        ):
            return _PASSED
    elif kind == "array" and len(keys) == 1:
        if isinstance(value, list):
            return _PASSED
    elif kind == "object" and keys <= _OBJECT_KEYS and isinstance(value, dict):
        if isinstance(schema.get("additionalProperties", True), bool):
            properties = schema.get("properties", {})
            return {k: _shape(properties[k], v) if k in properties else _raw(v) for k, v in value.items()}
    elif kind == "array" and keys <= _ARRAY_KEYS and isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_shape(schema["items"], v) for v in value]
    return _raw(value)


def _schema_of(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = _message_validators()[kind].schema  # type: ignore[assignment]
    return schema


def _shape_key(schema: dict[str, Any], body: dict[str, Any]) -> bytes:
    return _key_encoder.encode(_shape(schema, body))


def validate_operation(operation: str, body: Any) -> None:
    """Check a JSON request body of another implemented operation (register, templates, subscribed_apps)."""
    validator = _operation_validator(operation)
    if not validator.is_valid(body):
        _raise_first(validator, body)
