"""The sending path shared by the inbox, workflows and campaigns.

``send_message`` enforces the 24-hour customer-service window for free-form messages (templates may be sent any
time), sends through the Cloud API client with ``biz_opaque_callback_data`` set to the attempt id, and records the
outcome as a ``messages`` row: ``sent`` with its wamid, ``failed`` with Meta's error, or ``unknown`` when the
answer was lost (a status webhook will settle it — the message is never blindly resent).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update

from aimstors.core.channel import CloudApiError, OutgoingMessage, SendOutcomeUnknown
from aimstors.core.channel.messages import MessageContent
from aimstors.core.db import Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Conversation, Message
from aimstors.core.errors import Conflict
from aimstors.core.events import DomainEvent, EventType
from aimstors.core.ids import uuid7
from aimstors.core.services import Services
from aimstors.core.whatsapp_accounts import sending_identity

__all__ = ["SERVICE_WINDOW", "OutboundResult", "send_message", "window_open"]

SERVICE_WINDOW = dt.timedelta(hours=24)


def window_open(last_inbound_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """True while the contact's last inbound message is less than 24 hours old."""
    return last_inbound_at is not None and (now or utcnow()) - last_inbound_at < SERVICE_WINDOW


@dataclass(frozen=True, slots=True)
class OutboundResult:
    message_id: uuid.UUID
    created_at: dt.datetime
    status: str  # sent | failed | unknown
    wamid: str | None
    error_code: int | None
    error: dict[str, Any] | None


def _summary(content: MessageContent) -> str | None:
    payload = content.to_payload()
    if content.type == "text":
        return str(payload.get("body"))
    if "caption" in payload:
        return str(payload["caption"])
    if content.type == "template":
        return f"[template {payload.get('name')}]"
    return None


async def send_message(
    services: Services,
    *,
    conversation: Conversation,
    to: str,
    content: MessageContent,
    sent_by_user_id: int | None = None,
    reply_to: str | None = None,
    campaign_id: int | None = None,
) -> OutboundResult:
    """Send ``content`` in ``conversation`` and record it. Refuses free-form content outside the 24-hour window.

    Raises :class:`Conflict` (window closed) before anything is sent; a Meta refusal is recorded as a failed
    message and re-raised; a lost answer is recorded as ``unknown`` and returned.
    """
    if content.type != "template" and not window_open(conversation.last_inbound_at):
        raise Conflict(
            "the 24-hour customer service window is closed: the contact has not written in the last 24 hours",
            hint="send an approved template instead (type 'template'); free-form messages resume when they reply",
        )
    identity = await sending_identity(services, conversation.tenant_id, conversation.phone_number_id)
    attempt = uuid7()
    message = OutgoingMessage(to=to, content=content, reply_to=reply_to, callback_data=f"m:{attempt}")
    now = utcnow()
    row: dict[str, Any] = {
        "id": attempt,
        "created_at": now,
        "tenant_id": conversation.tenant_id,
        "conversation_id": conversation.id,
        "direction": "out",
        "type": content.type,
        "body": _summary(content),
        "payload": message.to_payload(),
        "sent_by_user_id": sent_by_user_id,
        "campaign_id": campaign_id,
        "status_at": now,
        "wamid": None,
        "error_code": None,
        "error": None,
    }
    failure: CloudApiError | None = None
    try:
        sent = await services.cloud_api.send_message(identity.phone_number_id, message, token=identity.access_token)
        row.update(status="sent", wamid=sent.message_id)
    except SendOutcomeUnknown:
        row.update(status="unknown")
    except CloudApiError as exc:
        failure = exc
        row.update(status="failed", error_code=exc.error_code, error={"code": exc.error_code, "message": exc.message})
    async with services.db.connect(Scope.tenant(conversation.tenant_id), write=True) as conn:
        await conn.execute(insert(Message), [row])
        await conn.execute(update(Conversation).where(Conversation.id == conversation.id).values(last_message_at=now))
    await services.events.publish([
        DomainEvent.create(
            conversation.tenant_id, EventType.MESSAGE_SENT,
            {"conversation_id": conversation.id, "message_id": str(attempt), "status": row["status"],
             "wamid": row["wamid"], "type": content.type, "text": row["body"], "sent_by_user_id": sent_by_user_id},
            conversation_id=conversation.id, assignee_user_id=conversation.assignee_user_id,
        )
    ])  # fmt: skip
    if failure is not None:
        raise failure
    return OutboundResult(attempt, now, row["status"], row["wamid"], row["error_code"], row["error"])
