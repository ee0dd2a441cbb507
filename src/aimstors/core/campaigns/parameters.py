"""Template parameters of a campaign: which placeholder gets what, per recipient.

A mapping names each value the template takes (its keys are the templates package's: ``1`` or ``first_name`` for
the body, ``header.1``, ``header`` for a media header, ``button.0`` for a URL button's suffix) and where it comes
from::

    1=attr.first_name|there      the contact's attribute, or "there" when it has none
    first_name=contact.name      the contact's WhatsApp profile name
    header.1=literal:Summer sale fixed text
    button.0=attr.coupon         a URL button's dynamic suffix, per contact

Sources: ``attr.NAME`` (contact attribute), ``contact.name`` (profile name), ``contact.phone`` (+digits),
``literal:TEXT``; ``|FALLBACK`` after an attribute or the name is used when the contact has none. The mapping must
cover every value of the template and nothing else (:func:`compile_mapping`); values are rendered per recipient
when the campaign starts (:meth:`ParameterMap.render`) and stored with it, so what is sent is what was planned.
Every send goes through :func:`aimstors.core.templates.check_send` — the one place template sends are checked
and built (:func:`build_message`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aimstors.core.channel import OutgoingMessage
from aimstors.core.errors import InvalidInput
from aimstors.core.templates.sending import TemplateLike, TemplateShape, check_send

__all__ = [
    "ParameterMap",
    "Source",
    "build_message",
    "compile_mapping",
    "parse_assignments",
    "restore",
]

_ATTR: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_VALUE: Final = 1024


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
        if sep and not fallback.strip():
            raise InvalidInput(f"parameter {key}: the fallback after '|' must not be empty")
        fallback_value = fallback if sep else None
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
    """A template's value slots, each with its source (keyed by the slot's key)."""

    shape: TemplateShape
    sources: dict[str, Source]

    def stored(self) -> dict[str, str]:
        """The mapping as kept on the campaign (slot key → source text)."""
        return {key: source.text() for key, source in self.sources.items()}

    def render(self, wa_id: str, name: str | None, attributes: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
        """(values by slot key, what the contact lacks) for one contact; complete when nothing lacks."""
        values: dict[str, str] = {}
        lacking: list[str] = []
        for key, source in self.sources.items():
            value = source.value(wa_id, name, attributes)
            if value is None:
                lacking.append(source.needs)
            else:
                values[key] = value
        return values, lacking


def compile_mapping(
    template: TemplateLike, mapping: Mapping[str, str], *, require_approved: bool = False
) -> ParameterMap:
    """Check ``mapping`` (key → source text) against the template: every value given, nothing unknown, literals
    acceptable to Meta; with ``require_approved``, the template approved too (TemplateNotSendable otherwise).
    InvalidInput naming the problems."""
    shape = TemplateShape.of(template)
    sources: dict[str, Source] = {}
    for key, text in mapping.items():
        slot = shape.lookup(key)
        if slot is None:
            raise InvalidInput(
                f"template {shape.name} ({shape.language}) has no parameter {key!r}; it takes {shape.describe()}"
            )
        if slot.key in sources:
            raise InvalidInput(f"parameter {key} is given twice")
        sources[slot.key] = Source.parse(text, key=key)
    missing = [s for s in shape.slots if s.key not in sources and s.kind != "otp"]
    if missing:
        raise InvalidInput(
            f"template {shape.name} ({shape.language}) needs a value for "
            + ", ".join(f"{s.label} (key {s.key})" for s in missing),
            hint="map each with --param, e.g. --param 1=attr.first_name or --param 1='literal:Hi'",
        )
    # Literals are the same for everyone: check them (and the mapping's completeness) as Meta would, once.
    sample = {key: (s.ref if s.kind == "literal" else (s.fallback or "x")) for key, s in sources.items()}
    check_send(template, sample, require_approved=require_approved)
    return ParameterMap(shape, {s.key: sources[s.key] for s in shape.slots if s.key in sources})


def restore(template: TemplateLike, stored: Mapping[str, str]) -> ParameterMap:
    """The mapping kept on a campaign, checked again against the template as it is now."""
    return compile_mapping(template, stored)


def build_message(template: TemplateLike, wa_id: str, values: Mapping[str, str], callback_data: str) -> OutgoingMessage:
    """The send of ``template`` to ``wa_id`` with one recipient's values (InvalidInput when Meta would refuse them)."""
    content = check_send(template, values, require_approved=False)
    return OutgoingMessage(to=f"+{wa_id}", content=content, callback_data=callback_data)
