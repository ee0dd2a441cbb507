"""The check before every template send: the template is approved and the values fit its placeholders.

Values are given by key, or in order for the body::

    check_send(template, {"1": "Pablo", "2": "860198-230332"})          # body {{1}}, {{2}}
    check_send(template, ["Pablo", "860198-230332"])                     # the same, in order
    check_send(named, {"first_name": "Pablo", "header.sale": "Summer"})  # NAMED template
    check_send(template, SendParameters.parse(["1=Pablo", "button.1=summer2023"]))

Keys: a body placeholder (``1`` or ``first_name``; ``body.1`` also works); ``header.1`` / ``header.name`` for a text
header's placeholder (in a NAMED template a name found only in the header may be given bare); ``header`` for a
media header (an ``https://`` link or an uploaded media id) or a location header (``LAT,LONG[,NAME[,ADDRESS]]``);
``button.N`` for the suffix of dynamic URL button N (0-based, as Meta counts) or the code of a coupon button.
Authentication templates take the code as ``1``; their OTP button gets the same code unless given.

:func:`check_send` raises :class:`TemplateNotSendable` (a Conflict) when the template's status forbids sending
(draft, pending, rejected, paused, disabled …) and InvalidInput naming every missing, unknown, empty or too long
value at once; else it returns a :class:`TemplateSend`, ready to go out as an ``OutgoingMessage``'s content.
Only the parameters are checked here, not the template's structure: a template Meta approved is sendable even
where this linter would word things differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from aimstors.core.channel.template_message import MediaParam, OtpButton, TextParam, UrlButton
from aimstors.core.channel.template_message import Template as ChannelTemplate
from aimstors.core.errors import Conflict, InvalidInput
from aimstors.core.templates.definitions import placeholder_keys, scan_placeholders

__all__ = [
    "SendParameters",
    "Slot",
    "TemplateLike",
    "TemplateNotSendable",
    "TemplateSend",
    "TemplateShape",
    "check_send",
    "example_parameters",
    "fill",
]

HEADER_TEXT_MAX = 60
BODY_MAX = 1024
URL_MAX = 2000
CODE_MAX = 15
_KEY = re.compile(r"(?:(?:header|body)\.)?[a-z0-9_]+|button\.[0-9]+")
_BAD_WHITESPACE = re.compile(r"[\n\t]| {5,}")
MediaKind = Literal["image", "video", "document"]
_MEDIA: dict[str, MediaKind] = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}
SlotKind = Literal["body", "header_text", "header_media", "header_location", "url", "otp", "coupon"]


class TemplateLike(Protocol):
    """What the check reads of a template: a ``templates`` row, or the catalog's view of one."""

    @property
    def name(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def parameter_format(self) -> str: ...
    @property
    def components(self) -> Sequence[Any]: ...


class TemplateNotSendable(Conflict):
    """The template's status does not allow sending it (Meta would answer 132001, 132015 or 132016)."""

    code = "template_not_sendable"


@dataclass(frozen=True, slots=True)
class Slot:
    """One value a send needs: ``key`` as the caller gives it, ``label`` as messages name it."""

    key: str
    label: str
    kind: SlotKind
    placeholder: str | None = None  # "1" / "first_name" for text slots
    index: int | None = None  # the button's index
    base: str = ""  # a URL button's address before {{1}}; a media header's kind


def _component(components: Sequence[Any], kind: str) -> Mapping[str, Any]:
    for component in components:
        if isinstance(component, Mapping) and str(component.get("type", "")).upper() == kind:
            return component
    return {}


@dataclass(frozen=True, slots=True)
class TemplateShape:
    """The values a template takes, read from its stored components."""

    name: str
    language: str
    category: str
    named: bool
    header_format: str | None
    header_text: str | None
    body_text: str | None
    footer_text: str | None
    buttons: tuple[Mapping[str, Any], ...]
    security_recommendation: bool
    code_expiration_minutes: int | None
    slots: tuple[Slot, ...]

    @classmethod
    def of(cls, template: TemplateLike) -> TemplateShape:
        components = list(template.components or [])
        header, body, footer = (_component(components, k) for k in ("HEADER", "BODY", "FOOTER"))
        buttons = tuple(b for b in _component(components, "BUTTONS").get("buttons") or [] if isinstance(b, Mapping))
        category = str(template.category).upper()
        body_text = body.get("text") if isinstance(body.get("text"), str) else None
        header_format = str(header.get("format", "TEXT")).upper() if header else None
        header_text = header.get("text") if header_format == "TEXT" and isinstance(header.get("text"), str) else None
        keys = placeholder_keys(body_text) + placeholder_keys(header_text)
        named = str(template.parameter_format).upper() == "NAMED" or any(not k.isdigit() for k in keys)
        slots: list[Slot] = []
        if header_format == "TEXT":
            slots.extend(
                Slot(f"header.{k}", f"header {{{{{k}}}}}", "header_text", placeholder=k)
                for k in placeholder_keys(header_text)
            )
        elif header_format in _MEDIA:
            slots.append(Slot("header", f"header {_MEDIA[header_format]}", "header_media", base=_MEDIA[header_format]))
        elif header_format == "LOCATION":
            slots.append(Slot("header", "header location", "header_location"))
        body_keys = placeholder_keys(body_text)
        if category == "AUTHENTICATION" and not body_keys:
            body_keys = ["1"]  # Meta's preset body: "{{1}} is your verification code."
        if not named:
            body_keys = sorted(body_keys, key=int)
        slots.extend(Slot(k, f"body {{{{{k}}}}}", "body", placeholder=k) for k in body_keys)
        for index, button in enumerate(buttons):
            slot = _button_slot(index, button)
            if slot is not None:
                slots.append(slot)
        return cls(
            name=template.name,
            language=template.language,
            category=category,
            named=named,
            header_format=header_format,
            header_text=header_text,
            body_text=body_text,
            footer_text=footer.get("text") if isinstance(footer.get("text"), str) else None,
            buttons=buttons,
            security_recommendation=body.get("add_security_recommendation") is True,
            code_expiration_minutes=_int_or_none(footer.get("code_expiration_minutes")),
            slots=tuple(slots),
        )

    def lookup(self, key: str) -> Slot | None:
        """The slot a caller's key means (``body.1`` = ``1``; a bare header name in a NAMED template)."""
        key = key.removeprefix("body.")
        for slot in self.slots:
            if slot.key == key:
                return slot
        if self.named:
            for slot in self.slots:
                if slot.kind == "header_text" and slot.placeholder == key:
                    return slot
        return None

    def describe(self) -> str:
        """The keys this template takes, e.g. "1, 2 (body); header.1 (header)"; "no values" when none."""
        groups: dict[str, list[str]] = {}
        for slot in self.slots:
            where = "body" if slot.kind == "body" else "header" if slot.kind.startswith("header") else "buttons"
            groups.setdefault(where, []).append(slot.key + (" (optional)" if slot.kind == "otp" else ""))
        return "; ".join(f"{', '.join(keys)} ({where})" for where, keys in groups.items()) or "no values"


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _button_slot(index: int, button: Mapping[str, Any]) -> Slot | None:
    kind = str(button.get("type", "")).upper()
    given_url = button.get("url")
    url = given_url if isinstance(given_url, str) else ""
    tokens = scan_placeholders(url)
    if kind == "OTP" or (kind == "URL" and "otp_type=" in url.lower()):
        return Slot(f"button.{index}", f"OTP button {index}", "otp", index=index)
    if kind == "URL" and tokens:
        return Slot(f"button.{index}", f"URL button {index}", "url", index=index, base=url[: tokens[0].start])
    if kind == "COPY_CODE":
        return Slot(f"button.{index}", f"coupon button {index}", "coupon", index=index)
    return None


@dataclass(frozen=True, slots=True)
class SendParameters:
    """Values for one send: ``keyed`` by parameter key, and ``ordered`` ones that fill the body in order."""

    keyed: Mapping[str, str] = field(default_factory=dict)
    ordered: tuple[str, ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str]) -> SendParameters:
        """From ``KEY=VALUE`` strings (``1=Pablo``, ``header.1=Summer``, ``button.0=abc``); an item whose text
        before ``=`` is not a key (or that has no ``=``) is an ordered value: ``Pablo``, ``a=b c`` …"""
        keyed: dict[str, str] = {}
        ordered: list[str] = []
        for item in items:
            key, sep, value = item.partition("=")
            if sep and _KEY.fullmatch(key):
                if key in keyed:
                    raise InvalidInput(f"parameter {key!r} is given twice")
                keyed[key] = value
            else:
                ordered.append(item)
        return cls(keyed, tuple(ordered))

    @classmethod
    def of(cls, value: SendParameters | Mapping[str, str] | Sequence[str]) -> SendParameters:
        if isinstance(value, SendParameters):
            return value
        if isinstance(value, Mapping):
            return cls({str(k): str(v) for k, v in value.items()})
        if isinstance(value, str):
            return cls(ordered=(value,))
        return cls(ordered=tuple(str(v) for v in value))


