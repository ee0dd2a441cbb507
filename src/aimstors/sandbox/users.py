"""Simulated WhatsApp users: they write to a business number and answer its interactive messages.

Each inbound message opens (or refreshes) the 24-hour customer-service window of that user with that number
and reaches the webhook as Meta sends it (``contacts`` + ``messages``). A reply picks a button or list row of
an interactive message the user received (by id or title; the latest one unless a message id is given), or a
quick-reply button of a template, and arrives as ``interactive.button_reply``/``list_reply`` or ``button``,
with ``context`` pointing at the message answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aimstors.sandbox import ids
from aimstors.sandbox.payloads import Event
from aimstors.sandbox.state import InboundMessage, PhoneNumber, SentMessage, digits

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["UserError", "reply", "say"]


class UserError(ValueError):
    """A simulated user cannot do what was asked (no such number, nothing to reply to, no such choice)."""


def _number(sandbox: Sandbox, phone_number_id: str | None) -> PhoneNumber:
    try:
        return sandbox.default_number(phone_number_id)
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None


def _wa_id(sender: str) -> str:
    wa_id = digits(sender)
    if not 7 <= len(wa_id) <= 15:
        raise UserError("the user's number must have 7 to 15 digits")
    return wa_id


def _deliver(
    sandbox: Sandbox, number: PhoneNumber, wa_id: str, message: dict[str, Any], kind: str, name: str | None
) -> str:
    now = sandbox.clock.now()
    conversation = sandbox.state.conversation(number.id, wa_id)
    if name:
        conversation.name = name
    conversation.last_inbound_at = now
    conversation.inbound += 1
    wamid = ids.wamid(wa_id)
    message = {"from": wa_id, "id": wamid, "timestamp": str(int(now)), "type": kind, **message}
    sandbox.state.inbound[wamid] = InboundMessage(wamid, number.id, wa_id, kind, now)
    sandbox.state.count(wa_id, "inbound")
    contact = {"profile": {"name": conversation.name}, "wa_id": wa_id}

    def make(_now: int) -> Event:
        return Event(
            "messages", number.waba_id, number.id, number.digits, {"contact": contact, "message": message}, "message"
        )

    sandbox.dispatcher.schedule(make, 0.0)
    return wamid


def say(
    sandbox: Sandbox, sender: str, text: str, *, phone_number_id: str | None = None, name: str | None = None
) -> str:
    """The user ``sender`` writes ``text`` to the number; returns the inbound message id."""
    number = _number(sandbox, phone_number_id)
    return _deliver(sandbox, number, _wa_id(sender), {"text": {"body": text}}, "text", name)


def _last_answerable(sandbox: Sandbox, number: PhoneNumber, wa_id: str, message_id: str | None) -> SentMessage:
    if message_id is not None:
        found = sandbox.state.messages.get(message_id)
        if found is None or found.wa_id != wa_id:
            raise UserError("the user did not receive that message")
        return found
    for message in reversed(sandbox.state.messages.values()):
        if (
            message.wa_id == wa_id
            and message.phone_number_id == number.id
            and message.type in {"interactive", "template"}
        ):
            return message
    raise UserError("the user received no interactive or template message to reply to")


def _choices(message: SentMessage) -> list[tuple[str, dict[str, Any]]]:
    """(kind, payload) for every answer the message offers."""
    body = message.body
    out: list[tuple[str, dict[str, Any]]] = []
    if message.type == "interactive":
        action = body["interactive"].get("action", {})
        for button in action.get("buttons", []):
            reply_ = button.get("reply", {})
            out.append(("button_reply", {"id": reply_.get("id"), "title": reply_.get("title")}))
        for section in action.get("sections", []):
            for row in section.get("rows", []):
                choice = {"id": row.get("id"), "title": row.get("title")}
                if "description" in row:
                    choice["description"] = row["description"]
                out.append(("list_reply", choice))
        return out
    for component in body["template"].get("components") or []:
        if str(component.get("sub_type", "")).lower() == "quick_reply":
            for param in component.get("parameters") or []:
                payload = str(param.get("payload", param.get("text", "")))
                out.append(("button", {"payload": payload, "text": payload}))
    return out


def reply(
    sandbox: Sandbox,
    sender: str,
    choice: str,
    *,
    message_id: str | None = None,
    phone_number_id: str | None = None,
    name: str | None = None,
) -> str:
    """The user taps ``choice`` (a button/row id or title, or a quick-reply payload) in a message they got."""
    number = _number(sandbox, phone_number_id)
    wa_id = _wa_id(sender)
    answered = _last_answerable(sandbox, number, wa_id, message_id)
    wanted = choice.strip().lower()
    for kind, payload in _choices(answered):
        keys = {str(payload.get(k, "")).lower() for k in ("id", "title", "payload", "text")}
        if wanted in keys:
            context = {"from": number.digits, "id": answered.wamid}
            if kind == "button":
                return _deliver(sandbox, number, wa_id, {"context": context, "button": payload}, "button", name)
            interactive = {"type": kind, kind: payload}
            return _deliver(
                sandbox, number, wa_id, {"context": context, "interactive": interactive}, "interactive", name
            )
    raise UserError(f"the message offers no choice {choice!r}")
