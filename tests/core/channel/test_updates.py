"""Webhook POSTs: signature over the raw bytes, then a typed, forward-compatible parse that keeps the raw data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aimstors.core.channel import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    ChangeField,
    ErrorInfo,
    InboundMessage,
    InteractiveType,
    MalformedWebhook,
    MessagesChange,
    MessageStatus,
    MessageType,
    PhoneNumberQualityUpdate,
    PricingCategory,
    PricingType,
    QualityScore,
    StatusKind,
    TemplateCategory,
    TemplateCategoryUpdate,
    TemplateEvent,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownChange,
    WebhookEvent,
    parse_event,
    verify_and_parse,
)
from aimstors.core.channel.updates import GroupEvent
from aimstors.core.security import SignatureInvalid, SignatureMissing, meta_json_dumps, webhook_signature

Load = Callable[[str], dict[str, Any]]
SECRET = "test-app-secret-0123456789abcdef"
PNID = "106540352242922"
WABA = "102290129340398"


def only_message(event: WebhookEvent) -> InboundMessage:
    updates = [u for _, u in event.updates()]
    assert len(updates) == 1
    assert isinstance(updates[0], InboundMessage)
    return updates[0]


def statuses(event: WebhookEvent) -> list[MessageStatus]:
    return [u for _, u in event.updates() if isinstance(u, MessageStatus)]


# --- signature ---------------------------------------------------------------------------------------------


def signed(payload: dict[str, Any]) -> tuple[bytes, str]:
    body = meta_json_dumps(payload)  # Meta's ASCII-escaped serialisation
    return body, webhook_signature.sign(body, SECRET)


def test_non_ascii_body_signed_like_meta_verifies_and_parses(webhook_payload: Load) -> None:
    payload = webhook_payload("text")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "äöå — ça va? 😀 https://x.example/p"
    body, signature = signed(payload)
    assert body.isascii() and b"\\u00e4\\u00f6\\u00e5" in body and b"\\ud83d\\ude00" in body
    message = only_message(verify_and_parse(body, signature, SECRET))
    assert message.text == "äöå — ça va? 😀 https://x.example/p"


def test_reserialised_body_does_not_verify(webhook_payload: Load) -> None:
    payload = webhook_payload("contacts")  # contains "Lucía Gómez"
    body, signature = signed(payload)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    with pytest.raises(SignatureInvalid):
        verify_and_parse(reserialised, signature, SECRET)


def test_missing_and_wrong_signatures_are_refused_before_parsing() -> None:
    with pytest.raises(SignatureMissing):
        verify_and_parse(b"not json at all", None, SECRET)
    with pytest.raises(SignatureInvalid):
        verify_and_parse(b"not json at all", "sha256=" + "0" * 64, SECRET)


def test_signed_body_that_is_not_a_json_object_is_malformed() -> None:
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        with pytest.raises(MalformedWebhook):
            verify_and_parse(body, webhook_signature.sign(body, SECRET), SECRET)


# --- every recorded payload ---------------------------------------------------------------------------------


def test_every_recorded_payload_parses_and_keeps_raw(recorded_webhook: Path) -> None:
    data = json.loads(recorded_webhook.read_text(encoding="utf-8"))
    body, signature = signed(data)
    event = verify_and_parse(body, signature, SECRET)
    assert event.raw == data
    updates = list(event.updates())
    assert updates, "every recorded payload carries at least one update"
    for _, update in updates:
        assert update.raw is not None


# --- inbound messages ---------------------------------------------------------------------------------------


def test_text(webhook_payload: Load) -> None:
    event = parse_event(webhook_payload("text"))
    assert event.object == "whatsapp_business_account"
    (pnid, message), *_ = event.updates()
    assert pnid == PNID
    assert isinstance(message, InboundMessage)
    assert message.type is MessageType.TEXT and message.type_name == "text"
    assert message.text == "Does it come in another color?"
    assert message.from_wa_id == "16505551234"
    assert message.timestamp == 1749416383
    assert message.contact is not None and message.contact.profile_name == "Sheena Nelson"
    assert message.media is None and message.context is None and message.errors == ()
    change = event.entries[0].changes[0]
    assert change.field is ChangeField.MESSAGES and event.entries[0].id == WABA
    assert isinstance(change.value, MessagesChange) and change.value.display_phone_number == "15550783881"


def test_reply_and_forwarded_context(webhook_payload: Load) -> None:
    reply, forwarded = (u for _, u in parse_event(webhook_payload("text_reply_forwarded")).updates())
    assert isinstance(reply, InboundMessage) and isinstance(forwarded, InboundMessage)
    assert reply.context is not None
    assert reply.context.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA"
    assert reply.context.from_number == "15550783881" and not reply.context.forwarded
    assert forwarded.context is not None and forwarded.context.id is None
    assert forwarded.context.forwarded and forwarded.context.frequently_forwarded


def test_click_to_whatsapp_referral(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("text_referral_ctwa")))
    assert message.referral is not None
    assert message.referral.source_type == "ad" and message.referral.source_id == "120226305854810726"
    assert message.referral.ctwa_clid is not None and message.referral.ctwa_clid.startswith("Aff-")
    assert message.referral.welcome_message == "Hi there! Let us know how we can help!"
    assert message.referral.raw["image_url"].startswith("https://")


@pytest.mark.parametrize(
    ("name", "kind", "media_id", "mime", "caption", "extra"),
    [
        ("image", MessageType.IMAGE, "1003383421387256", "image/jpeg", "Taj Mahal", {}),
        ("video", MessageType.VIDEO, "1948839695874560", "video/mp4", "Our garden", {}),
        ("audio_voice", MessageType.AUDIO, "1108946680856520", "audio/ogg; codecs=opus", None, {"voice": True}),
        ("document", MessageType.DOCUMENT, "1185183649738566", "application/pdf", "Invoice for March",
         {"filename": "invoice-2025-03.pdf"}),
        ("sticker", MessageType.STICKER, "1273395390890024", "image/webp", None, {"animated": True}),
    ],
)  # fmt: skip
def test_media(
    webhook_payload: Load,
    name: str,
    kind: MessageType,
    media_id: str,
    mime: str,
    caption: str | None,
    extra: dict[str, Any],
) -> None:
    message = only_message(parse_event(webhook_payload(name)))
    assert message.type is kind and message.media is not None
    media = message.media
    assert (media.id, media.mime_type, media.caption) == (media_id, mime, caption)
    assert media.url is not None and media.url.startswith("https://lookaside.fbsbx.com/")
    assert media.sha256 is not None and len(media.sha256) == 44
    for attribute, value in extra.items():
        assert getattr(media, attribute) == value


def test_location(webhook_payload: Load) -> None:
    location = only_message(parse_event(webhook_payload("location"))).location
    assert location is not None
    assert (location.latitude, location.longitude) == (37.44221496582, -122.16165924072)
    assert location.name == "Philz Coffee" and location.url == "https://philzcoffee.com/"


def test_shared_contacts(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("contacts")))
    assert message.type is MessageType.CONTACTS
    (card,) = message.contacts
    assert card.formatted_name == "Lucía Gómez"
    assert card.phones == (("+1 (983) 555-2319", "19835552319"),)
    assert card.raw["org"] == {"company": "Google"}


def test_reactions_added_and_removed(webhook_payload: Load) -> None:
    added, removed = (u for _, u in parse_event(webhook_payload("reaction")).updates())
    assert isinstance(added, InboundMessage) and isinstance(removed, InboundMessage)
    assert added.reaction is not None and added.reaction.emoji == "👍"
    assert added.reaction.message_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA"
    assert removed.reaction is not None and removed.reaction.emoji is None


def test_template_quick_reply_button(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("button")))
    assert message.button is not None and message.button.payload == "Unsubscribe"
    assert message.context is not None and message.context.id is not None


@pytest.mark.parametrize(
    ("name", "kind", "reply_id", "title"),
    [
        ("interactive_button_reply", InteractiveType.BUTTON_REPLY, "cancel-button", "Cancel"),
        ("interactive_list_reply", InteractiveType.LIST_REPLY, "priority_express", "Priority Mail Express"),
        ("interactive_nfm_reply", InteractiveType.NFM_REPLY, None, None),
    ],
)
def test_interactive_replies(
    webhook_payload: Load, name: str, kind: InteractiveType, reply_id: str | None, title: str | None
) -> None:
    message = only_message(parse_event(webhook_payload(name)))
    assert message.type is MessageType.INTERACTIVE and message.interactive is not None
    reply = message.interactive
    assert (reply.type, reply.id, reply.title) == (kind, reply_id, title)
    if kind is InteractiveType.LIST_REPLY:
        assert reply.description == "Next Day to 2 Days"
    if kind is InteractiveType.NFM_REPLY:
        assert reply.response_json is not None
        assert json.loads(reply.response_json)["appointment_date"] == "2025-07-01"


def test_order(webhook_payload: Load) -> None:
    order = only_message(parse_event(webhook_payload("order"))).order
    assert order is not None and order.catalog_id == "194836987003835" and order.text == ""
    assert [(i.product_retailer_id, i.quantity, i.item_price, i.currency) for i in order.items] == [
        ("di9ozbzfi4", 2, 30.0, "USD"),
        ("nqryix03ez", 1, 25.0, "USD"),
    ]


def test_system_message_without_contacts(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("system")))
    assert message.system is not None and message.system.type == "user_changed_number"
    assert message.system.wa_id == "12195555358"
    assert message.contact is None


def test_unsupported_message_keeps_its_errors(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("unsupported")))
    assert message.type is MessageType.UNSUPPORTED
    (error,) = message.errors
    assert (error.code, error.title, error.details) == (
        131051,
        "Message type unknown",
        "Message type is currently not supported.",
    )


def test_business_scoped_user_without_wa_id(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("bsuid_text")))
    assert message.from_wa_id is None
    assert message.from_user_id == "US.13491208655302741918"
    assert message.from_parent_user_id == "US.11815799212886844830"
    assert message.contact is not None
    assert message.contact.wa_id is None and message.contact.user_id == "US.13491208655302741918"
    assert message.contact.username == "@realsheenanelson"


# --- statuses -------------------------------------------------------------------------------------------------


def test_sent_delivered_read_with_pricing_conversation_and_callback(webhook_payload: Load) -> None:
    sent, delivered, read = statuses(parse_event(webhook_payload("statuses_sent_delivered_read")))
    assert [s.status for s in (sent, delivered, read)] == [StatusKind.SENT, StatusKind.DELIVERED, StatusKind.READ]
    assert sent.rank < delivered.rank < read.rank
    assert {s.biz_opaque_callback_data for s in (sent, delivered, read)} == {"attempt-0193f2c4"}
    assert sent.recipient_id == "16505551234" and sent.timestamp == 1750030073
    assert sent.pricing is not None
    assert (sent.pricing.billable, sent.pricing.pricing_model) == (True, "PMP")
    assert (sent.pricing.category, sent.pricing.type) == (PricingCategory.MARKETING, PricingType.REGULAR)
    assert sent.conversation is not None and sent.conversation.origin is PricingCategory.MARKETING
    assert sent.conversation.expiration_timestamp == 1750116480
    assert read.pricing is None and read.conversation is None


def test_failed_status_with_errors(webhook_payload: Load) -> None:
    (failed,) = statuses(parse_event(webhook_payload("status_failed")))
    assert failed.status is StatusKind.FAILED and failed.is_terminal
    assert failed.biz_opaque_callback_data == "attempt-0193f2c5"
    (error,) = failed.errors
    assert error.code == 131049 and error.href is not None and error.details is not None


def test_played_and_deleted(webhook_payload: Load) -> None:
    played, deleted = statuses(parse_event(webhook_payload("status_played_deleted")))
    assert played.status is StatusKind.PLAYED and deleted.status is StatusKind.DELETED


def test_free_and_international_pricing(webhook_payload: Load) -> None:
    service, auth = statuses(parse_event(webhook_payload("status_free_service")))
    assert service.pricing is not None and service.pricing.billable is False
    assert (service.pricing.category, service.pricing.type) == (
        PricingCategory.SERVICE,
        PricingType.FREE_CUSTOMER_SERVICE,
    )
    # Meta spells it with a hyphen in pricing and an underscore in the conversation origin.
    assert auth.pricing is not None and auth.pricing.category is PricingCategory.AUTHENTICATION_INTERNATIONAL
    assert auth.pricing.category_name == "authentication-international"
    assert auth.conversation is not None and auth.conversation.origin is PricingCategory.AUTHENTICATION_INTERNATIONAL


def test_group_status(webhook_payload: Load) -> None:
    (status,) = statuses(parse_event(webhook_payload("status_group")))
    assert status.recipient_type == "group" and status.recipient_participant_id == "16505551235"
    assert status.recipient_id == "Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD"


def test_status_for_business_scoped_user(webhook_payload: Load) -> None:
    event = parse_event(webhook_payload("status_bsuid"))
    (status,) = statuses(event)
    assert status.recipient_id is None and status.recipient_user_id == "US.13491208655302741918"
    assert status.parent_recipient_user_id == "US.11815799212886844830"
    change = event.entries[0].changes[0].value
    assert isinstance(change, MessagesChange) and change.contacts[0].username == "@pablomorales"


def test_value_level_errors(webhook_payload: Load) -> None:
    ((pnid, error),) = parse_event(webhook_payload("value_errors")).updates()
    assert pnid == PNID and isinstance(error, ErrorInfo)
    assert error.code == 130429 and error.details == "Cloud API message throughput has been reached."


# --- account-level updates ---------------------------------------------------------------------------------


def test_template_status_updates(webhook_payload: Load) -> None:
    rejected, paused = (u for _, u in parse_event(webhook_payload("message_template_status_update")).updates())
    assert isinstance(rejected, TemplateStatusUpdate) and isinstance(paused, TemplateStatusUpdate)
    assert rejected.event is TemplateEvent.REJECTED and rejected.reason == "INVALID_FORMAT"
    assert rejected.template_id == "1689556908129835"  # an integer in the payload
    assert rejected.template_name == "abandoned_cart" and rejected.language == "en-US"
    assert rejected.category is TemplateCategory.MARKETING
    assert (rejected.waba_id, rejected.time) == (WABA, 1751247548)
    assert paused.event is TemplateEvent.PAUSED and paused.other_info_title == "FIRST_PAUSE"
    assert paused.reason is None and paused.category is None


def test_template_quality_update(webhook_payload: Load) -> None:
    ((pnid, update),) = parse_event(webhook_payload("message_template_quality_update")).updates()
    assert pnid is None and isinstance(update, TemplateQualityUpdate)
    assert (update.previous_quality, update.new_quality) == (QualityScore.GREEN, QualityScore.RED)
    assert update.template_id == "806312974732579"


def test_template_category_updates(webhook_payload: Load) -> None:
    impending, done = (u for _, u in parse_event(webhook_payload("template_category_update")).updates())
    assert isinstance(impending, TemplateCategoryUpdate) and isinstance(done, TemplateCategoryUpdate)
    assert impending.is_impending and impending.correct_category is TemplateCategory.MARKETING
    assert impending.category_update_timestamp == 1760711433
    assert not done.is_impending
    assert (done.previous_category, done.new_category) == (TemplateCategory.UTILITY, TemplateCategory.MARKETING)


def test_account_updates(webhook_payload: Load) -> None:
    violation, disabled = (u for _, u in parse_event(webhook_payload("account_update")).updates())
    assert isinstance(violation, AccountUpdate) and isinstance(disabled, AccountUpdate)
    assert violation.event == "ACCOUNT_VIOLATION" and violation.violation_type == "ADULT"
    assert disabled.ban_state == "REINSTATE"


def test_account_update_as_meta_published_it(webhook_payload: Load) -> None:
    # Meta's own example has no "object" and puts "field" inside "value": kept, not crashed on.
    event = parse_event(webhook_payload("account_update_as_published"))
    assert event.object is None
    ((pnid, update),) = event.updates()
    assert pnid is None and isinstance(update, UnknownChange)
    assert update.field_name is None and update.raw["event"] == "PARTNER_APP_UNINSTALLED"


def test_phone_number_quality_update(webhook_payload: Load) -> None:
    ((_, update),) = parse_event(webhook_payload("phone_number_quality_update")).updates()
    assert isinstance(update, PhoneNumberQualityUpdate)
    assert update.event == "THROUGHPUT_UPGRADE" and update.messaging_limit == "TIER_UNLIMITED"
    assert update.display_phone_number == "15550783881"


def test_business_capability_update(webhook_payload: Load) -> None:
    ((_, update),) = parse_event(webhook_payload("business_capability_update")).updates()
    assert isinstance(update, BusinessCapabilityUpdate)
    assert update.max_daily_conversations_per_business == "2000"
    assert update.max_daily_conversation_per_phone == 2000 and update.max_phone_numbers_per_waba == 25


# --- forward compatibility and routing ------------------------------------------------------------------------


def test_unknown_types_values_and_fields_are_kept(webhook_payload: Load) -> None:
    updates = list(parse_event(webhook_payload("unknown_types")).updates())
    message, status, sync, template = (u for _, u in updates)
    assert isinstance(message, InboundMessage)
    assert message.type is MessageType.UNKNOWN and message.type_name == "hologram"
    assert message.raw["hologram"]["frames"] == 24 and message.text is None
    assert isinstance(status, MessageStatus)
    assert status.status is StatusKind.UNKNOWN and status.status_name == "teleported"
    assert status.pricing is not None
    assert status.pricing.category is PricingCategory.UNKNOWN and status.pricing.category_name == "quantum"
    assert status.pricing.type is PricingType.UNKNOWN
    assert isinstance(sync, UnknownChange) and sync.field_name == "smb_app_state_sync"
    assert updates[2][0] == PNID  # routed by its metadata
    assert isinstance(template, TemplateStatusUpdate)
    assert template.event is TemplateEvent.UNKNOWN and template.event_name == "BRAND_NEW_EVENT"
    assert template.category is TemplateCategory.UNKNOWN


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"entry": "nope"},
        {"entry": [None, 3, {"changes": [None, {"value": "x"}, {"field": 7, "value": []}]}]},
        {"entry": [{"changes": [{"field": "messages", "value": {"messages": [None, {"type": 5}], "statuses": [{}]}}]}]},
    ],
)
def test_odd_shapes_never_crash(data: dict[str, Any]) -> None:
    list(parse_event(data).updates())


def test_batched_entries_route_by_phone_number(webhook_payload: Load) -> None:
    routed = [(pnid, type(update).__name__) for pnid, update in parse_event(webhook_payload("batch")).updates()]
    assert routed == [
        (PNID, "InboundMessage"),
        (PNID, "MessageStatus"),
        ("106540352242999", "InboundMessage"),
        (None, "TemplateStatusUpdate"),
    ]


def test_updates_are_immutable(webhook_payload: Load) -> None:
    message = only_message(parse_event(webhook_payload("text")))
    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]


# --- Meta's own webhook examples ------------------------------------------------------------------------------

SPEC_EXAMPLE_TYPES = {
    "Text Message": MessageType.TEXT,
    "Text Message with Context (Product Inquiry)": MessageType.TEXT,
    "Text Message from Click to WhatsApp Ad": MessageType.TEXT,
    "Reaction Message": MessageType.REACTION,
    "Image Message": MessageType.IMAGE,
    "Location Message": MessageType.LOCATION,
    "Contact Sharing Message": MessageType.CONTACTS,
    "Unsupported Message": MessageType.UNSUPPORTED,
    "Button Message": MessageType.BUTTON,
    "Interactive List Reply Message": MessageType.INTERACTIVE,
    "Interactive Button Reply Message": MessageType.INTERACTIVE,
    "Order Message": MessageType.ORDER,
    "System Message": MessageType.SYSTEM,
}
SPEC_GROUP_EXAMPLES = {"Group Create Message", "Group Settings Update", "Group Remove Participants"}


def test_spec_has_sixteen_webhook_examples(spec_webhook_example: tuple[str, dict[str, Any]]) -> None:
    name, _ = spec_webhook_example
    assert name in SPEC_EXAMPLE_TYPES or name in SPEC_GROUP_EXAMPLES
    assert len(SPEC_EXAMPLE_TYPES) + len(SPEC_GROUP_EXAMPLES) == 16


def test_spec_webhook_examples_parse(spec_webhook_example: tuple[str, dict[str, Any]]) -> None:
    name, data = spec_webhook_example
    body, signature = signed(data)
    event = verify_and_parse(body, signature, SECRET)
    ((pnid, update),) = event.updates()
    assert pnid == PNID
    if name in SPEC_GROUP_EXAMPLES:
        assert isinstance(update, GroupEvent)
        assert update.group_id == "Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD"
        assert update.timestamp == 1750269342 and update.type_name in {"group_create", "group_settings_update"}
        return
    assert isinstance(update, InboundMessage)
    assert update.type is SPEC_EXAMPLE_TYPES[name] and update.type_name == update.type.value
    assert update.id is not None and update.id.startswith("wamid.")
    assert update.from_wa_id == "16505551234" and update.timestamp is not None
    if update.type is not MessageType.SYSTEM:
        assert update.contact is not None and update.contact.profile_name == "Sheena Nelson"
    match update.type:
        case MessageType.TEXT:
            assert update.text
        case MessageType.IMAGE:
            assert update.media is not None and update.media.id == "1003383421387256"
        case MessageType.LOCATION:
            assert update.location is not None and update.location.name == "Philz Coffee"
        case MessageType.CONTACTS:
            assert update.contacts[0].formatted_name == "Lucía Gómez"
        case MessageType.REACTION:
            assert update.reaction is not None and update.reaction.emoji == "👍"
        case MessageType.BUTTON:
            assert update.button is not None and update.button.payload == "Unsubscribe"
        case MessageType.INTERACTIVE:
            assert update.interactive is not None and update.interactive.id in {"priority_express", "cancel-button"}
        case MessageType.ORDER:
            assert update.order is not None and len(update.order.items) == 2
        case MessageType.SYSTEM:
            assert update.system is not None and update.system.wa_id == "12195555358"
        case MessageType.UNSUPPORTED:
            assert update.errors[0].code == 131051
    if name == "Text Message with Context (Product Inquiry)":
        assert update.context is not None and update.context.product_retailer_id == "di9ozbzfi4"
    if name == "Text Message from Click to WhatsApp Ad":
        assert update.referral is not None and update.referral.source_type == "ad"
