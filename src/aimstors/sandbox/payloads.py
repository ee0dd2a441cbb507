"""Webhook payloads shaped like Meta's: statuses, inbound messages, template status updates, and the envelope
that batches several of them into one POST.

Statuses carry ``biz_opaque_callback_data`` when the send had it (failed ones too), ``pricing`` on ``sent``
and ``delivered``, and — up to API v23 — a per-message ``conversation`` (``expiration_timestamp`` on ``sent``
only); from v24 Meta omits ``conversation``, and so does the sandbox for sends made through v24+ paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aimstors.sandbox.errors import error_object
from aimstors.sandbox.ids import conversation_id
from aimstors.sandbox.state import SentMessage

__all__ = ["Event", "envelope", "status_item", "template_update_value"]

CONVERSATION_SECONDS = 24 * 3600


@dataclass(slots=True)
class Event:
    """One thing to tell the webhook: a status, an inbound message or a template update."""

    field: str  # "messages" or "message_template_status_update"
    waba_id: str
    phone_number_id: str | None
    display_digits: str | None
    item: dict[str, Any]  # a status, or {"contact": ..., "message": ...}, or a template update value
    kind: str  # "status", "message" or "template"


def _major(version: str) -> int:
    try:
        return int(version.lstrip("v").split(".", 1)[0])
    except ValueError:
        return 0


def status_item(message: SentMessage, status: str, timestamp: int, error_code: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": message.wamid,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": message.wa_id,
    }
    if message.biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = message.biz_opaque_callback_data
    if status == "failed":
        item["errors"] = [error_object(error_code or 131000)]
        return item
    if status in ("sent", "delivered"):
        if _major(message.version) <= 23:
            conversation: dict[str, Any] = {"id": conversation_id(), "origin": {"type": message.category}}
            if status == "sent":
                conversation["expiration_timestamp"] = str(timestamp + CONVERSATION_SECONDS)
            item["conversation"] = conversation
        item["pricing"] = {
            "billable": not message.free,
            "pricing_model": "PMP",
            "type": "free_customer_service" if message.free else "regular",
            "category": message.category,
        }
    return item


def template_update_value(
    template_id: str,
    name: str,
    language: str,
    category: str,
    event: str,
    reason: str | None,
    other_title: str | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "event": event,
        "message_template_id": int(template_id),  # an integer here, a string everywhere else (as Meta)
        "message_template_name": name,
        "message_template_language": language,
        "reason": reason,
        "message_template_category": category,
    }
    if event == "REJECTED" and reason not in (None, "NONE"):
        value["rejection_info"] = {"reason": reason, "recommendation": "Review the template guidelines."}
    if other_title is not None:
        value["other_info"] = {"title": other_title, "description": f"Template status changed: {other_title}."}
    return value


def envelope(events: Iterable[Event], now: int) -> dict[str, Any]:
    """One webhook body: an entry per WABA; per number, one change with all its statuses, and one change per
    inbound message and per template update."""
    entries: dict[str, list[dict[str, Any]]] = {}
    status_values: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        changes = entries.setdefault(event.waba_id, [])
        if event.kind == "template":
            changes.append({"field": event.field, "value": event.item})
            continue
        metadata = {"display_phone_number": event.display_digits, "phone_number_id": event.phone_number_id}
        if event.kind == "status":
            key = (event.waba_id, event.phone_number_id or "")
            value = status_values.get(key)
            if value is None:
                value = status_values[key] = {"messaging_product": "whatsapp", "metadata": metadata, "statuses": []}
                changes.append({"field": "messages", "value": value})
            value["statuses"].append(event.item)
        else:
            changes.append(
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": metadata,
                        "contacts": [event.item["contact"]],
                        "messages": [event.item["message"]],
                    },
                }
            )
    out: list[dict[str, Any]] = []
    for waba_id, changes in entries.items():
        entry: dict[str, Any] = {"id": waba_id, "changes": changes}
        if any(change["field"] != "messages" for change in changes):
            entry["time"] = now  # Meta stamps template/account entries, not message ones
        out.append(entry)
    return {"object": "whatsapp_business_account", "entry": out}
