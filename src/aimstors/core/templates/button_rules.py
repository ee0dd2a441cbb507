"""Lint rules for a template's BUTTONS component (Meta's "Template components" page).

At most 10 buttons: up to 10 QUICK_REPLY, 2 URL, 1 PHONE_NUMBER, 1 COPY_CODE (coupon, marketing); quick replies
grouped together, before or after the others; labels up to 25 characters; a URL up to 2,000 characters with at
most one placeholder, ``{{1}}``, at its very end (plus an example); authentication templates take exactly one OTP
button (COPY_CODE, ONE_TAP or ZERO_TAP).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from aimstors.core.templates.definitions import scan_placeholders
from aimstors.core.templates.findings import Findings
from aimstors.core.templates.placeholder_rules import example_value_problem

__all__ = ["BUTTON_TYPES", "LABEL_MAX", "check_buttons"]

BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "OTP", "FLOW", "MPM", "CATALOG")
MAX_BUTTONS = 10
LABEL_MAX = 25
URL_MAX = 2000
PHONE_MAX = 20
CODE_MAX = 15
OTP_TYPES = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")
_LIMITS = {"QUICK_REPLY": 10, "URL": 2, "PHONE_NUMBER": 1, "COPY_CODE": 1, "OTP": 1, "FLOW": 1, "MPM": 1, "CATALOG": 1}
_NO_LABEL = {"OTP", "COPY_CODE"}  # Meta words these labels itself (an OTP label is optional)
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{3,}")


def check_buttons(out: Findings, path: str, component: Mapping[str, Any], category: str) -> None:
    """Check a BUTTONS component at ``path`` (``components[3]``) of a template in ``category``."""
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        out.error(
            f"{path}.buttons",
            "buttons-required",
            "a BUTTONS component needs a list of buttons, e.g. buttons: [{type: QUICK_REPLY, text: Stop promotions}]",
        )
        return
    if len(buttons) > MAX_BUTTONS:
        out.error(f"{path}.buttons", "button-count", f"{len(buttons)} buttons; a template has at most {MAX_BUTTONS}")
    kinds: list[str] = []
    for index, button in enumerate(buttons):
        kinds.append(_check_button(out, f"{path}.buttons[{index}]", button, category))
    counts = Counter(kinds)
    for kind, limit in _LIMITS.items():
        if counts[kind] > limit:
            out.error(
                f"{path}.buttons",
                "button-count",
                f"{counts[kind]} {kind} buttons; a template has at most {limit}",
            )
    _check_grouping(out, path, kinds)
    labels = [str(b.get("text")).strip().lower() for b in buttons if isinstance(b, Mapping) and b.get("text")]
    if duplicated := sorted(label for label, n in Counter(labels).items() if n > 1):
        out.warning(f"{path}.buttons", "button-text-duplicate", f"two buttons say {duplicated[0]!r}; give each its own")
    if category == "AUTHENTICATION" and counts["OTP"] != 1:
        out.error(
            f"{path}.buttons",
            "otp-required",
            "an authentication template takes exactly one OTP button: {type: OTP, otp_type: COPY_CODE}",
        )


def _check_grouping(out: Findings, path: str, kinds: list[str]) -> None:
    quick = [i for i, kind in enumerate(kinds) if kind == "QUICK_REPLY"]
    if not quick or quick[-1] - quick[0] + 1 == len(quick):
        return
    between = next(i for i in range(quick[0], quick[-1]) if kinds[i] != "QUICK_REPLY")
    out.error(
        f"{path}.buttons[{between}]",
        "quick-reply-grouping",
        f"quick replies must be grouped together, before or after the other buttons: this {kinds[between]} button "
        "sits between quick replies",
    )


def _check_button(out: Findings, path: str, button: Any, category: str) -> str:
    if not isinstance(button, Mapping):
        out.error(path, "button-type", "a button is a mapping such as {type: QUICK_REPLY, text: Yes}")
        return "?"
    kind = button.get("type")
    if not isinstance(kind, str) or kind.upper() not in BUTTON_TYPES:
        shown = f" {kind!r}" if kind is not None else ""
        out.error(f"{path}.type", "button-type", f"unknown button type{shown}: one of {', '.join(BUTTON_TYPES)}")
        return "?"
    kind = kind.upper()
    if kind not in _NO_LABEL:
        _check_label(out, f"{path}.text", button.get("text"), required=True)
    elif "text" in button:
        _check_label(out, f"{path}.text", button.get("text"), required=False)
    if category == "AUTHENTICATION" and kind != "OTP":
        out.error(path, "otp-only", f"authentication templates take only an OTP button, not {kind}")
    if kind == "URL":
        _check_url(out, path, button)
    elif kind == "PHONE_NUMBER":
        _check_phone(out, f"{path}.phone_number", button.get("phone_number"))
    elif kind == "COPY_CODE":
        _check_coupon(out, path, button, category)
    elif kind == "OTP":
        _check_otp(out, path, button, category)
    elif kind == "FLOW" and not any(button.get(k) for k in ("flow_id", "flow_name", "flow_json")):
        out.error(path, "flow-required", "a FLOW button names its Flow: flow_id, flow_name or flow_json")
    return kind


def _check_label(out: Findings, path: str, text: Any, *, required: bool) -> None:
    if text is None and not required:
        return
    if not isinstance(text, str) or not text.strip():
        out.error(path, "button-text", "a button needs a label: text: Shop now (at most 25 characters)")
        return
    if len(text) > LABEL_MAX:
        out.error(path, "button-text-length", f"the label is {len(text)} characters; at most {LABEL_MAX}")
    if "{{" in text or "}}" in text:
        out.error(path, "button-text", "button labels can't hold placeholders; only a URL may end with {{1}}")
    if "\n" in text:
        out.error(path, "button-text", "a button label is one line")


def _check_url(out: Findings, path: str, button: Mapping[str, Any]) -> None:
    url = button.get("url")
    url_path = f"{path}.url"
    if not isinstance(url, str) or not url.strip():
        out.error(url_path, "url-required", "a URL button needs url: https://…")
        return
    if len(url) > URL_MAX:
        out.error(url_path, "url-length", f"the URL is {len(url):,} characters; at most {URL_MAX:,}")
    if not url.lower().startswith(("https://", "http://")):
        out.error(url_path, "url-scheme", "the URL must start with https:// (or http://)")
    tokens = scan_placeholders(url)
    example = button.get("example")
    if not tokens:
        if "{{" in url or "}}" in url:
            out.error(url_path, "placeholder-braces", "unbalanced braces: a URL ends with {{1}} or holds none")
        if example is not None:
            out.warning(f"{path}.example", "example-unused", "example is given but the URL has no {{1}}")
        return
    if len(tokens) > 1:
        out.error(url_path, "url-placeholder", "a URL holds one placeholder at most: {{1}}, at its very end")
        return
    token = tokens[0]
    if token.inner != "1":
        out.error(
            url_path,
            "url-placeholder",
            f"{token.text}: a URL's placeholder is always {{{{1}}}} (also in NAMED templates)",
        )
    elif token.end != len(url.rstrip()):
        out.error(
            url_path, "url-placeholder", "{{1}} must come at the very end of the URL: https://example.com/track/{{1}}"
        )
    elif url[: token.start].lower().rstrip("/") in {"https:", "http:"}:
        out.error(url_path, "url-placeholder", "the URL needs a fixed address before {{1}}: https://example.com/{{1}}")
    _check_url_example(out, f"{path}.example", example)


def _check_url_example(out: Findings, path: str, example: Any) -> None:
    if example is None:
        out.error(
            path, "example-missing", 'a URL with {{1}} needs an example: example: ["https://example.com/track/A1"]'
        )
    elif not isinstance(example, list) or len(example) != 1:
        out.error(path, "example-shape", 'a URL button takes one example, as a list: example: ["…"]')
    elif problem := example_value_problem(example[0]):
        out.error(f"{path}[0]", "example-value", problem)


def _check_phone(out: Findings, path: str, phone: Any) -> None:
    if isinstance(phone, bool) or not isinstance(phone, str | int) or not str(phone).strip():
        out.error(path, "phone-required", 'a PHONE_NUMBER button needs phone_number, country code first: "15550051310"')
        return
    text = str(phone).strip()
    if len(text) > PHONE_MAX:
        out.error(path, "phone-length", f"the phone number is {len(text)} characters; at most {PHONE_MAX}")
    elif not _PHONE.fullmatch(text):
        out.warning(path, "phone-format", "a phone number is digits, country code first, e.g. 15550051310")


def _check_coupon(out: Findings, path: str, button: Mapping[str, Any], category: str) -> None:
    if category != "MARKETING":
        out.error(
            path,
            "coupon-category",
            "COPY_CODE (coupon) buttons belong to MARKETING templates; authentication codes use an OTP button",
        )
    example = button.get("example")
    if problem := example_value_problem(example):
        out.error(f"{path}.example", "example-value", f"a COPY_CODE button needs example: the sample code ({problem})")
    elif len(str(example)) > CODE_MAX:
        out.error(
            f"{path}.example", "code-length", f"the sample code is {len(str(example))} characters; at most {CODE_MAX}"
        )


def _check_otp(out: Findings, path: str, button: Mapping[str, Any], category: str) -> None:
    if category != "AUTHENTICATION":
        out.error(path, "otp-category", "OTP buttons belong to AUTHENTICATION templates")
    otp_type = button.get("otp_type")
    if not isinstance(otp_type, str) or otp_type.upper() not in OTP_TYPES:
        out.error(f"{path}.otp_type", "otp-type", f"otp_type must be one of {', '.join(OTP_TYPES)}")
        return
    if otp_type.upper() != "COPY_CODE":
        apps = button.get("supported_apps")
        has_app = bool(button.get("package_name") and button.get("signature_hash"))
        if not has_app and not (isinstance(apps, list) and apps):
            out.error(
                path,
                "otp-app",
                f"a {otp_type.upper()} button names the Android app: package_name and signature_hash "
                "(or supported_apps: [{package_name, signature_hash}])",
            )
    autofill = button.get("autofill_text")
    if autofill is not None and (not isinstance(autofill, str) or len(autofill) > LABEL_MAX):
        out.error(f"{path}.autofill_text", "button-text-length", f"autofill_text is at most {LABEL_MAX} characters")
