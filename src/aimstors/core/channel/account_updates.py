"""Account-level webhook updates: templates (status, quality, category), the WABA, its numbers' limits.

These arrive per WhatsApp Business Account (``entry[].id`` = ``waba_id``, ``entry[].time`` = ``time``), not per
phone number. Template ids are integers in these payloads and strings elsewhere; here they are strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.enums import QualityScore, TemplateCategory, TemplateEvent
from aimstors.core.channel.json_fields import integer, mapping, text

__all__ = [
    "AccountUpdate",
    "BusinessCapabilityUpdate",
    "PhoneNumberQualityUpdate",
    "TemplateCategoryUpdate",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
]


@dataclass(frozen=True, slots=True)
class TemplateStatusUpdate:
    """``message_template_status_update``: a template was approved, rejected, paused, disabled, …

    ``reason`` explains rejections (``INVALID_FORMAT``, ``PROMOTIONAL``, … or ``NONE``); ``other_info_title``
    names pauses (``FIRST_PAUSE``, ``SECOND_PAUSE``, ``UNPAUSE``, …).
    """

    waba_id: str | None
    time: int | None
    event: TemplateEvent
    event_name: str | None
    template_id: str | None
    template_name: str | None
    language: str | None
    category: TemplateCategory | None
    reason: str | None
    other_info_title: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> TemplateStatusUpdate:
        event = text(value, "event")
        category = text(value, "message_template_category")
        return cls(
            waba_id=waba_id,
            time=time,
            event=TemplateEvent.parse(event),
            event_name=event,
            template_id=text(value, "message_template_id"),
            template_name=text(value, "message_template_name"),
            language=text(value, "message_template_language"),
            category=TemplateCategory.parse(category) if category else None,
            reason=text(value, "reason"),
            other_info_title=text(mapping(value, "other_info"), "title"),
            raw=value,
        )


@dataclass(frozen=True, slots=True)
class TemplateQualityUpdate:
    """``message_template_quality_update``: a template's quality score changed (RED risks a pause)."""

    waba_id: str | None
    time: int | None
    template_id: str | None
    template_name: str | None
    language: str | None
    previous_quality: QualityScore
    new_quality: QualityScore
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> TemplateQualityUpdate:
        return cls(
            waba_id=waba_id,
            time=time,
            template_id=text(value, "message_template_id"),
            template_name=text(value, "message_template_name"),
            language=text(value, "message_template_language"),
            previous_quality=QualityScore.parse(text(value, "previous_quality_score")),
            new_quality=QualityScore.parse(text(value, "new_quality_score")),
            raw=value,
        )


@dataclass(frozen=True, slots=True)
class TemplateCategoryUpdate:
    """``template_category_update``: Meta recategorised a template, or will (``correct_category`` at
    ``category_update_timestamp``; ``new_category`` is then still the current one)."""

    waba_id: str | None
    time: int | None
    template_id: str | None
    template_name: str | None
    language: str | None
    previous_category: TemplateCategory | None
    new_category: TemplateCategory | None
    correct_category: TemplateCategory | None
    category_update_timestamp: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_impending(self) -> bool:
        return self.correct_category is not None

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> TemplateCategoryUpdate:
        def category(key: str) -> TemplateCategory | None:
            name = text(value, key)
            return TemplateCategory.parse(name) if name else None

        return cls(
            waba_id=waba_id,
            time=time,
            template_id=text(value, "message_template_id"),
            template_name=text(value, "message_template_name"),
            language=text(value, "message_template_language"),
            previous_category=category("previous_category"),
            new_category=category("new_category"),
            correct_category=category("correct_category"),
            category_update_timestamp=integer(value, "category_update_timestamp"),
            raw=value,
        )


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """``account_update``: the WABA was deleted, restricted, banned, shared with a partner, …

    ``event`` is kept as Meta's string (``ACCOUNT_DELETED``, ``ACCOUNT_VIOLATION``, ``DISABLED_UPDATE``,
    ``PARTNER_APP_INSTALLED``, ``VOLUME_BASED_PRICING_TIER_UPDATE``, …); details are in ``raw``.
    """

    waba_id: str | None
    time: int | None
    event: str | None
    ban_state: str | None
    violation_type: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> AccountUpdate:
        return cls(
            waba_id=waba_id,
            time=time,
            event=text(value, "event"),
            ban_state=text(mapping(value, "ban_info"), "waba_ban_state"),
            violation_type=text(mapping(value, "violation_info"), "violation_type"),
            raw=value,
        )


@dataclass(frozen=True, slots=True)
class PhoneNumberQualityUpdate:
    """``phone_number_quality_update``: a number's messaging limit or throughput changed.

    ``event``: ``FLAGGED``, ``UNFLAGGED``, ``UPGRADE``, ``DOWNGRADE``, ``ONBOARDING``, ``THROUGHPUT_UPGRADE``.
    ``messaging_limit`` prefers ``max_daily_conversations_per_business`` over the deprecated ``current_limit``.
    The payload names the number by ``display_phone_number`` only (no phone-number id).
    """

    waba_id: str | None
    time: int | None
    display_phone_number: str | None
    event: str | None
    messaging_limit: str | None
    old_limit: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> PhoneNumberQualityUpdate:
        return cls(
            waba_id=waba_id,
            time=time,
            display_phone_number=text(value, "display_phone_number"),
            event=text(value, "event"),
            messaging_limit=text(value, "max_daily_conversations_per_business") or text(value, "current_limit"),
            old_limit=text(value, "old_limit"),
            raw=value,
        )


@dataclass(frozen=True, slots=True)
class BusinessCapabilityUpdate:
    """``business_capability_update``: the portfolio's messaging limit or number caps changed.

    ``max_daily_conversations_per_business`` is a tier (``TIER_2K`` …) or a number (examples disagree), kept
    as text; the deprecated ``max_daily_conversation_per_phone`` is an int (-1 = unlimited).
    """

    waba_id: str | None
    time: int | None
    max_daily_conversations_per_business: str | None
    max_daily_conversation_per_phone: int | None
    max_phone_numbers_per_business: int | None
    max_phone_numbers_per_waba: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> BusinessCapabilityUpdate:
        return cls(
            waba_id=waba_id,
            time=time,
            max_daily_conversations_per_business=text(value, "max_daily_conversations_per_business"),
            max_daily_conversation_per_phone=integer(value, "max_daily_conversation_per_phone"),
            max_phone_numbers_per_business=integer(value, "max_phone_numbers_per_business"),
            max_phone_numbers_per_waba=integer(value, "max_phone_numbers_per_waba"),
            raw=value,
        )
