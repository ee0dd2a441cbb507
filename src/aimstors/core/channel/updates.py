"""Meta's webhook POST, verified and parsed into immutable updates that keep their raw payload.

    event = verify_and_parse(body, request.headers.get("X-Hub-Signature-256"), settings.meta_app_secret)
    for phone_number_id, update in event.updates():
        match update:
            case InboundMessage(): ...        # a user wrote (phone_number_id = the business number it reached)
            case MessageStatus(): ...         # sent / delivered / read / failed of something we sent
            case TemplateStatusUpdate(): ...  # WABA-level updates: phone_number_id is None, use .waba_id

The envelope is ``{"object", "entry": [{"id": <waba id>, "time", "changes": [{"field", "value"}]}]}``; one POST
may batch many entries and changes. Parsing never fails on content: unknown fields, types and enum values
become :class:`UnknownChange` / ``UNKNOWN`` with the raw data kept, so events can be stored and replayed.
Only a body that is not a JSON object raises :class:`MalformedWebhook`.

The signature is checked on the exact bytes received (Meta signs its ASCII-escaped serialisation), before
anything is parsed. For a stored event (replay), call :func:`parse_event` on its JSON.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aimstors.core.channel.account_updates import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    PhoneNumberQualityUpdate,
    TemplateCategoryUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)
from aimstors.core.channel.enums import ChangeField
from aimstors.core.channel.inbound import Contact, InboundMessage
from aimstors.core.channel.json_fields import integer, items, mapping, text
from aimstors.core.channel.statuses import MessageStatus
from aimstors.core.channel.webhook_errors import ErrorInfo, error_infos
from aimstors.core.errors import InvalidInput
from aimstors.core.security import webhook_signature

__all__ = [
    "Change",
    "ChangeValue",
    "Entry",
    "GroupEvent",
    "MalformedWebhook",
    "MessagesChange",
    "UnknownChange",
    "Update",
    "WebhookEvent",
    "parse_event",
    "verify_and_parse",
]


class MalformedWebhook(InvalidInput):
    """The (correctly signed) body is not a JSON object."""

    code = "malformed_webhook"


@dataclass(frozen=True, slots=True)
class GroupEvent:
    """A group lifecycle/settings/participants event (``value.groups[]``); details are in ``raw``."""

    group_id: str | None
    type_name: str | None
    timestamp: int | None
    request_id: str | None
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupEvent:
        return cls(
            group_id=text(data, "group_id"),
            type_name=text(data, "type"),
            timestamp=integer(data, "timestamp"),
            request_id=text(data, "request_id"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class MessagesChange:
    """A ``messages`` (or group) change for one business number: inbound messages with their senders,
    statuses of sent messages, errors about the number or app, group events."""

    phone_number_id: str | None
    display_phone_number: str | None
    contacts: tuple[Contact, ...]
    messages: tuple[InboundMessage, ...]
    statuses: tuple[MessageStatus, ...]
    errors: tuple[ErrorInfo, ...]
    groups: tuple[GroupEvent, ...]
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> MessagesChange:
        metadata = mapping(value, "metadata")
        contacts = tuple(Contact.from_dict(c) for c in items(value, "contacts"))
        return cls(
            phone_number_id=text(metadata, "phone_number_id"),
            display_phone_number=text(metadata, "display_phone_number"),
            contacts=contacts,
            messages=tuple(InboundMessage.from_dict(m, contacts) for m in items(value, "messages")),
            statuses=tuple(MessageStatus.from_dict(s) for s in items(value, "statuses")),
            errors=error_infos(value),
            groups=tuple(GroupEvent.from_dict(g) for g in items(value, "groups")),
            raw=value,
        )


@dataclass(frozen=True, slots=True)
class UnknownChange:
    """A change whose ``field`` aimstors does not handle (yet); ``phone_number_id`` is set when the value has
    ``metadata``, so it can still be routed and stored."""

    field_name: str | None
    phone_number_id: str | None
    waba_id: str | None
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)


ChangeValue = (
    MessagesChange
    | TemplateStatusUpdate
    | TemplateQualityUpdate
    | TemplateCategoryUpdate
    | AccountUpdate
    | PhoneNumberQualityUpdate
    | BusinessCapabilityUpdate
    | UnknownChange
)

Update = (
    InboundMessage
    | MessageStatus
    | ErrorInfo
    | GroupEvent
    | TemplateStatusUpdate
    | TemplateQualityUpdate
    | TemplateCategoryUpdate
    | AccountUpdate
    | PhoneNumberQualityUpdate
    | BusinessCapabilityUpdate
    | UnknownChange
)

_ACCOUNT_PARSERS: dict[ChangeField, Callable[..., ChangeValue]] = {
    ChangeField.MESSAGE_TEMPLATE_STATUS_UPDATE: TemplateStatusUpdate.from_dict,
    ChangeField.MESSAGE_TEMPLATE_QUALITY_UPDATE: TemplateQualityUpdate.from_dict,
    ChangeField.TEMPLATE_CATEGORY_UPDATE: TemplateCategoryUpdate.from_dict,
    ChangeField.ACCOUNT_UPDATE: AccountUpdate.from_dict,
    ChangeField.PHONE_NUMBER_QUALITY_UPDATE: PhoneNumberQualityUpdate.from_dict,
    ChangeField.BUSINESS_CAPABILITY_UPDATE: BusinessCapabilityUpdate.from_dict,
}
_MESSAGE_FIELDS = frozenset(
    {
        ChangeField.MESSAGES,
        ChangeField.GROUP_LIFECYCLE_UPDATE,
        ChangeField.GROUP_SETTINGS_UPDATE,
        ChangeField.GROUP_PARTICIPANTS_UPDATE,
        ChangeField.GROUP_PARTICIPANT_UPDATE,
    }
)


@dataclass(frozen=True, slots=True)
class Change:
    field: ChangeField
    field_name: str | None
    value: ChangeValue
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, waba_id: str | None, time: int | None) -> Change:
        field_name = text(data, "field")
        kind = ChangeField.parse(field_name)
        value = mapping(data, "value")
        parsed: ChangeValue
        account_parser = _ACCOUNT_PARSERS.get(kind)
        if kind in _MESSAGE_FIELDS:
            parsed = MessagesChange.from_dict(value)
        elif account_parser is not None:
            parsed = account_parser(value, waba_id=waba_id, time=time)
        else:
            parsed = UnknownChange(
                field_name=field_name,
                phone_number_id=text(mapping(value, "metadata"), "phone_number_id"),
                waba_id=waba_id,
                raw=value,
            )
        return cls(field=kind, field_name=field_name, value=parsed, raw=data)


@dataclass(frozen=True, slots=True)
class Entry:
    """Changes for one WhatsApp Business Account (``id``); ``time`` is set on account-level webhooks."""

    id: str | None
    time: int | None
    changes: tuple[Change, ...]
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entry:
        waba_id = text(data, "id")
        time = integer(data, "time")
        changes = tuple(Change.from_dict(c, waba_id=waba_id, time=time) for c in items(data, "changes"))
        return cls(id=waba_id, time=time, changes=changes, raw=data)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One webhook POST: ``object`` is ``whatsapp_business_account``; ``entries`` in the order sent."""

    object: str | None
    entries: tuple[Entry, ...]
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WebhookEvent:
        return cls(
            object=text(data, "object"),
            entries=tuple(Entry.from_dict(e) for e in items(data, "entry")),
            raw=data,
        )

    def updates(self) -> Iterator[tuple[str | None, Update]]:
        """Every update with the business phone-number id it concerns (for routing to a tenant).

        Per ``messages`` change: inbound messages, then statuses, then value-level errors, then group
        events. Account-level updates (templates, WABA, limits) come with ``None``: route them by ``waba_id``.
        """
        for entry in self.entries:
            for change in entry.changes:
                value = change.value
                if isinstance(value, MessagesChange):
                    pnid = value.phone_number_id
                    for message in value.messages:
                        yield pnid, message
                    for status in value.statuses:
                        yield pnid, status
                    for error in value.errors:
                        yield pnid, error
                    for group in value.groups:
                        yield pnid, group
                elif isinstance(value, UnknownChange):
                    yield value.phone_number_id, value
                else:
                    yield None, value


def parse_event(data: Any) -> WebhookEvent:
    """Parse an already-decoded webhook body (e.g. a stored event being replayed)."""
    if not isinstance(data, Mapping):
        raise MalformedWebhook("webhook body is not a JSON object")
    return WebhookEvent.from_dict(data)


def verify_and_parse(body: bytes, signature_header: str | None, app_secret: str) -> WebhookEvent:
    """Check ``X-Hub-Signature-256`` over the exact ``body`` bytes, then parse it.

    Raises :class:`~aimstors.core.security.webhook_signature.SignatureMissing` (answer 401) or
    ``SignatureInvalid`` (403) before looking at the content, :class:`MalformedWebhook` for a signed body
    that is not a JSON object, and ``ConfigError`` when ``app_secret`` is empty. Large bodies (up to 3 MB)
    parse in a few milliseconds; run it in a thread if that matters for the caller's loop.
    """
    webhook_signature.verify(body, signature_header, app_secret)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedWebhook("webhook body is not valid JSON") from None
    return parse_event(data)