_UNSENDABLE = {
    "DRAFT": ("is a draft", "submit it for review first"),
    "PENDING": ("is waiting for Meta's review", "wait for approval; `aimstors templates sync` refreshes the status"),
    "REJECTED": ("was rejected by Meta", "fix it and create it again under review"),
    "PAUSED": ("is paused by Meta for low quality (132015)", "sends resume when Meta unpauses it"),
    "DISABLED": ("is disabled by Meta (132016)", "create a new template"),
}


def _check_status(template: TemplateLike) -> None:
    status = str(template.status).upper()
    if status == "APPROVED":
        return
    what, hint = _UNSENDABLE.get(status, (f"has status {status}, not APPROVED", "only approved templates are sent"))
    raise TemplateNotSendable(f"template {template.name} ({template.language}) {what}; nothing was sent", hint=hint)


@dataclass(frozen=True, slots=True)
class TemplateSend:
    """A checked template send: the message content (``type``/``to_payload()``) and the values it carries."""

    shape: TemplateShape
    values: Mapping[str, str]
    message: ChannelTemplate
    extra_components: tuple[dict[str, Any], ...] = ()
    type: ClassVar[str] = "template"

    def to_payload(self) -> dict[str, Any]:
        """The ``template`` object of the send request."""
        payload = self.message.to_payload()
        if self.extra_components:
            payload["components"] = [*self.extra_components, *payload.get("components", [])]
        return payload


