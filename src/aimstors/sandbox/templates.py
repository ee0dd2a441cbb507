"""Message templates: Meta's creation checks and the send-time checks (132000, 132001, 132012, 132015, 132016).

A send names a template by name and language; it must exist in the sending number's WABA and be APPROVED.
Its parameters must then match the template's placeholders: one per placeholder in the header and body
(``{{1}}``… positional, or ``{{first_name}}`` named, given with ``parameter_name``), a media parameter of the
header's format, one text parameter for each URL button with a dynamic suffix. Counts that differ are 132000,
parameters of the wrong kind 132012.
"""

from __future__ import annotations

import re
from typing import Any

from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.state import Template

__all__ = [
    "CATEGORIES",
    "check_definition",
    "check_send",
    "placeholders",
]

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_MEDIA_FORMATS = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document", "LOCATION": "location"}
_BODY_PARAM_TYPES = frozenset({"text", "currency", "date_time"})
_LIMITS = {"HEADER": 60, "BODY": 1024, "FOOTER": 60}


def placeholders(text: str) -> list[str]:
    """Placeholder names in order of appearance, duplicates removed."""
    seen: list[str] = []
    for name in _PLACEHOLDER.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def _component(template: Template, kind: str) -> dict[str, Any] | None:
    for component in template.components:
        if str(component.get("type", "")).upper() == kind:
            return component
    return None


def _buttons(template: Template) -> list[dict[str, Any]]:
    component = _component(template, "BUTTONS")
    buttons = component.get("buttons", []) if component else []
    return [b for b in buttons if isinstance(b, dict)]


def _template_error(details: str, subcode: int | None = None, title: str | None = None) -> GraphError:
    return GraphError(100, details, subcode=subcode, user_title=title, user_msg=details if title else None)


def check_definition(body: dict[str, Any], *, creating: bool = True) -> None:
    """Meta's checks on a template create (or edit) body; :class:`GraphError` 100 naming the problem."""
    if creating:
        name = body.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise _template_error("Param name: must be 1-512 lowercase letters, digits and underscores.")
        if not isinstance(body.get("language"), str) or not body["language"]:
            raise _template_error("Param language is required.")
    category = body.get("category")
    if (creating or category is not None) and str(category or "").upper() not in CATEGORIES:
        raise _template_error(f"Param category must be one of {', '.join(CATEGORIES)}.")
    components = body.get("components")
    if components is None and not creating:
        return
    if not isinstance(components, list) or not components:
        raise _template_error("Param components is required.")
    parameter_format = str(body.get("parameter_format", "positional")).lower()
    kinds = [str(c.get("type", "")).upper() for c in components if isinstance(c, dict)]
    if kinds.count("BODY") != 1:
        raise _template_error("Param components: a template has exactly one BODY component.")
    for component in components:
        kind = str(component.get("type", "")).upper()
        text = component.get("text")
        if kind in _LIMITS and isinstance(text, str) and len(text) > _LIMITS[kind]:
            raise _template_error(
                f"{kind} text is longer than {_LIMITS[kind]} characters.",
                2388040,
                "Message template character limit exceeded",
            )
        if kind == "HEADER" and str(component.get("format", "TEXT")).upper() not in {"TEXT", *_MEDIA_FORMATS}:
            raise _template_error(
                "HEADER format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.", 2388047, "Invalid header format"
            )
        if isinstance(text, str) and kind in {"HEADER", "BODY"}:
            _check_placeholders(kind, text, parameter_format)


def _check_placeholders(kind: str, text: str, parameter_format: str) -> None:
    names = placeholders(text)
    if not names:
        return
    if parameter_format == "named":
        if any(name.isdigit() or not re.fullmatch(r"[a-z0-9_]+", name) for name in names):
            raise _template_error(f"{kind}: named parameters are lowercase letters, digits and underscores.")
    elif names != [str(i) for i in range(1, len(names) + 1)]:
        raise _template_error(f"{kind}: positional parameters must be {{{{1}}}}, {{{{2}}}}, … in order.")
    if kind == "BODY":
        stripped = text.strip()
        if _PLACEHOLDER.match(stripped) or re.search(r"\{\{\s*[A-Za-z0-9_]+\s*\}\}$", stripped):
            raise _template_error(
                "Variables can't be at the start or end of the template.",
                2388299,
                "Variables can't be at the start or end of the template",
            )


