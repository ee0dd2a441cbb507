"""Template parameters of a campaign: which placeholder gets what, per recipient.

A mapping names each placeholder of the template and where its value comes from::

    1=attr.first_name|there      body {{1}}: the contact's attribute, or "there" when it has none
    first_name=contact.name      body {{first_name}} (named parameters): the contact's WhatsApp profile name
    header.1=literal:Summer sale header {{1}}: fixed text
    button.0=attr.coupon         the dynamic suffix of URL button 0
    header=literal:https://…/a.jpg   the media of an IMAGE/VIDEO/DOCUMENT header, by link

Sources: ``attr.NAME`` (contact attribute), ``contact.name`` (profile name), ``contact.phone`` (+digits),
``literal:TEXT``; ``|FALLBACK`` after an attribute or the name is used when the contact has none. The mapping must
cover every placeholder of the template and nothing else (:func:`compile_mapping`). Values are rendered once per
recipient when the campaign starts (:meth:`Mapping.render`) and stored with the recipient, so what is sent is
what the plan promised; :meth:`TemplateShape.message` builds the Cloud API body from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aimstors.core.channel import OutgoingMessage
from aimstors.core.channel.template_message import MediaParam, Template, TemplateButton, TextParam, UrlButton
from aimstors.core.errors import InvalidInput

__all__ = [
    "ParameterMap",
    "Source",
    "TemplateShape",
    "compile_mapping",
    "parse_assignments",
    "restore",
    "template_shape",
]

_PLACEHOLDER: Final = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_KEY: Final = re.compile(r"(?:(body|header)\.)?([A-Za-z0-9_]+)|header|button\.([0-9])")
_ATTR: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MEDIA: Final = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}
MAX_VALUE: Final = 1024


def _placeholders(text: str | None) -> list[str]:
    seen: list[str] = []
    for name in _PLACEHOLDER.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


@dataclass(frozen=True, slots=True)
class TemplateShape:
    """The slots of a template that need a value: ``body.<p>``, ``header.<p>``, ``header`` (media), ``button.<i>``."""

    name: str
    language: str
    named: bool
    body: tuple[str, ...]
    header: tuple[str, ...]
    header_media: str | None  # image | video | document
    buttons: tuple[int, ...]  # indexes of URL buttons with a dynamic suffix

    @property
    def slots(self) -> list[str]:
        keys = [f"header.{p}" for p in self.header] + (["header"] if self.header_media else [])
        keys += [f"body.{p}" for p in self.body] + [f"button.{i}" for i in self.buttons]
        return keys

    def message(self, wa_id: str, values: Mapping[str, str], callback_data: str) -> OutgoingMessage:
        """The send of this template to ``wa_id`` with a recipient's rendered ``values``."""
        named = self.named
        header: MediaParam | tuple[TextParam, ...] | None = None
        if self.header_media is not None:
            kind = self.header_media
            header = MediaParam(kind, link=values["header"])  # type: ignore[arg-type]
        elif self.header:
            header = tuple(TextParam(values[f"header.{p}"], name=p if named else None) for p in self.header)
        body = tuple(TextParam(values[f"body.{p}"], name=p if named else None) for p in self.body)
        buttons: tuple[TemplateButton, ...] = tuple(UrlButton(i, values[f"button.{i}"]) for i in self.buttons)
        content = Template(self.name, self.language, header=header, body=body, buttons=buttons)
        return OutgoingMessage(to=f"+{wa_id}", content=content, callback_data=callback_data)


def template_shape(name: str, language: str, parameter_format: str, components: Iterable[Any]) -> TemplateShape:
    """The slots of a template from its stored components (Meta's shape: HEADER, BODY, FOOTER, BUTTONS)."""
    body: list[str] = []
    header: list[str] = []
    media: str | None = None
    buttons: list[int] = []
    for component in components:
        if not isinstance(component, Mapping):
            continue
        kind = str(component.get("type", "")).upper()
        if kind == "BODY":
            body = _placeholders(component.get("text"))
        elif kind == "HEADER":
            fmt = str(component.get("format", "TEXT")).upper()
            if fmt in _MEDIA:
                media = _MEDIA[fmt]
            elif fmt == "TEXT":
                header = _placeholders(component.get("text"))
        elif kind == "BUTTONS":
            for index, button in enumerate(component.get("buttons") or []):
                if isinstance(button, Mapping) and str(button.get("type", "")).upper() == "URL":
                    if _placeholders(button.get("url")):
                        buttons.append(index)
    return TemplateShape(
        name, language, parameter_format.upper() == "NAMED", tuple(body), tuple(header), media, tuple(buttons)
    )


