"""Status updates of messages the business sent: sent → delivered → read (or failed, played, deleted).

Webhooks arrive out of order and sometimes twice; a status never moves a message backwards (apply with
:attr:`MessageStatus.rank`). ``biz_opaque_callback_data`` is the value given at send time, so a send whose
HTTP answer was lost can be matched here. ``pricing`` comes with ``sent`` and one of ``delivered``/``read``;
``conversation`` is omitted from v24.0 webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.enums import PricingCategory, PricingType, StatusKind
from aimstors.core.channel.json_fields import flag, integer, mapping, text
from aimstors.core.channel.webhook_errors import ErrorInfo, error_infos

__all__ = ["Conversation", "MessageStatus", "Pricing"]

_RANK = {
    StatusKind.SENT: 1,
    StatusKind.DELIVERED: 2,
    StatusKind.READ: 3,
    StatusKind.PLAYED: 4,
    StatusKind.FAILED: 5,
    StatusKind.DELETED: 5,
}


@dataclass(frozen=True, slots=True)
class Pricing:
    """How this message is billed: ``category`` (marketing, utility, …), ``type`` (regular or free_*)."""

    billable: bool | None
    pricing_model: str | None
    category: PricingCategory
    category_name: str | None
    type: PricingType
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pricing:
        category = text(data, "category")
        return cls(
            billable=flag(data, "billable"),
            pricing_model=text(data, "pricing_model"),
            category=PricingCategory.parse(category),
            category_name=category,
            type=PricingType.parse(text(data, "type")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str | None
    origin: PricingCategory
    origin_name: str | None
    expiration_timestamp: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conversation:
        origin = text(mapping(data, "origin"), "type")
        return cls(
            id=text(data, "id"),
            origin=PricingCategory.parse(origin),
            origin_name=origin,
            expiration_timestamp=integer(data, "expiration_timestamp"),
        )


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """One ``statuses[]`` item about message ``id`` (the ``wamid`` returned by the send).

    ``recipient_id`` is the user's phone number, or the group id for group sends (``recipient_type="group"``,
    ``recipient_participant_id`` = the member); for business-scoped user ids ``recipient_user_id`` is set and
    ``recipient_id`` may be absent.
    """

    id: str | None
    status: StatusKind
    status_name: str | None
    timestamp: int | None
    recipient_id: str | None
    recipient_user_id: str | None
    parent_recipient_user_id: str | None
    recipient_type: str | None
    recipient_participant_id: str | None
    group_id: str | None
    biz_opaque_callback_data: str | None
    pricing: Pricing | None
    conversation: Conversation | None
    errors: tuple[ErrorInfo, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessageStatus:
        status = text(data, "status")
        pricing = mapping(data, "pricing")
        conversation = mapping(data, "conversation")
        return cls(
            id=text(data, "id"),
            status=StatusKind.parse(status),
            status_name=status,
            timestamp=integer(data, "timestamp"),
            recipient_id=text(data, "recipient_id"),
            recipient_user_id=text(data, "recipient_user_id"),
            parent_recipient_user_id=text(data, "parent_recipient_user_id") or text(data, "parent_user_id"),
            recipient_type=text(data, "recipient_type"),
            recipient_participant_id=text(data, "recipient_participant_id"),
            group_id=text(data, "group_id"),
            biz_opaque_callback_data=text(data, "biz_opaque_callback_data"),
            pricing=Pricing.from_dict(pricing) if pricing else None,
            conversation=Conversation.from_dict(conversation) if conversation else None,
            errors=error_infos(data),
            raw=data,
        )

    @property
    def rank(self) -> int:
        """Order of progress (sent 1 < delivered 2 < read 3 < played 4; failed/deleted 5, unknown 0): apply a
        status only when its rank is higher than the one already recorded."""
        return _RANK.get(self.status, 0)

    @property
    def is_terminal(self) -> bool:
        return self.status in (StatusKind.FAILED, StatusKind.DELETED)
