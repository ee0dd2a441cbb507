"""Template messages: an approved template by name and language, with its parameters filled in.

Parameters are positional (``{{1}}``, ``{{2}}`` … in order) or named (``{{first_name}}``: give each
parameter a ``name``; order then does not matter). A template uses one style; mixing them is refused::

    Template("order_update", "en_US",
             header=MediaParam("image", id="2871834006348767"),
             body=(TextParam("Mark"), CurrencyParam("$100.99", "USD", 100990)),
             buttons=(QuickReplyButton(0, "ORDER_DETAILS"), UrlButton(1, "summer2023")))

    Template.otp("auth_code", "en_US", "123456")   # authentication template with a copy-code button

The language is sent with ``"policy": "deterministic"``, as Meta's schema requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from aimstors.core.channel.messages import check_length, media_object, require

__all__ = [
    "CurrencyParam",
    "DateTimeParam",
    "MediaParam",
    "OtpButton",
    "QuickReplyButton",
    "Template",
    "TemplateButton",
    "TemplateParam",
    "TextParam",
    "UrlButton",
]

_PARAM_NAME = re.compile(r"[a-z0-9_]+")
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")


def _named(payload: dict[str, Any], name: str | None) -> dict[str, Any]:
    if name is not None:
        require(bool(_PARAM_NAME.fullmatch(name)), "template.parameter_name", "lowercase letters, digits, _")
        payload["parameter_name"] = name
    return payload


@dataclass(frozen=True, slots=True)
class TextParam:
    """Text for a ``{{n}}`` placeholder; ``name`` makes it a named parameter (``{{name}}``)."""

    text: str
    name: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return _named({"type": "text", "text": self.text}, self.name)


@dataclass(frozen=True, slots=True)
class CurrencyParam:
    """An amount: ``amount_1000`` is the amount times 1000 (100990 = 100.99); Cloud API shows ``fallback_value``."""

    fallback_value: str
    code: str
    amount_1000: int
    name: str | None = None

    def to_payload(self) -> dict[str, Any]:
        currency = {"fallback_value": self.fallback_value, "code": self.code, "amount_1000": self.amount_1000}
        return _named({"type": "currency", "currency": currency}, self.name)


@dataclass(frozen=True, slots=True)
class DateTimeParam:
    """A date; Cloud API always shows ``fallback_value`` as given."""

    fallback_value: str
    name: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return _named({"type": "date_time", "date_time": {"fallback_value": self.fallback_value}}, self.name)


@dataclass(frozen=True, slots=True)
class MediaParam:
    """The media of an IMAGE/VIDEO/DOCUMENT header, by uploaded ``id`` or ``link``."""

    kind: Literal["image", "video", "document"]
    id: str | None = None
    link: str | None = None
    filename: str | None = None

    def __post_init__(self) -> None:
        media_object(f"template.header.{self.kind}", self.id, self.link)
        require(self.filename is None or self.kind == "document", "template.header.filename", "documents only")

    def to_payload(self) -> dict[str, Any]:
        media = media_object(f"template.header.{self.kind}", self.id, self.link)
        if self.filename is not None:
            media["filename"] = self.filename
        return {"type": self.kind, self.kind: media}


TemplateParam = TextParam | CurrencyParam | DateTimeParam


def _button(sub_type: str, index: int, parameter: dict[str, Any]) -> dict[str, Any]:
    require(0 <= index <= 9, "template.button.index", "must be 0 to 9")
    return {"type": "button", "sub_type": sub_type, "index": str(index), "parameters": [parameter]}


@dataclass(frozen=True, slots=True)
class QuickReplyButton:
    """The ``payload`` returned (as an inbound ``button`` message) when the user taps quick reply ``index``."""

    index: int
    payload: str

    def to_payload(self) -> dict[str, Any]:
        return _button("quick_reply", self.index, {"type": "payload", "payload": self.payload})


@dataclass(frozen=True, slots=True)
class UrlButton:
    """The suffix appended to dynamic URL button ``index`` (``https://x/shop?promo={{1}}``)."""

    index: int
    text: str

    def to_payload(self) -> dict[str, Any]:
        return _button("url", self.index, {"type": "text", "text": self.text})


@dataclass(frozen=True, slots=True)
class OtpButton:
    """The one-time code of an authentication template's copy-code (or one-tap) button.

    Meta sends it as a ``url`` button parameter; the same code also fills the body's ``{{1}}``.
    """

    code: str
    index: int = 0

    def __post_init__(self) -> None:
        check_length(self.code, "template.otp.code", 15, minimum=1)

    def to_payload(self) -> dict[str, Any]:
        return _button("url", self.index, {"type": "text", "text": self.code})


TemplateButton = QuickReplyButton | UrlButton | OtpButton


@dataclass(frozen=True, slots=True)
class Template:
    """A template send. ``header`` is a media parameter or the header's text parameters."""

    name: str
    language: str
    header: MediaParam | tuple[TextParam, ...] | None = None
    body: tuple[TemplateParam, ...] = ()
    buttons: tuple[TemplateButton, ...] = ()
    type: ClassVar[str] = "template"

    def __post_init__(self) -> None:
        require(bool(_TEMPLATE_NAME.fullmatch(self.name)), "template.name", "lowercase letters, digits and _")
        require(bool(self.language.strip()), "template.language", "must not be empty")
        params: list[TemplateParam] = [*self.body]
        if isinstance(self.header, tuple):
            params.extend(self.header)
        named = {p.name is not None for p in params}
        require(len(named) <= 1, "template.parameters", "use either named or positional parameters, not both")
        names = [p.name for p in self.body if p.name is not None]
        require(len(set(names)) == len(names), "template.parameters", "parameter names must be unique")
        indexes = [b.index for b in self.buttons]
        require(len(set(indexes)) == len(indexes), "template.buttons", "button indexes must be unique")

    @classmethod
    def otp(cls, name: str, language: str, code: str, *, button_index: int = 0) -> Template:
        """An authentication template: the code fills the body and the copy-code button."""
        return cls(name, language, body=(TextParam(code),), buttons=(OtpButton(code, button_index),))

    def to_payload(self) -> dict[str, Any]:
        components: list[dict[str, Any]] = []
        if isinstance(self.header, MediaParam):
            components.append({"type": "header", "parameters": [self.header.to_payload()]})
        elif self.header:
            components.append({"type": "header", "parameters": [p.to_payload() for p in self.header]})
        if self.body:
            components.append({"type": "body", "parameters": [p.to_payload() for p in self.body]})
        components.extend(button.to_payload() for button in self.buttons)
        payload: dict[str, Any] = {
            "name": self.name,
            "language": {"policy": "deterministic", "code": self.language},
        }
        if components:
            payload["components"] = components
        return payload
