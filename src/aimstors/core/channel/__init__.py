"""The WhatsApp channel: Meta's Cloud API client and its typed webhook updates.

Sending (``client``, ``messages``, ``interactive``, ``template_message``, ``contact_cards``)::

    async with CloudApiClient.from_settings(settings, access_token=token) as client:
        message = OutgoingMessage("+16505551234", Text("Your order shipped"), callback_data=attempt_id)
        sent = await client.send_message(phone_number_id, message)       # SendResult(message_id="wamid…")

Sections of the client: ``client.media`` (upload/get/download/delete), ``client.templates``
(create/list/get/edit/delete), ``client.phone_numbers`` (info, register, subscribed_apps) and
``client.signup`` (Embedded Signup: code exchange, subscribe, register).

Failures are typed (``errors``): Meta's error codes map to classes with a ``retryable`` flag, and a request
whose answer never came raises :class:`SendOutcomeUnknown` — never reported as sent or failed.

Receiving (``updates``, ``inbound``, ``statuses``, ``account_updates``)::

    event = verify_and_parse(raw_body, signature_header, settings.meta_app_secret)
    for phone_number_id, update in event.updates(): ...
"""

from __future__ import annotations

from aimstors.core.channel.account_updates import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    PhoneNumberQualityUpdate,
    TemplateCategoryUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)
from aimstors.core.channel.client import CloudApiClient, SendResult
from aimstors.core.channel.contact_cards import (
    ContactAddress,
    ContactCard,
    ContactEmail,
    ContactOrg,
    ContactPhone,
    Contacts,
    ContactUrl,
)
from aimstors.core.channel.enums import (
    ChangeField,
    InteractiveType,
    MessageType,
    PricingCategory,
    PricingType,
    QualityScore,
    StatusKind,
    TemplateCategory,
    TemplateEvent,
)
from aimstors.core.channel.errors import (
    ERROR_CLASSES,
    AuthenticationError,
    CloudApiError,
    CloudApiUnreachable,
    InvalidParameter,
    InvalidResponse,
    MarketingLimitReached,
    MetaApiError,
    MissingPermission,
    PairRateLimited,
    ReengagementRequired,
    SendOutcomeUnknown,
    TemplateError,
    ThrottlingError,
    TransientError,
    Undeliverable,
    UnknownApiError,
    error_from_response,
)
from aimstors.core.channel.graph import GraphApi
from aimstors.core.channel.inbound import Contact, InboundMessage
from aimstors.core.channel.interactive import (
    ListMessage,
    ListRow,
    ListSection,
    MediaHeader,
    ReplyButton,
    ReplyButtons,
    TextHeader,
)
from aimstors.core.channel.media import MediaInfo
from aimstors.core.channel.messages import (
    Audio,
    Document,
    Image,
    Location,
    OutgoingMessage,
    Reaction,
    Sticker,
    Text,
    Video,
    mark_read_payload,
)
from aimstors.core.channel.phone_numbers import PhoneNumberInfo
from aimstors.core.channel.signup import BusinessToken, SignupResult
from aimstors.core.channel.statuses import Conversation, MessageStatus, Pricing
from aimstors.core.channel.template_message import (
    CurrencyParam,
    DateTimeParam,
    MediaParam,
    OtpButton,
    QuickReplyButton,
    Template,
    TextParam,
    UrlButton,
)
from aimstors.core.channel.templates_api import CreatedTemplate, TemplateInfo
from aimstors.core.channel.transport import AiohttpTransport, HttpResponse, MultipartField, Transport
from aimstors.core.channel.updates import (
    Change,
    Entry,
    MalformedWebhook,
    MessagesChange,
    UnknownChange,
    Update,
    WebhookEvent,
    parse_event,
    verify_and_parse,
)
from aimstors.core.channel.webhook_errors import ErrorInfo

__all__ = [
    "ERROR_CLASSES",
    "AccountUpdate",
    "AiohttpTransport",
    "Audio",
    "AuthenticationError",
    "BusinessCapabilityUpdate",
    "BusinessToken",
    "Change",
    "ChangeField",
    "CloudApiClient",
    "CloudApiError",
    "CloudApiUnreachable",
    "Contact",
    "ContactAddress",
    "ContactCard",
    "ContactEmail",
    "ContactOrg",
    "ContactPhone",
    "ContactUrl",
    "Contacts",
    "Conversation",
    "CreatedTemplate",
    "CurrencyParam",
    "DateTimeParam",
    "Document",
    "Entry",
    "ErrorInfo",
    "GraphApi",
    "HttpResponse",
    "Image",
    "InboundMessage",
    "InteractiveType",
    "InvalidParameter",
    "InvalidResponse",
    "ListMessage",
    "ListRow",
    "ListSection",
    "Location",
    "MalformedWebhook",
    "MarketingLimitReached",
    "MediaHeader",
    "MediaInfo",
    "MediaParam",
    "MessageStatus",
    "MessageType",
    "MessagesChange",
    "MetaApiError",
    "MissingPermission",
    "MultipartField",
    "OtpButton",
    "OutgoingMessage",
    "PairRateLimited",
    "PhoneNumberInfo",
    "PhoneNumberQualityUpdate",
    "Pricing",
    "PricingCategory",
    "PricingType",
    "QualityScore",
    "QuickReplyButton",
    "Reaction",
    "ReengagementRequired",
    "ReplyButton",
    "ReplyButtons",
    "SendOutcomeUnknown",
    "SendResult",
    "SignupResult",
    "StatusKind",
    "Sticker",
    "Template",
    "TemplateCategory",
    "TemplateCategoryUpdate",
    "TemplateError",
    "TemplateEvent",
    "TemplateInfo",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
    "Text",
    "TextHeader",
    "TextParam",
    "ThrottlingError",
    "TransientError",
    "Transport",
    "Undeliverable",
    "UnknownApiError",
    "UnknownChange",
    "Update",
    "UrlButton",
    "Video",
    "WebhookEvent",
    "error_from_response",
    "mark_read_payload",
    "parse_event",
    "verify_and_parse",
]