def check_send(
    template: TemplateLike,
    parameters: SendParameters | Mapping[str, str] | Sequence[str],
    *,
    require_approved: bool = True,
) -> TemplateSend:
    """Check ``parameters`` against ``template`` (and its status, unless ``require_approved=False``)."""
    if require_approved:
        _check_status(template)
    shape = TemplateShape.of(template)
    values, problems = _resolve(shape, SendParameters.of(parameters))
    for slot in shape.slots:
        if slot.key in values and (problem := _value_problem(shape, slot, values[slot.key])):
            problems.append(problem)
    if not problems:
        problems.extend(_length_problems(shape, values))
    if problems:
        raise InvalidInput(
            f"template {shape.name} ({shape.language}): {'; '.join(problems)}",
            hint=f"this template takes {shape.describe()}, as KEY=VALUE",
        )
    return _build(shape, values)


def _resolve(shape: TemplateShape, given: SendParameters) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    problems: list[str] = []
    body = [s for s in shape.slots if s.kind == "body"]
    if len(given.ordered) > len(body):
        problems.append(f"{len(given.ordered)} values given in order but the body has {len(body)} placeholders")
    for slot, value in zip(body, given.ordered, strict=False):
        values[slot.key] = value
    unknown: list[str] = []
    for key, value in given.keyed.items():
        target = shape.lookup(key)
        if target is None:
            unknown.append(key)
        elif target.key in values:
            problems.append(f"{target.label} is given twice")
        else:
            values[target.key] = value
    for slot in shape.slots:
        if slot.kind == "otp" and slot.key not in values and "1" in values:
            values[slot.key] = values["1"]  # the code fills the body and the copy-code button
    missing = [s for s in shape.slots if s.key not in values]
    if missing:
        problems.insert(0, "missing " + ", ".join(f"{s.label} (key {s.key})" for s in missing))
    if unknown:
        problems.append(f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)}")
    return values, problems


def _value_problem(shape: TemplateShape, slot: Slot, value: str) -> str | None:
    if not value.strip():
        return f"the value for {slot.label} is empty"
    if slot.kind in {"body", "header_text"} and _BAD_WHITESPACE.search(value):
        return f"the value for {slot.label} has a line break, a tab or 5+ spaces in a row, which Meta refuses"
    if slot.kind in {"otp", "coupon"} and len(value) > CODE_MAX:
        return f"the code for {slot.label} is {len(value)} characters; at most {CODE_MAX}"
    if slot.kind == "url" and any(c.isspace() for c in value):
        return f"the value for {slot.label} goes into a URL: encode its spaces (%20)"
    if slot.kind == "header_media" and any(c.isspace() for c in value.strip()):
        return f"the value for {slot.label} is an https:// link or an uploaded media id"
    if slot.kind == "header_location" and _location(value) is None:
        return f"the value for {slot.label} is LATITUDE,LONGITUDE[,NAME[,ADDRESS]], e.g. 37.44,-122.16,Shop"
    return None


