"""Template definitions: reading them from JSON or YAML, finding their placeholders, normalising them for Meta.

A definition is what Meta's create endpoint takes, written by a person::

    name: order_update                # lowercase letters, digits, _
    language: en_US
    category: UTILITY                 # MARKETING | UTILITY | AUTHENTICATION
    parameter_format: POSITIONAL      # or NAMED; POSITIONAL when left out
    components:
      - type: BODY
        text: "Hi {{1}}, order {{2}} has shipped."
        example: {body_text: [["Pablo", "860198-230332"]]}

:func:`read_definition_file` gives the raw mapping (the linter checks it as written, so it can name each field);
:meth:`TemplateDefinition.from_mapping` normalises a definition that passed lint: types, formats and the category
upper-cased as Meta returns them, numbers in examples turned into strings (YAML reads ``25`` as a number).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimstors.core.errors import InvalidInput

__all__ = [
    "CATEGORIES",
    "COMPONENT_ORDER",
    "MAX_FILE_BYTES",
    "PARAMETER_FORMATS",
    "PlaceholderToken",
    "TemplateDefinition",
    "definition_mapping",
    "placeholder_keys",
    "read_definition_file",
    "scan_placeholders",
]

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
PARAMETER_FORMATS = ("POSITIONAL", "NAMED")
COMPONENT_ORDER = ("HEADER", "BODY", "FOOTER", "BUTTONS")
MAX_FILE_BYTES = 1_000_000

_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_POSITIONAL = re.compile(r"[1-9][0-9]*")
_NAMED = re.compile(r"[a-z][a-z0-9_]*")
# Keys whose string values name a kind (upper-cased on normalisation, as Meta returns them).
_UPPER_KEYS = ("type", "format", "otp_type")


@dataclass(frozen=True, slots=True)
class PlaceholderToken:
    """One ``{{…}}`` in a text: ``inner`` as written, its span, and whether it is a valid placeholder."""

    inner: str
    start: int
    end: int

    @property
    def is_positional(self) -> bool:
        return bool(_POSITIONAL.fullmatch(self.inner))

    @property
    def is_named(self) -> bool:
        return bool(_NAMED.fullmatch(self.inner))

    @property
    def is_valid(self) -> bool:
        return self.is_positional or self.is_named

    @property
    def text(self) -> str:
        return "{{" + self.inner + "}}"


def scan_placeholders(text: str) -> list[PlaceholderToken]:
    """Every ``{{…}}`` in ``text``, valid or not, in order."""
    return [PlaceholderToken(m.group(1), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def placeholder_keys(text: str | None) -> list[str]:
    """The valid placeholders of ``text`` (``"1"``, ``"first_name"``) in order of first appearance, once each."""
    keys: list[str] = []
    for token in scan_placeholders(text or ""):
        if token.is_valid and token.inner not in keys:
            keys.append(token.inner)
    return keys


def read_definition_file(path: Path | str) -> dict[str, Any]:
    """The raw definition in a ``.json``, ``.yaml`` or ``.yml`` file (other names: JSON, then YAML, is tried).

    InvalidInput names the file and, for a syntax error, the line; nothing is checked beyond the syntax here.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput(f"{path}: a template definition is at most {MAX_FILE_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = _parse_json(path, text)
    elif suffix in {".yaml", ".yml"}:
        data = _parse_yaml(path, text)
    else:
        try:
            data = json.loads(text)
        except ValueError:
            data = _parse_yaml(path, text)
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{path}: a template definition is one mapping (name, language, category, components), "
            f"not a {type(data).__name__}"
        )
    return data


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml  # only when a YAML file is read

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader (the C one when available)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidInput(f"{path}: invalid YAML{where}: {problem}") from None


def _normalise(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _normalise(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v, key) for v in value]
    if isinstance(value, str) and key in _UPPER_KEYS:
        return value.upper()
    return value


@dataclass(frozen=True, slots=True)
class TemplateDefinition:
    """A definition that passed lint, normalised: what is stored locally and submitted to Meta."""

    name: str
    language: str
    category: str
    parameter_format: str
    components: tuple[dict[str, Any], ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TemplateDefinition:
        """Normalise a linted definition (call :class:`~aimstors.core.templates.lint.TemplateLinter` first)."""
        components = _normalise(list(data.get("components") or []))
        return cls(
            name=str(data["name"]),
            language=str(data["language"]),
            category=str(data["category"]).upper(),
            parameter_format=str(data.get("parameter_format") or "POSITIONAL").upper(),
            components=tuple(_example_strings(c) for c in components),
        )

    def create_body(self) -> dict[str, Any]:
        """The arguments of Meta's create call (``parameter_format`` in Meta's lower case)."""
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "components": [dict(c) for c in self.components],
            "parameter_format": self.parameter_format.lower(),
        }


def _example_strings(component: dict[str, Any]) -> dict[str, Any]:
    """Example values and phone numbers as strings, however the file spelled them (YAML reads ``25`` as a number)."""
    example = component.get("example")
    if isinstance(example, dict):
        for key in ("body_text_named_params", "header_text_named_params"):
            for item in example.get(key) or []:
                if isinstance(item, dict) and isinstance(item.get("example"), int | float):
                    item["example"] = str(item["example"])
        body = example.get("body_text")
        if isinstance(body, list):
            example["body_text"] = [[_scalar(v) for v in row] if isinstance(row, list) else row for row in body]
        if isinstance(example.get("header_text"), list):
            example["header_text"] = [_scalar(v) for v in example["header_text"]]
    for button in component.get("buttons") or []:
        if isinstance(button, dict) and "phone_number" in button:
            button["phone_number"] = _scalar(button["phone_number"])
        if isinstance(button, dict) and isinstance(button.get("example"), list):
            button["example"] = [_scalar(v) for v in button["example"]]
        elif isinstance(button, dict) and isinstance(button.get("example"), int | float):
            button["example"] = _scalar(button["example"])
    return component


def _scalar(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def definition_mapping(
    *, name: str, language: str, category: str, parameter_format: str, components: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """A stored template (a ``templates`` row's columns) as a definition the linter can check again."""
    return {
        "name": name,
        "language": language,
        "category": category,
        "parameter_format": parameter_format,
        "components": [dict(c) for c in components],
    }
