"""The pre-flight template linter: Meta's rules checked before a template is stored, submitted or sent.

    linter = TemplateLinter()
    findings = linter.lint(raw_definition)      # [Finding(error, "components[1].text", "placeholder-gap", "…")]
    linter.require_clean(raw_definition)        # TemplateLintFailed (an InvalidInput) when any error
    send = linter.check_send(template_row, {"1": "Pablo", "2": "860198"})   # before every send

What is checked, with Meta's error subcodes where Meta gives one:

* the template: ``name`` (lowercase letters, digits, ``_``; at most 512), ``language`` (a locale such as ``en_US``),
  ``category`` (MARKETING, UTILITY, AUTHENTICATION), ``parameter_format`` (POSITIONAL or NAMED), no unknown fields;
* components: one BODY; at most one HEADER, FOOTER and BUTTONS; in the order HEADER, BODY, FOOTER, BUTTONS;
* HEADER: ``format`` TEXT (text of at most 60 characters, one line, at most one placeholder), IMAGE, VIDEO or
  DOCUMENT (with ``example.header_handle`` from the Resumable Upload API), LOCATION (not for authentication);
* BODY: text of at most 1,024 characters (2388040), not starting or ending with a placeholder (2388299), no
  placeholders side by side, not too many for its length (2388293, a warning);
* FOOTER: at most 60 characters, no placeholders;
* placeholders and examples: :mod:`~aimstors.core.templates.placeholder_rules`; buttons:
  :mod:`~aimstors.core.templates.button_rules`;
* AUTHENTICATION: Meta's preset body (no text; ``add_security_recommendation``), an optional footer with
  ``code_expiration_minutes`` (1-90), no header, exactly one OTP button.

Errors mean Meta would refuse the template; warnings that it may be refused or look wrong. A finding's ``rule``
is a stable id; its ``message`` says what to change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from aimstors.core.templates.button_rules import check_buttons
from aimstors.core.templates.definitions import CATEGORIES, COMPONENT_ORDER, PARAMETER_FORMATS
from aimstors.core.templates.findings import Finding, Findings, Severity, TemplateLintFailed
from aimstors.core.templates.placeholder_rules import check_edges, check_examples, check_placeholders, plural
from aimstors.core.templates.sending import SendParameters, TemplateLike, TemplateSend, check_send

__all__ = [
    "BODY_MAX",
    "FOOTER_MAX",
    "HEADER_TEXT_MAX",
    "NAME_MAX",
    "Finding",
    "Severity",
    "TemplateLintFailed",
    "TemplateLinter",
    "check_send",
    "summary",
]

NAME_MAX = 512
HEADER_TEXT_MAX = 60
BODY_MAX = 1024
FOOTER_MAX = 60
_NAME = re.compile(r"[a-z0-9_]+")
_TOKEN = re.compile(r"\{\{.*?\}\}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2,4})?")
_TOP_LEVEL = ("name", "language", "category", "parameter_format", "components")
_MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
_HEADER_FORMATS = ("TEXT", *_MEDIA_FORMATS, "LOCATION")
_KNOWN_FIELDS = {
    "HEADER": {"type", "format", "text", "example"},
    "BODY": {"type", "text", "example", "add_security_recommendation"},
    "FOOTER": {"type", "text", "code_expiration_minutes"},
    "BUTTONS": {"type", "buttons"},
}


class TemplateLinter:
    """Checks template definitions against Meta's rules; stateless, so one instance can serve everyone."""

    def lint(self, definition: Any) -> list[Finding]:
        """Every finding for ``definition`` (a raw mapping as read from JSON/YAML), errors first."""
        out = Findings()
        if not isinstance(definition, Mapping):
            out.error("", "definition", "a template definition is a mapping: name, language, category, components")
            return out.items
        for key in definition:
            if key not in _TOP_LEVEL:
                out.error(str(key), "unknown-field", f"unknown field {key!r}; a template has {', '.join(_TOP_LEVEL)}")
        _check_name(out, definition.get("name"))
        _check_language(out, definition.get("language"))
        category = _check_choice(out, "category", definition.get("category"), CATEGORIES, required=True)
        parameter_format = _check_choice(
            out, "parameter_format", definition.get("parameter_format"), PARAMETER_FORMATS, required=False
        )
        _check_components(out, definition.get("components"), category or "", parameter_format or "POSITIONAL")
        return sorted(out.items, key=lambda f: f.severity is not Severity.ERROR)

    def require_clean(self, definition: Any) -> list[Finding]:
        """The warnings for ``definition``; :class:`TemplateLintFailed` (listing the errors) when it has errors."""
        findings = self.lint(definition)
        if any(f.is_error for f in findings):
            name = definition.get("name") if isinstance(definition, Mapping) else None
            raise TemplateLintFailed(repr(name) if isinstance(name, str) and name else "(unnamed)", findings)
        return findings

    def check_send(
        self,
        template: TemplateLike,
        parameters: SendParameters | Mapping[str, str] | Sequence[str],
        *,
        require_approved: bool = True,
    ) -> TemplateSend:
        """Check the values for one send of ``template``; see :func:`~aimstors.core.templates.sending.check_send`."""
        return check_send(template, parameters, require_approved=require_approved)


