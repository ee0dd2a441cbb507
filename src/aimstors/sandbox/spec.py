"""Meta's OpenAPI request schemas for the endpoints the sandbox implements, shipped with the package.

``spec/graph_requests.json`` is an unmodified excerpt of Meta's ``business-messaging-api_v23.0.yaml`` (MIT, see
``spec/LICENSE.facebook-openapi``): for each implemented operation its request-body schemas and examples, plus
every component schema they reference. The excerpt keeps the package free of the 1 MB YAML and of PyYAML at
run time; the deviations the sandbox needs (Meta's spec contradicts its own examples in places) are applied on
load, in :mod:`aimstors.sandbox.validation`, where each one is listed with its reason.

Regenerate after a spec update::

    python -m aimstors.sandbox.spec ../shared/reference/business-messaging-api_v23.0.yaml
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["EXCERPT_FILE", "OPERATIONS", "extract", "load_excerpt"]

EXCERPT_FILE = Path(__file__).with_name("spec") / "graph_requests.json"

# operation name -> (HTTP method, path in Meta's spec)
OPERATIONS: dict[str, tuple[str, str]] = {
    "send_message": ("post", "/{Version}/{Phone-Number-ID}/messages"),
    "upload_media": ("post", "/{Version}/{Phone-Number-ID}/media"),
    "create_template": ("post", "/{Version}/{WABA-ID}/message_templates"),
    "edit_template": ("post", "/{Version}/{TEMPLATE_ID}"),
    "register": ("post", "/{Version}/{Phone-Number-ID}/register"),
    "subscribe_app": ("post", "/{Version}/{WABA-ID}/subscribed_apps"),
}

_REF_PREFIX = "#/components/schemas/"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            yield ref.removeprefix(_REF_PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def extract(spec: Mapping[str, Any], *, source_sha256: str = "") -> dict[str, Any]:
    """The excerpt of ``spec`` (a parsed OpenAPI document) that the sandbox ships."""
    all_schemas: Mapping[str, Any] = spec["components"]["schemas"]
    operations: dict[str, Any] = {}
    wanted: set[str] = set()
    for name, (method, path) in OPERATIONS.items():
        operation = spec["paths"][path][method]
        content = operation.get("requestBody", {}).get("content", {})
        operations[name] = {"method": method, "path": path, "content": content}
        wanted.update(_refs(content))
    schemas: dict[str, Any] = {}
    todo = sorted(wanted)
    while todo:
        name = todo.pop()
        if name in schemas:
            continue
        schemas[name] = all_schemas[name]
        todo.extend(ref for ref in _refs(schemas[name]) if ref not in schemas)
    return {
        "source": {
            "file": "business-messaging-api_v23.0.yaml",
            "sha256": source_sha256,
            "openapi": spec.get("openapi"),
            "version": spec.get("info", {}).get("version"),
        },
        "operations": operations,
        "schemas": dict(sorted(schemas.items())),
    }


@cache
def load_excerpt() -> dict[str, Any]:
    """The shipped excerpt (parsed once per process)."""
    data: dict[str, Any] = json.loads(EXCERPT_FILE.read_text(encoding="utf-8"))
    return data


def main(argv: list[str] | None = None) -> int:
    import yaml  # only needed to regenerate; not a runtime dependency

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m aimstors.sandbox.spec PATH/business-messaging-api_v23.0.yaml", file=sys.stderr)
        return 2
    raw = Path(args[0]).read_bytes()
    spec = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    excerpt = extract(spec, source_sha256=hashlib.sha256(raw).hexdigest())
    EXCERPT_FILE.write_text(json.dumps(excerpt, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {EXCERPT_FILE} ({len(excerpt['schemas'])} schemas)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