def _length_problems(shape: TemplateShape, values: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    if shape.header_text is not None:
        header = fill(shape.header_text, values, "header.")
        if len(header) > HEADER_TEXT_MAX:
            problems.append(f"with these values the header is {len(header)} characters; Meta allows {HEADER_TEXT_MAX}")
    if shape.body_text is not None:
        body = fill(shape.body_text, values)
        if len(body) > BODY_MAX:
            problems.append(
                f"with these values the body is {len(body):,} characters; Meta allows {BODY_MAX:,} (132005)"
            )
    for slot in shape.slots:
        if slot.kind == "url" and len(slot.base) + len(values[slot.key]) > URL_MAX:
            problems.append(f"with this value {slot.label}'s URL is longer than {URL_MAX:,} characters")
    return problems


def fill(text: str, values: Mapping[str, str], prefix: str = "") -> str:
    """``text`` with each ``{{key}}`` replaced by ``values[prefix + key]`` (left as written when absent)."""
    out, last = [], 0
    for token in scan_placeholders(text):
        out.append(text[last : token.start])
        out.append(values.get(prefix + token.inner, token.text))
        last = token.end
    out.append(text[last:])
    return "".join(out)


def _location(value: str) -> dict[str, str] | None:
    parts = [p.strip() for p in value.split(",", 3)]
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    location = {"latitude": parts[0], "longitude": parts[1]}
    for key, part in zip(("name", "address"), parts[2:], strict=False):
        if part:
            location[key] = part
    return location


def _build(shape: TemplateShape, values: Mapping[str, str]) -> TemplateSend:
    def text_param(slot: Slot) -> TextParam:
        return TextParam(values[slot.key], name=slot.placeholder if shape.named else None)

    header: MediaParam | tuple[TextParam, ...] | None = None
    extra: list[dict[str, Any]] = []
    buttons: list[UrlButton | OtpButton] = []
    for slot in shape.slots:
        value = values[slot.key]
        if slot.kind == "header_media":
            link = value.strip().lower().startswith(("https://", "http://"))
            kind = _MEDIA[slot.base.upper()]
            header = MediaParam(kind, link=value.strip()) if link else MediaParam(kind, id=value.strip())
        elif slot.kind == "header_location":
            extra.append({"type": "header", "parameters": [{"type": "location", "location": _location(value)}]})
        elif slot.kind == "url":
            buttons.append(UrlButton(slot.index or 0, value))
        elif slot.kind == "otp":
            buttons.append(OtpButton(value, slot.index or 0))
        elif slot.kind == "coupon":
            extra.append({
                "type": "button", "sub_type": "COPY_CODE", "index": str(slot.index),
                "parameters": [{"type": "coupon_code", "coupon_code": value}],
            })  # fmt: skip
    header_texts = tuple(text_param(s) for s in shape.slots if s.kind == "header_text")
    message = ChannelTemplate(
        shape.name,
        shape.language,
        header=header if header is not None else (header_texts or None),
        body=tuple(text_param(s) for s in shape.slots if s.kind == "body"),
        buttons=tuple(buttons),
    )
    return TemplateSend(shape, dict(values), message, tuple(extra))


def example_parameters(template: TemplateLike) -> dict[str, str]:
    """Values taken from the template's own examples (what Meta reviewed), by key; slots without one are left out."""
    shape = TemplateShape.of(template)
    components = list(template.components or [])
    values = _text_examples(_component(components, "HEADER"), shape.header_text, "header", "header.")
    values.update(_text_examples(_component(components, "BODY"), shape.body_text, "body", ""))
    for slot in shape.slots:
        if slot.kind == "header_location":
            values["header"] = "37.4421,-122.1616,Philz Coffee,101 Forest Ave, Palo Alto"
        elif slot.kind == "body" and shape.category == "AUTHENTICATION" and slot.key not in values:
            values[slot.key] = "123456"
        elif slot.kind in {"url", "coupon"} and slot.index is not None:
            example = shape.buttons[slot.index].get("example")
            sample = example[0] if isinstance(example, list) and example else example
            if sample is not None:
                text = str(sample)
                values[slot.key] = text[len(slot.base) :] if slot.base and text.startswith(slot.base) else text
    return values


def _text_examples(component: Mapping[str, Any], text: str | None, where: str, prefix: str) -> dict[str, str]:
    example = component.get("example")
    if not isinstance(example, Mapping):
        return {}
    values: dict[str, str] = {}
    for item in example.get(f"{where}_text_named_params") or []:
        if isinstance(item, Mapping) and item.get("param_name") is not None:
            values[f"{prefix}{item['param_name']}"] = str(item.get("example", ""))
    positional = example.get(f"{where}_text")
    row = positional[0] if where == "body" and isinstance(positional, list) and positional else positional
    if isinstance(row, list):
        for key, value in zip(placeholder_keys(text), row, strict=False):
            values[f"{prefix}{key}"] = str(value)
    handles = example.get("header_handle")
    if where == "header" and isinstance(handles, list) and handles:
        values["header"] = str(handles[0])
    return values