def _check_name(out: Findings, name: Any) -> None:
    if not isinstance(name, str) or not name:
        out.error("name", "name", "a template needs a name: lowercase letters, digits and _, e.g. order_update")
        return
    if len(name) > NAME_MAX:
        out.error("name", "name", f"the name is {len(name)} characters; at most {NAME_MAX}")
    if not _NAME.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "my_template"
        out.error("name", "name", f"{name!r} may hold only lowercase letters, digits and _ (e.g. {suggestion!r})")


def _check_language(out: Findings, language: Any) -> None:
    if not isinstance(language, str) or not language:
        out.error("language", "language", "a template needs a language code, e.g. en_US, en or pt_BR")
    elif "-" in language and _LANGUAGE.fullmatch(language.replace("-", "_")):
        out.error("language", "language", f"write {language.replace('-', '_')!r} with an underscore, as Meta does")
    elif not _LANGUAGE.fullmatch(language):
        out.error("language", "language", f"{language!r} is not a language code such as en, en_US or pt_BR")


def _check_choice(out: Findings, field: str, value: Any, choices: Sequence[str], *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or value.upper() not in choices:
        got = "" if value is None else f" (got {value!r})"
        out.error(field, field, f"{field} must be {', '.join(choices[:-1])} or {choices[-1]}{got}")
        return None
    return value.upper()


def _check_components(out: Findings, components: Any, category: str, parameter_format: str) -> None:
    if not isinstance(components, list) or not components:
        out.error("components", "components", "a template needs components, at least a BODY: [{type: BODY, text: …}]")
        return
    seen: dict[str, int] = {}
    for index, component in enumerate(components):
        path = f"components[{index}]"
        kind = component.get("type") if isinstance(component, Mapping) else None
        if not isinstance(kind, str) or kind.upper() not in COMPONENT_ORDER:
            got = f" {kind!r}" if kind is not None else ""
            out.error(
                f"{path}.type", "component-type", f"unknown component type{got}: one of {', '.join(COMPONENT_ORDER)}"
            )
            continue
        assert isinstance(component, Mapping)
        kind = kind.upper()
        if kind in seen:
            out.error(
                path, "component-duplicate", f"a second {kind}: a template has one (see components[{seen[kind]}])"
            )
            continue
        if seen and COMPONENT_ORDER.index(kind) < max(COMPONENT_ORDER.index(k) for k in seen):
            after = [k for k in seen if COMPONENT_ORDER.index(k) > COMPONENT_ORDER.index(kind)]
            out.error(
                path,
                "component-order",
                f"{kind} comes after {after[0]}: order the components {', '.join(COMPONENT_ORDER)}",
            )
        seen[kind] = index
        for key in component:
            if key not in _KNOWN_FIELDS[kind]:
                out.warning(f"{path}.{key}", "unknown-field", f"{kind} has no field {key!r}; Meta may refuse it")
        _check_component(out, path, kind, component, category, parameter_format)
    if "BODY" not in seen:
        out.error("components", "body-required", "a template needs a BODY component: {type: BODY, text: …}")
    if category == "AUTHENTICATION" and "BUTTONS" not in seen:
        out.error(
            "components",
            "otp-required",
            "an authentication template needs a BUTTONS component with one OTP button (otp_type: COPY_CODE)",
        )


def _check_component(
    out: Findings, path: str, kind: str, component: Mapping[str, Any], category: str, parameter_format: str
) -> None:
    if kind == "HEADER":
        _check_header(out, path, component, category, parameter_format)
    elif kind == "BODY":
        _check_body(out, path, component, category, parameter_format)
    elif kind == "FOOTER":
        _check_footer(out, path, component, category)
    else:
        check_buttons(out, path, component, category)


def _check_text(out: Findings, path: str, text: Any, *, what: str, maximum: int, example: str) -> str | None:
    if not isinstance(text, str) or not text.strip():
        out.error(path, "text-required", f"a {what} needs text, e.g. text: {example!r}")
        return None
    if len(text) > maximum:
        out.error(
            path,
            "text-length",
            f"the {what} is {len(text):,} characters; Meta allows at most {maximum:,} (2388040): shorten it",
        )
    return text


def _check_header(out: Findings, path: str, component: Mapping[str, Any], category: str, parameter_format: str) -> None:
    if category == "AUTHENTICATION":
        out.error(path, "auth-header", "authentication templates have no header: Meta sends its preset text")
        return
    header_format = component.get("format")
    if not isinstance(header_format, str) or header_format.upper() not in _HEADER_FORMATS:
        got = f" (got {header_format!r})" if header_format is not None else ""
        out.error(f"{path}.format", "header-format", f"a HEADER needs format: {', '.join(_HEADER_FORMATS)}{got}")
        return
    header_format = header_format.upper()
    if header_format != "TEXT":
        if component.get("text") is not None:
            out.error(f"{path}.text", "header-text", f"a {header_format} header has no text")
        if header_format in _MEDIA_FORMATS:
            example = component.get("example")
            handles = example.get("header_handle") if isinstance(example, Mapping) else None
            if not isinstance(handles, list) or not handles or not all(isinstance(h, str) and h for h in handles):
                out.error(
                    f"{path}.example.header_handle",
                    "example-missing",
                    f"a {header_format} header needs example.header_handle: ['4::…'], a sample uploaded with "
                    "Meta's Resumable Upload API",
                )
        return
    text = _check_text(out, f"{path}.text", component.get("text"), what="text header", maximum=HEADER_TEXT_MAX,
                       example="Our summer sale is on!")  # fmt: skip
    if text is None:
        return
    text_path = f"{path}.text"
    if "\n" in text:
        out.error(text_path, "header-newline", "a text header is one line: remove the line break")
    if any(c in _TOKEN.sub("", text) for c in "*_~`"):
        out.warning(text_path, "header-formatting", "text headers don't support *bold*, _italic_ or ~strike~ marks")
    if any(unicodedata.category(c) == "So" for c in text):
        out.warning(text_path, "header-emoji", "Meta refuses emoji in text headers; move them to the body")
    keys = check_placeholders(out, text_path, text, where="header", parameter_format=parameter_format)
    if len(keys) > 1:
        out.error(text_path, "header-placeholders", f"a text header holds at most 1 placeholder, not {len(keys)}")
    check_edges(out, text_path, text, where="header", body=False)
    check_examples(out, path, component, keys, where="header", parameter_format=parameter_format)


def _check_body(out: Findings, path: str, component: Mapping[str, Any], category: str, parameter_format: str) -> None:
    recommendation = component.get("add_security_recommendation")
    if category == "AUTHENTICATION":
        if component.get("text") is not None:
            out.error(
                f"{path}.text",
                "auth-body",
                "authentication templates use Meta's preset body ('<code> is your verification code.'): remove text "
                "and set add_security_recommendation: true to add the do-not-share warning",
            )
        if recommendation is not None and not isinstance(recommendation, bool):
            out.error(
                f"{path}.add_security_recommendation", "auth-body", "add_security_recommendation is true or false"
            )
        return
    if recommendation is not None:
        out.error(
            f"{path}.add_security_recommendation",
            "auth-only",
            "add_security_recommendation belongs to AUTHENTICATION templates",
        )
    text = _check_text(out, f"{path}.text", component.get("text"), what="body", maximum=BODY_MAX,
                       example="Hi {{1}}, your order {{2}} has shipped.")  # fmt: skip
    if text is None:
        return
    text_path = f"{path}.text"
    keys = check_placeholders(out, text_path, text, where="body", parameter_format=parameter_format)
    check_edges(out, text_path, text, where="body")
    check_examples(out, path, component, keys, where="body", parameter_format=parameter_format)


def _check_footer(out: Findings, path: str, component: Mapping[str, Any], category: str) -> None:
    minutes = component.get("code_expiration_minutes")
    if category == "AUTHENTICATION":
        if component.get("text") is not None:
            out.error(
                f"{path}.text",
                "auth-footer",
                "authentication footers hold no text: set code_expiration_minutes (1-90) or leave the footer out",
            )
        if minutes is None and component.get("text") is None:
            out.error(path, "auth-footer", "an authentication footer needs code_expiration_minutes (1-90)")
        elif minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 90
        ):
            out.error(
                f"{path}.code_expiration_minutes", "auth-footer", "code_expiration_minutes is a whole number, 1-90"
            )
        return
    if minutes is not None:
        out.error(
            f"{path}.code_expiration_minutes",
            "auth-only",
            "code_expiration_minutes belongs to AUTHENTICATION templates",
        )
    text = _check_text(out, f"{path}.text", component.get("text"), what="footer", maximum=FOOTER_MAX,
                       example="Reply STOP to opt out")  # fmt: skip
    if text is not None and ("{{" in text or "}}" in text):
        out.error(f"{path}.text", "footer-placeholder", "footers can't hold placeholders: move it to the body")


def summary(findings: Sequence[Finding]) -> str:
    """A count such as "2 errors, 1 warning", or "no problems"."""
    errors = sum(1 for f in findings if f.is_error)
    warnings = len(findings) - errors
    parts = ([plural(errors, "error")] if errors else []) + ([plural(warnings, "warning")] if warnings else [])
    return ", ".join(parts) or "no problems"
