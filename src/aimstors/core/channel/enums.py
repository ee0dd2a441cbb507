"""Enumerations of webhook values that keep working when Meta adds new ones.

Each is a :class:`~enum.StrEnum` whose lookup never fails: an unknown value maps to ``UNKNOWN`` (the raw
string stays in the update's ``raw`` payload and ``*_name`` field). Lookups ignore case and treat ``-`` like
``_`` (Meta writes ``authentication-international`` in one place and ``authentication_international`` in
another).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

__all__ = [
    "MEDIA_TYPES",
    "ChangeField",
    "ForwardCompatibleEnum",
    "InteractiveType",
    "MessageType",
    "PricingCategory",
    "PricingType",
    "QualityScore",
    "StatusKind",
    "TemplateCategory",
    "TemplateEvent",
]


class ForwardCompatibleEnum(StrEnum):
    """A StrEnum with an ``UNKNOWN`` member that absorbs values it does not know."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        if isinstance(value, str):
            wanted = value.strip().lower().replace("-", "_")
            for member in cls:
                if member.value.lower() == wanted:
                    return member
        return cls.__members__["UNKNOWN"]

    @classmethod
    def parse(cls, value: object) -> Self:
        """The member for ``value`` (any type); ``UNKNOWN`` for ``None`` or anything unrecognised."""
        if not isinstance(value, str):
            return cls.__members__["UNKNOWN"]
        return cls(value)


class MessageType(ForwardCompatibleEnum):
    """``messages[].type`` of an inbound message. ``UNKNOWN`` is also what Meta itself sends as ``unknown``."""

    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    REACTION = "reaction"
    BUTTON = "button"
    INTERACTIVE = "interactive"
    ORDER = "order"
    SYSTEM = "system"
    REQUEST_WELCOME = "request_welcome"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"


MEDIA_TYPES = frozenset(
    {MessageType.IMAGE, MessageType.VIDEO, MessageType.AUDIO, MessageType.DOCUMENT, MessageType.STICKER}
)


class InteractiveType(ForwardCompatibleEnum):
    BUTTON_REPLY = "button_reply"
    LIST_REPLY = "list_reply"
    NFM_REPLY = "nfm_reply"  # a Flow (or address message) was submitted
    UNKNOWN = "unknown"


class StatusKind(ForwardCompatibleEnum):
    """``statuses[].status``: sent < delivered < read; failed is terminal; played = voice note played."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class PricingCategory(ForwardCompatibleEnum):
    """``pricing.category`` and ``conversation.origin.type``."""

    AUTHENTICATION = "authentication"
    AUTHENTICATION_INTERNATIONAL = "authentication_international"
    MARKETING = "marketing"
    MARKETING_LITE = "marketing_lite"
    UTILITY = "utility"
    SERVICE = "service"
    REFERRAL_CONVERSION = "referral_conversion"
    UNKNOWN = "unknown"


class PricingType(ForwardCompatibleEnum):
    REGULAR = "regular"
    FREE_CUSTOMER_SERVICE = "free_customer_service"
    FREE_ENTRY_POINT = "free_entry_point"
    UNKNOWN = "unknown"


class TemplateEvent(ForwardCompatibleEnum):
    """``message_template_status_update`` ``event``."""

    APPROVED = "APPROVED"
    PENDING = "PENDING"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"
    IN_APPEAL = "IN_APPEAL"
    FLAGGED = "FLAGGED"
    REINSTATED = "REINSTATED"
    PENDING_DELETION = "PENDING_DELETION"
    DELETED = "DELETED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    ARCHIVED = "ARCHIVED"
    UNARCHIVED = "UNARCHIVED"
    LOCKED = "LOCKED"
    UNKNOWN = "UNKNOWN"


class TemplateCategory(ForwardCompatibleEnum):
    MARKETING = "MARKETING"
    UTILITY = "UTILITY"
    AUTHENTICATION = "AUTHENTICATION"
    UNKNOWN = "UNKNOWN"


class QualityScore(ForwardCompatibleEnum):
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
    UNKNOWN = "UNKNOWN"


class ChangeField(ForwardCompatibleEnum):
    """``entry[].changes[].field``: what a change is about (the webhook field the app subscribed to)."""

    MESSAGES = "messages"
    MESSAGE_TEMPLATE_STATUS_UPDATE = "message_template_status_update"
    MESSAGE_TEMPLATE_QUALITY_UPDATE = "message_template_quality_update"
    TEMPLATE_CATEGORY_UPDATE = "template_category_update"
    ACCOUNT_UPDATE = "account_update"
    PHONE_NUMBER_QUALITY_UPDATE = "phone_number_quality_update"
    BUSINESS_CAPABILITY_UPDATE = "business_capability_update"
    GROUP_LIFECYCLE_UPDATE = "group_lifecycle_update"
    GROUP_SETTINGS_UPDATE = "group_settings_update"
    GROUP_PARTICIPANTS_UPDATE = "group_participants_update"
    GROUP_PARTICIPANT_UPDATE = "group_participant_update"  # the spec's enum spelling; its example is plural
    UNKNOWN = "unknown"
