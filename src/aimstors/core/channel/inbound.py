"""Inbound messages from ``messages`` webhooks, as immutable values that keep their raw payload.

One :class:`InboundMessage` class covers every type; the part that matches ``type`` is filled (``text`` for
text, ``media`` for image/video/audio/document/sticker, ``interactive`` for button/list/Flow replies, …) and
the rest is ``None``. A type aimstors does not know yet parses as :attr:`MessageType.UNKNOWN` with
``type_name`` and ``raw`` intact.

Users may be identified by phone number (``wa_id``/``from``) or, from 2026, by business-scoped user id
(``user_id``/``from_user_id``, e.g. ``US.13491208655302741918``) with the phone number left out: both are
optional here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.enums import MEDIA_TYPES, InteractiveType, MessageType
from aimstors.core.channel.json_fields import flag, integer, items, mapping, number, text
from aimstors.core.channel.webhook_errors import ErrorInfo, error_infos

__all__ = [
    "ButtonPress",
    "Contact",
    "InboundLocation",
    "InboundMedia",
    "InboundMessage",
    "InboundReaction",
    "InteractiveReply",
    "MessageContext",
    "Order",
    "OrderItem",
    "Referral",
    "SharedContact",
    "SystemNotice",
]


@dataclass(frozen=True, slots=True)
class Contact:
    """A WhatsApp user from ``value.contacts[]``: profile name and whichever ids Meta sent."""

    wa_id: str | None
    user_id: str | None
    parent_user_id: str | None
    profile_name: str | None
    username: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contact:
        profile = mapping(data, "profile")
        return cls(
            wa_id=text(data, "wa_id"),
            user_id=text(data, "user_id"),
            parent_user_id=text(data, "parent_user_id"),
            profile_name=text(profile, "name"),
            username=text(profile, "username"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What the message answers: ``id`` of the quoted message, or a forward marker, or a catalog product."""

    id: str | None
    from_number: str | None
    forwarded: bool
    frequently_forwarded: bool
    catalog_id: str | None
    product_retailer_id: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessageContext:
        product = mapping(data, "referred_product")
        return cls(
            id=text(data, "id"),
            from_number=text(data, "from"),
            forwarded=flag(data, "forwarded") is True,
            frequently_forwarded=flag(data, "frequently_forwarded") is True,
            catalog_id=text(product, "catalog_id"),
            product_retailer_id=text(product, "product_retailer_id"),
        )


@dataclass(frozen=True, slots=True)
class InboundMedia:
    """An image/video/audio/document/sticker: download ``url`` (or look up ``id``) with the bearer token."""

    id: str | None
    url: str | None
    mime_type: str | None
    sha256: str | None
    caption: str | None
    filename: str | None
    voice: bool
    animated: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InboundMedia:
        return cls(
            id=text(data, "id"),
            url=text(data, "url"),
            mime_type=text(data, "mime_type"),
            sha256=text(data, "sha256"),
            caption=text(data, "caption"),
            filename=text(data, "filename"),
            voice=flag(data, "voice") is True,
            animated=flag(data, "animated") is True,
        )


@dataclass(frozen=True, slots=True)
class InboundLocation:
    latitude: float | None
    longitude: float | None
    name: str | None
    address: str | None
    url: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InboundLocation:
        return cls(
            latitude=number(data, "latitude"),
            longitude=number(data, "longitude"),
            name=text(data, "name"),
            address=text(data, "address"),
            url=text(data, "url"),
        )


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A contact card the user shared; ``phones`` are ``(phone, wa_id)`` pairs, the rest is in ``raw``."""

    formatted_name: str | None
    phones: tuple[tuple[str | None, str | None], ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SharedContact:
        return cls(
            formatted_name=text(mapping(data, "name"), "formatted_name"),
            phones=tuple((text(p, "phone"), text(p, "wa_id")) for p in items(data, "phones")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class InboundReaction:
    """A reaction to ``message_id``; ``emoji`` is ``None`` when the user removed their reaction."""

    message_id: str | None
    emoji: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InboundReaction:
        return cls(message_id=text(data, "message_id"), emoji=text(data, "emoji") or None)


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A template quick-reply tap: ``payload`` is what the template send put there."""

    payload: str | None
    text: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ButtonPress:
        return cls(payload=text(data, "payload"), text=text(data, "text"))