@dataclass(frozen=True, slots=True)
class Source:
    """Where one value comes from: ``kind`` is attr, name, phone or literal."""

    kind: str
    ref: str = ""  # attribute name, or the literal text
    fallback: str | None = None

    @classmethod
    def parse(cls, text: str, *, key: str) -> Source:
        if text.startswith("literal:"):
            value = text.removeprefix("literal:")
            if not value.strip():
                raise InvalidInput(f"parameter {key}: a literal must not be empty")
            return cls("literal", value)
        spec, sep, fallback = text.partition("|")
        fallback_value = fallback if sep else None
        if sep and not fallback.strip():
            raise InvalidInput(f"parameter {key}: the fallback after '|' must not be empty")
        if spec.startswith("attr."):
            name = spec.removeprefix("attr.")
            if not _ATTR.fullmatch(name):
                raise InvalidInput(f"parameter {key}: {name!r} is not an attribute name")
            return cls("attr", name, fallback_value)
        if spec in {"contact.name", "contact.profile_name"}:
            return cls("name", "", fallback_value)
        if spec in {"contact.phone", "contact.wa_id"}:
            return cls("phone")
        raise InvalidInput(
            f"parameter {key}: unknown source {text!r}",
            hint="use attr.NAME, contact.name, contact.phone or literal:TEXT (attr/name may end with |FALLBACK)",
        )

    def text(self) -> str:
        if self.kind == "literal":
            return f"literal:{self.ref}"
        base = {"attr": f"attr.{self.ref}", "name": "contact.name", "phone": "contact.phone"}[self.kind]
        return base if self.fallback is None else f"{base}|{self.fallback}"

    def value(self, wa_id: str, name: str | None, attributes: Mapping[str, Any]) -> str | None:
        """The value for one contact, or None when it has none and there is no fallback."""
        if self.kind == "literal":
            return self.ref
        if self.kind == "phone":
            return f"+{wa_id}"
        raw: Any = name if self.kind == "name" else attributes.get(self.ref)
        text = "" if raw is None or isinstance(raw, dict | list) else str(raw).strip()
        if not text:
            return self.fallback
        return text[:MAX_VALUE]

    @property
    def needs(self) -> str:
        """What a contact must have for this source (for error messages)."""
        return f"attribute {self.ref!r}" if self.kind == "attr" else "a profile name"


def parse_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """``["1=attr.first_name", …]`` → ``{"1": "attr.first_name", …}``; InvalidInput for a malformed one."""
    out: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value:
            raise InvalidInput(f"parameter {item!r} is not KEY=SOURCE (e.g. 1=attr.first_name or name=literal:Hi)")
        if key in out:
            raise InvalidInput(f"parameter {key} is given twice")
        out[key] = value
    return out


@dataclass(frozen=True, slots=True)
class ParameterMap:
    """A template's shape with a source for each of its slots."""

    shape: TemplateShape
    sources: dict[str, Source]

    def stored(self) -> dict[str, str]:
        """The mapping as kept on the campaign (slot → source text)."""
        return {slot: source.text() for slot, source in self.sources.items()}

    def render(self, wa_id: str, name: str | None, attributes: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
        """(values by slot, what the contact lacks) for one contact; values are complete when nothing lacks."""
        values: dict[str, str] = {}
        lacking: list[str] = []
        for slot, source in self.sources.items():
            value = source.value(wa_id, name, attributes)
            if value is None:
                lacking.append(source.needs)
            else:
                values[slot] = value
        return values, lacking


def _slot(key: str, shape: TemplateShape) -> str:
    """The slot a user's key names: ``1`` and ``body.1`` are the body's ``{{1}}``."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise InvalidInput(f"parameter key {key!r} is invalid; use 1, name, header.1, header or button.0")
    if key == "header" or key.startswith("button."):
        return key
    where, name = match.group(1) or "body", match.group(2)
    return f"{where}.{name}"


def compile_mapping(shape: TemplateShape, mapping: Mapping[str, str]) -> ParameterMap:
    """Check ``mapping`` (key → source text) against the template: every slot given, nothing unknown."""
    sources: dict[str, Source] = {}
    for key, text in mapping.items():
        slot = _slot(key, shape)
        if slot not in shape.slots:
            known = ", ".join(_display(s) for s in shape.slots) or "none"
            raise InvalidInput(
                f"template {shape.name} ({shape.language}) has no placeholder {key!r}; its placeholders: {known}"
            )
        if slot in sources:
            raise InvalidInput(f"parameter {key} is given twice")
        sources[slot] = Source.parse(text, key=key)
    missing = [s for s in shape.slots if s not in sources]
    if missing:
        raise InvalidInput(
            f"template {shape.name} ({shape.language}) needs a value for {', '.join(_display(s) for s in missing)}",
            hint="map each with --param, e.g. --param 1=attr.first_name or --param 1='literal:Hi'",
        )
    if shape.header_media is not None:
        link = sources["header"]
        if link.kind != "literal" or not link.ref.lower().startswith(("http://", "https://")):
            raise InvalidInput(f"the {shape.header_media} header needs a link: --param header=literal:https://…")
    return ParameterMap(shape, {s: sources[s] for s in shape.slots})


def _display(slot: str) -> str:
    return slot.removeprefix("body.")


def restore(shape: TemplateShape, stored: Mapping[str, str]) -> ParameterMap:
    """The mapping kept on a campaign, checked again against the template as it is now."""
    return compile_mapping(shape, stored)