def check_send(template: Template | None, send: dict[str, Any]) -> None:
    """Raise the Graph error Meta gives for sending ``send`` (the request's ``template`` object)."""
    if template is None or template.status in {"PENDING", "REJECTED", "IN_APPEAL", "PENDING_DELETION"}:
        raise GraphError(
            132001,
            "template name ({}) does not exist in {}".format(
                send.get("name"), (send.get("language") or {}).get("code")
            ),
        )
    if template.status == "PAUSED":
        raise GraphError(132015)
    if template.status == "DISABLED":
        raise GraphError(132016)
    if template.status != "APPROVED":
        raise GraphError(132001)
    given: dict[str, list[dict[str, Any]]] = {}
    buttons: dict[int, dict[str, Any]] = {}
    for component in send.get("components") or []:
        kind = str(component.get("type", "")).lower()
        params = [p for p in component.get("parameters") or [] if isinstance(p, dict)]
        if kind == "button":
            buttons[int(component.get("index", 0))] = component
        else:
            given.setdefault(kind, []).extend(params)
    named = template.parameter_format == "named"
    _check_header(template, given.get("header", []), named)
    body = _component(template, "BODY")
    expected = placeholders(str(body.get("text", ""))) if body else []
    if template.category == "AUTHENTICATION" and not expected:
        # Meta writes an authentication template's body itself ("{{1}} is your verification code"): the code is its
        # one parameter, however the template was created.
        expected = ["1"]
    _check_text_params("body", expected, given.get("body", []), named)
    _check_buttons(template, buttons)


def _check_header(template: Template, params: list[dict[str, Any]], named: bool) -> None:
    header = _component(template, "HEADER")
    header_format = str(header.get("format", "TEXT")).upper() if header else "TEXT"
    if header_format in _MEDIA_FORMATS:
        if len(params) != 1:
            raise GraphError(132000, f"header: expected 1 {_MEDIA_FORMATS[header_format]} parameter, got {len(params)}")
        if params[0].get("type") != _MEDIA_FORMATS[header_format]:
            raise GraphError(132012, f"header: expected a {_MEDIA_FORMATS[header_format]} parameter")
        return
    names = placeholders(str(header.get("text", ""))) if header else []
    _check_text_params("header", names, params, named)


def _check_text_params(where: str, names: list[str], params: list[dict[str, Any]], named: bool) -> None:
    if len(params) != len(names):
        raise GraphError(132000, f"{where}: expected {len(names)} parameters, got {len(params)}")
    for param in params:
        kind = param.get("type")
        if kind not in _BODY_PARAM_TYPES:
            raise GraphError(132012, f"{where}: parameter type {kind!r} is not allowed here")
        if kind == "text" and not isinstance(param.get("text"), str):
            raise GraphError(132012, f"{where}: text parameters must be strings")
    if named:
        if any("parameter_name" not in p for p in params):
            raise GraphError(132012, f"{where}: named templates need parameter_name on every parameter")
        if sorted(str(p["parameter_name"]) for p in params) != sorted(names):
            raise GraphError(132000, f"{where}: parameter names do not match the template")


def _check_buttons(template: Template, given: dict[int, dict[str, Any]]) -> None:
    defined = _buttons(template)
    for index in given:
        if not 0 <= index < len(defined):
            raise GraphError(132000, f"button at index {index} does not exist in the template")
    for index, button in enumerate(defined):
        kind = str(button.get("type", "")).upper()
        dynamic = kind == "URL" and bool(placeholders(str(button.get("url", ""))))
        needs_param = dynamic or kind in {"COPY_CODE", "OTP"}
        params = given[index].get("parameters") or [] if index in given else []
        if needs_param and len(params) != 1:
            raise GraphError(132000, f"button {index}: expected 1 parameter, got {len(params)}")
        if dynamic and params and params[0].get("type") != "text":
            raise GraphError(132012, f"button {index}: URL suffix must be a text parameter")