@dataclass(frozen=True, slots=True)
class InteractiveReply:
    """A reply-button or list choice (``id``/``title``), or a submitted Flow (``response_json``)."""

    type: InteractiveType
    type_name: str | None
    id: str | None
    title: str | None
    description: str | None
    response_json: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InteractiveReply:
        type_name = text(data, "type")
        reply: Mapping[str, Any] = mapping(data, type_name) if type_name else {}
        return cls(
            type=InteractiveType.parse(type_name),
            type_name=type_name,
            id=text(reply, "id"),
            title=text(reply, "title"),
            description=text(reply, "description"),
            response_json=text(reply, "response_json"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class OrderItem:
    product_retailer_id: str | None
    quantity: int | None
    item_price: float | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class Order:
    catalog_id: str | None
    text: str | None
    items: tuple[OrderItem, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Order:
        return cls(
            catalog_id=text(data, "catalog_id"),
            text=text(data, "text"),
            items=tuple(
                OrderItem(
                    product_retailer_id=text(item, "product_retailer_id"),
                    quantity=integer(item, "quantity"),
                    item_price=number(item, "item_price"),
                    currency=text(item, "currency"),
                )
                for item in items(data, "product_items")
            ),
        )


@dataclass(frozen=True, slots=True)
class SystemNotice:
    """A system message, e.g. ``type="user_changed_number"`` with the user's new ``wa_id``."""

    type: str | None
    body: str | None
    wa_id: str | None
    user_id: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SystemNotice:
        return cls(
            type=text(data, "type"),
            body=text(data, "body"),
            wa_id=text(data, "wa_id"),
            user_id=text(data, "user_id"),
        )


@dataclass(frozen=True, slots=True)
class Referral:
    """Where the user came from: a Click-to-WhatsApp ad or post (``ctwa_clid`` identifies the click)."""

    source_type: str | None
    source_id: str | None
    source_url: str | None
    headline: str | None
    body: str | None
    media_type: str | None
    ctwa_clid: str | None
    welcome_message: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Referral:
        return cls(
            source_type=text(data, "source_type"),
            source_id=text(data, "source_id"),
            source_url=text(data, "source_url"),
            headline=text(data, "headline"),
            body=text(data, "body"),
            media_type=text(data, "media_type"),
            ctwa_clid=text(data, "ctwa_clid"),
            welcome_message=text(mapping(data, "welcome_message"), "text"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a user sent to the business number."""

    id: str | None
    timestamp: int | None
    type: MessageType
    type_name: str | None
    from_wa_id: str | None
    from_user_id: str | None
    from_parent_user_id: str | None
    group_id: str | None
    contact: Contact | None
    context: MessageContext | None
    referral: Referral | None
    text: str | None
    media: InboundMedia | None
    location: InboundLocation | None
    contacts: tuple[SharedContact, ...]
    reaction: InboundReaction | None
    button: ButtonPress | None
    interactive: InteractiveReply | None
    order: Order | None
    system: SystemNotice | None
    errors: tuple[ErrorInfo, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], contacts: Sequence[Contact] = ()) -> InboundMessage:
        """Parse one ``messages[]`` item; ``contacts`` (the value's senders) fill :attr:`contact`."""
        type_name = text(data, "type")
        kind = MessageType.parse(type_name)
        payload: Mapping[str, Any] = mapping(data, type_name) if type_name else {}
        from_wa_id = text(data, "from")
        from_user_id = text(data, "from_user_id")
        context = mapping(data, "context")
        referral = mapping(data, "referral")
        return cls(
            id=text(data, "id"),
            timestamp=integer(data, "timestamp"),
            type=kind,
            type_name=type_name,
            from_wa_id=from_wa_id,
            from_user_id=from_user_id,
            from_parent_user_id=text(data, "from_parent_user_id"),
            group_id=text(data, "group_id"),
            contact=_sender(contacts, from_wa_id, from_user_id),
            context=MessageContext.from_dict(context) if context else None,
            referral=Referral.from_dict(referral) if referral else None,
            text=text(payload, "body") if kind is MessageType.TEXT else None,
            media=InboundMedia.from_dict(payload) if kind in MEDIA_TYPES else None,
            location=InboundLocation.from_dict(payload) if kind is MessageType.LOCATION else None,
            contacts=tuple(SharedContact.from_dict(c) for c in items(data, "contacts"))
            if kind is MessageType.CONTACTS
            else (),
            reaction=InboundReaction.from_dict(payload) if kind is MessageType.REACTION else None,
            button=ButtonPress.from_dict(payload) if kind is MessageType.BUTTON else None,
            interactive=InteractiveReply.from_dict(payload) if kind is MessageType.INTERACTIVE else None,
            order=Order.from_dict(payload) if kind is MessageType.ORDER else None,
            system=SystemNotice.from_dict(payload) if kind is MessageType.SYSTEM else None,
            errors=error_infos(data),
            raw=data,
        )


def _sender(contacts: Sequence[Contact], wa_id: str | None, user_id: str | None) -> Contact | None:
    for contact in contacts:
        if (wa_id and contact.wa_id == wa_id) or (user_id and contact.user_id == user_id):
            return contact
    # Meta sends one contact per message value; fall back to it when ids are missing or formatted differently.
    return contacts[0] if len(contacts) == 1 else None
