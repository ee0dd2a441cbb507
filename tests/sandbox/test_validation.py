"""Request validation: the shipped excerpt is Meta's spec, and the shape cache never changes a verdict."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimstors.sandbox import validation
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.spec import extract, load_excerpt

SPEC = Path(__file__).resolve().parents[1] / "data" / "meta" / "business-messaging-api_v23.0.yaml"
SEND_EXAMPLES = [
    e["value"]
    for e in load_excerpt()["operations"]["send_message"]["content"]["application/json"]["examples"].values()
    if "status" not in e["value"]
]


@pytest.mark.skipif(not SPEC.exists(), reason="Meta's spec is not beside the repository")
def test_the_excerpt_is_an_unmodified_part_of_metas_spec() -> None:
    yaml = pytest.importorskip("yaml")
    raw = SPEC.read_bytes()
    spec = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert extract(spec, source_sha256=hashlib.sha256(raw).hexdigest()) == load_excerpt()


def verdict(body: Any) -> str | None:
    try:
        return validation.validate_message(body)
    except GraphError as exc:
        return f"error {exc.code}"


def fresh_verdict(body: Any) -> str | None:
    saved = dict(validation._valid_shapes)
    validation._valid_shapes.clear()
    try:
        return verdict(body)
    finally:
        validation._valid_shapes.clear()
        validation._valid_shapes.update(saved)


leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.just("x" * 600),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(paths(value, (*prefix, index)))
    return out


def mutate(body: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    body = copy.deepcopy(body)
    if not path:
        return value
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "extra" and isinstance(parent, dict):
        parent["unexpected_" + str(last)] = value
    else:
        parent[last] = value
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_shape_cache_never_changes_a_verdict(data: st.DataObject) -> None:
    example = data.draw(st.sampled_from(SEND_EXAMPLES))
    verdict(example)  # warm the cache with the valid shape
    path = data.draw(st.sampled_from(paths(example)))
    body = mutate(example, path, data.draw(st.sampled_from(["set", "delete", "extra"])), data.draw(leaf))
    cached = verdict(body)
    assert cached == fresh_verdict(body), json.dumps(body)[:300]


def test_per_recipient_values_share_one_shape() -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "+1 555 000 1111",
        "type": "template",
        "biz_opaque_callback_data": "a-1",
        "template": {
            "name": "t",
            "language": {"code": "en"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
        },
    }
    other = json.loads(json.dumps(body).replace("Ana", "Bo").replace("a-1", "b-2").replace("1111", "2222"))
    schema = validation._schema_of("template")
    assert validation._shape_key(schema, body) == validation._shape_key(schema, other)
    long_callback = dict(body, biz_opaque_callback_data="x" * 513)
    assert validation._shape_key(schema, long_callback) != validation._shape_key(schema, body)
    assert verdict(long_callback) == "error 100"
