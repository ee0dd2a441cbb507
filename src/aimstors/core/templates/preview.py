"""What a template send looks like to the customer, with given values (or the template's own examples).

The values are checked exactly as before a real send (:func:`~aimstors.core.templates.sending.check_send`), so a
preview with a missing or unknown parameter fails the way the send would; the template's status is not checked,
so drafts can be previewed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aimstors.core.security import Action, Actor
from aimstors.core.services import Services
from aimstors.core.templates.lookup import find_one
from aimstors.core.templates.sending import (
    SendParameters,
    TemplateSend,
    TemplateShape,
    check_send,
    example_parameters,
    fill,
)
from aimstors.core.tenancy.access import target_tenant

__all__ = ["RenderedTemplate", "TemplatePreview", "preview_template", "render"]


@dataclass(frozen=True, slots=True)
class RenderedTemplate:
    """The message as text: header, body, footer and one line per button."""

    header: str | None
    body: str
    footer: str | None
    buttons: tuple[str, ...]

    def lines(self) -> list[str]:
        parts = [self.header] if self.header else []
        parts.append(self.body)
        if self.footer:
            parts.append(self.footer)
        parts.extend(self.buttons)
        return parts


def render(send: TemplateSend) -> RenderedTemplate:
    """Render a checked send the way WhatsApp shows it (media and locations as a bracketed line)."""
    shape, values = send.shape, send.values
    header: str | None = None
    if shape.header_format == "TEXT" and shape.header_text is not None:
        header = fill(shape.header_text, values, "header.")
    elif shape.header_format == "LOCATION":
        header = f"[location: {values.get('header', '')}]"
    elif shape.header_format:
        header = f"[{shape.header_format.lower()}: {values.get('header', '')}]"
    if shape.body_text is not None:
        body = fill(shape.body_text, values)
    else:  # an authentication template's preset body
        body = f"{values.get('1', '')} is your verification code."
        if shape.security_recommendation:
            body += " For your security, do not share this code."
    footer = shape.footer_text
    if footer is None and shape.code_expiration_minutes is not None:
        footer = f"This code expires in {shape.code_expiration_minutes} minutes."
    return RenderedTemplate(header, body, footer, tuple(_button(shape, i, values) for i in range(len(shape.buttons))))


def _button(shape: TemplateShape, index: int, values: Mapping[str, str]) -> str:
    button = shape.buttons[index]
    kind = str(button.get("type", "")).upper()
    label = str(button.get("text") or "")
    slot = next((s for s in shape.slots if s.index == index), None)
    if slot is not None and slot.kind == "url":
        return f"[{label}] → {slot.base}{values[slot.key]}"
    if kind == "URL":
        return f"[{label}] → {button.get('url', '')}"
    if kind == "PHONE_NUMBER":
        return f"[{label}] → call {button.get('phone_number', '')}"
    if slot is not None and slot.kind == "otp":
        return f"[{label or 'Copy code'}] → copies {values[slot.key]}"
    if slot is not None and slot.kind == "coupon":
        return f"[Copy offer code] → copies {values[slot.key]}"
    return f"[{label}]"


@dataclass(frozen=True, slots=True)
class TemplatePreview:
    tenant: str
    waba_id: str
    name: str
    language: str
    status: str
    category: str
    values: dict[str, str]
    header: str | None
    body: str
    footer: str | None
    buttons: tuple[str, ...]
    payload: dict[str, Any]  # the ``template`` object a send would carry


async def preview_template(
    services: Services,
    actor: Actor,
    *,
    name: str,
    parameters: SendParameters | Mapping[str, str] | Sequence[str] = (),
    language: str | None = None,
    tenant_slug: str | None = None,
    waba_id: str | None = None,
    use_examples: bool = False,
) -> TemplatePreview:
    """Render template ``name`` with ``parameters``; ``use_examples`` fills what is not given from its examples.

    InvalidInput names every missing, unknown or invalid value, as :func:`check_send` does before a send.
    """
    tenant = await target_tenant(services.db, actor, tenant_slug, Action.TEMPLATE_READ, kinds={"workspace"},
                                 what="template")  # fmt: skip
    async with services.db.session(tenant.scope) as session:
        template, account = await find_one(session, tenant.id, name, language=language, waba_id=waba_id)
    given = SendParameters.of(parameters)
    if use_examples:
        given = _with_examples(TemplateShape.of(template), example_parameters(template), given)
    send = check_send(template, given, require_approved=False)
    shown = render(send)
    return TemplatePreview(
        tenant=tenant.slug,
        waba_id=account.waba_id,
        name=template.name,
        language=template.language,
        status=template.status,
        category=template.category,
        values=dict(send.values),
        header=shown.header,
        body=shown.body,
        footer=shown.footer,
        buttons=shown.buttons,
        payload=send.to_payload(),
    )


def _with_examples(shape: TemplateShape, examples: Mapping[str, str], given: SendParameters) -> SendParameters:
    """``given`` completed with example values for the slots it leaves empty (given values win)."""
    body = [s.key for s in shape.slots if s.kind == "body"]
    taken = set(body[: len(given.ordered)])
    for key in given.keyed:
        slot = shape.lookup(key)
        taken.add(slot.key if slot is not None else key)
    keyed = {k: v for k, v in examples.items() if k not in taken}
    for key, value in given.keyed.items():
        keyed[key] = value
    return SendParameters(keyed, given.ordered)
