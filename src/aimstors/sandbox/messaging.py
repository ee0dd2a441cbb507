"""``POST /{phone_number_id}/messages``: the send path, its rules in Meta's order, and the status timeline.

Order of checks: token (190), number exists (100/33) and is registered (133010), body against the spec (100),
throughput (130429), template (132001/132015/132016/132000/132012), window (131047), undeliverable (131026),
pair rate (131056). 131047 and 131026 arrive, as at Meta, as a ``failed`` status webhook after an accepted
send (``failure_mode="webhook"``), or as a synchronous error with ``failure_mode="response"``. So do an unknown
media id (131053) and a reaction to an unknown message (131009).
"""

from __future__ import annotations

import re
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from aimstors.sandbox import ids
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.payloads import Event, status_item
from aimstors.sandbox.state import PhoneNumber, SentMessage, digits
from aimstors.sandbox.templates import check_send
from aimstors.sandbox.validation import validate_message

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["send"]

MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})
_decoder = msgspec.json.Decoder()
_PHONE = re.compile(r"\s*\+?[\d\s\-()]+")


def _decode(raw: bytes) -> Any:
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError:
        raise GraphError(100, "The request body is not valid JSON.") from None


def send(sandbox: Sandbox, version: str, phone_number_id: str, token: str | None, raw: bytes) -> dict[str, Any]:
    """Accept or refuse one send; return Meta's response body. Raises :class:`GraphError`."""
    number = sandbox.number(phone_number_id, token)
    if not number.registered:
        raise GraphError(133010)
    body = _decode(raw)
    kind = validate_message(body)
    if body.get("messaging_product") != "whatsapp":
        raise GraphError(100, "Param messaging_product must be 'whatsapp'.")
    if kind == "read":
        return _mark_read(sandbox, number, body)
    to, wa_id = _recipient(body)
    now = time.monotonic()
    if sandbox.limits.throughput_full(number.id, number.throughput_mps, now):
        raise GraphError(130429)
    wall = sandbox.clock.now()
    conversation = sandbox.state.conversation(number.id, wa_id)
    window_open = conversation.window_open(wall, sandbox.config.window_hours * 3600)
    template_key, category, free, failure = _classify(sandbox, number, kind, body, wa_id, window_open)
    if failure is not None and sandbox.failure_mode == "response":
        raise GraphError(failure)
    if sandbox.limits.pair_full(number.id, wa_id, now):
        raise GraphError(131056)
    sandbox.limits.record(number.id, wa_id, now, wall)
    message = SentMessage(
        wamid=ids.wamid(wa_id),
        phone_number_id=number.id,
        waba_id=number.waba_id,
        to=to,
        wa_id=wa_id,
        type=kind,
        body=body,
        biz_opaque_callback_data=body.get("biz_opaque_callback_data"),
        template=template_key,
        category=category,
        free=free,
        version=version,
        accepted_at=wall,
        failure=failure,
    )
    sandbox.state.messages[message.wamid] = message
    sandbox.state.count(wa_id, "accepted")
    conversation.outbound += 1
    _schedule_statuses(sandbox, number, message)
    sent: dict[str, Any] = {"id": message.wamid}
    if kind == "template":
        sent["message_status"] = "accepted"  # Meta reports it for template sends only
    return {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": wa_id}], "messages": [sent]}


def _recipient(body: dict[str, Any]) -> tuple[str, str]:
    if body.get("recipient_type", "individual") != "individual":
        raise GraphError(100, "Param recipient_type: the sandbox supports individual recipients only.")
    to: str = body["to"]
    wa_id = digits(to)
    if not 7 <= len(wa_id) <= 15 or not _PHONE.fullmatch(to):
        raise GraphError(100, "Param to must be a phone number (digits, optionally with +, spaces, - and ()).")
    return to, wa_id


def _classify(
    sandbox: Sandbox, number: PhoneNumber, kind: str, body: dict[str, Any], wa_id: str, window_open: bool
) -> tuple[str | None, str, bool, int | None]:
    """(template "name/language", pricing category, free?, failure code) for a send that passed validation."""
    if kind == "template":
        spec = body["template"]
        language = spec["language"]["code"]
        template = sandbox.state.find_template(number.waba_id, spec["name"], language)
        check_send(template, spec)
        assert template is not None
        category = template.category.lower()
        failure = 131026 if wa_id in sandbox.state.undeliverable else None
        return f"{template.name}/{language}", category, category == "utility" and window_open, failure
    if not window_open:
        return None, "service", True, 131047
    if wa_id in sandbox.state.undeliverable:
        return None, "service", True, 131026
    return None, "service", True, _content_failure(sandbox, kind, body)


def _content_failure(sandbox: Sandbox, kind: str, body: dict[str, Any]) -> int | None:
    if kind in MEDIA_TYPES:
        media_id = body[kind].get("id")
        if media_id is not None and media_id not in sandbox.state.media:
            return 131053
    elif kind == "reaction" and body["reaction"].get("message_id") not in sandbox.state.inbound:
        return 131009
    return None


def _mark_read(sandbox: Sandbox, number: PhoneNumber, body: dict[str, Any]) -> dict[str, Any]:
    inbound = sandbox.state.inbound.get(body["message_id"])
    if inbound is not None and inbound.phone_number_id == number.id:
        # Marking one message read marks the earlier ones of the thread too.
        for other in sandbox.state.inbound.values():
            if other.wa_id == inbound.wa_id and other.phone_number_id == number.id and other.at <= inbound.at:
                other.read = True
    return {"success": True}


def _status_event(sandbox: Sandbox, number: PhoneNumber, message: SentMessage, status: str, now: int) -> Event:
    message.statuses.append(status)
    sandbox.state.count(message.wa_id, status)
    return Event(
        field="messages",
        waba_id=message.waba_id,
        phone_number_id=message.phone_number_id,
        display_digits=number.digits,
        item=status_item(message, status, now, message.failure),
        kind="status",
    )


def _schedule_statuses(sandbox: Sandbox, number: PhoneNumber, message: SentMessage) -> None:
    timing = sandbox.config.callbacks
    if message.failure is not None:
        plan = [("failed", timing.sent_after)]
    elif message.type == "reaction":
        plan = [("sent", timing.sent_after)]  # reactions get only a sent status
    else:
        plan = [("sent", timing.sent_after), ("delivered", timing.delivered_after)]
        if timing.read:
            plan.append(("read", timing.read_after))
    if len(plan) > 1 and sandbox.faults.reorder():
        delays = [delay for _, delay in plan][::-1]
        plan = [(status, delays[i]) for i, (status, _) in enumerate(plan)]
    for status, delay in plan:
        sandbox.dispatcher.schedule(partial(_status_event, sandbox, number, message, status), delay)
