"""Outgoing messages: immutable values that produce the exact JSON body of ``POST /{phone-number-id}/messages``.

An :class:`OutgoingMessage` is the envelope (recipient, optional reply context, ``biz_opaque_callback_data``)
around one content value: :class:`Text`, :class:`Image`, :class:`Video`, :class:`Audio`, :class:`Document`,
:class:`Sticker`, :class:`Location`, :class:`Reaction`, :class:`~aimstors.core.channel.contact_cards.Contacts`,
:class:`~aimstors.core.channel.interactive.ReplyButtons`, :class:`~aimstors.core.channel.interactive.ListMessage`
or :class:`~aimstors.core.channel.template_message.Template`::

    OutgoingMessage(to="+16505551234", content=Text("Hi!"), callback_data="attempt-42").to_payload()

Constructors check Meta's documented limits and raise :class:`InvalidInput` naming the field, so a bad message
fails before it is sent. :func:`mark_read_payload` builds the read receipt (with optional typing indicator).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from aimstors.core.errors import InvalidInput

__all__ = [
    "CALLBACK_DATA_MAX",
    "Audio",
    "Document",
    "Image",
    "Location",
    "MessageContent",
    "OutgoingMessage",
    "Reaction",
    "Sticker",
    "Text",
    "Video",
    "mark_read_payload",
    "media_object",
]

CALLBACK_DATA_MAX = 512
TEXT_BODY_MAX = 4096
CAPTION_MAX = 1024


class MessageContent(Protocol):
    """One message type: its ``type`` name and the object sent under that key."""

    @property
    def type(self) -> str: ...

    def to_payload(self) -> Any: ...


def require(condition: bool, field: str, problem: str) -> None:
    """Raise :class:`InvalidInput` ``"<field>: <problem>"`` unless ``condition`` holds."""
    if not condition:
        raise InvalidInput(f"{field}: {problem}")


def check_length(value: str | None, field: str, maximum: int, *, minimum: int = 0) -> None:
    if value is None:
        return
    require(len(value) >= minimum, field, "must not be empty" if minimum == 1 else f"needs {minimum}+ chars")
    require(len(value) <= maximum, field, f"is {len(value)} characters, at most {maximum} allowed")


def media_object(field: str, media_id: str | None, link: str | None) -> dict[str, Any]:
    """``{"id": ...}`` or ``{"link": ...}``: exactly one of them, links over HTTP(S) only."""
    require((media_id is None) != (link is None), field, "give exactly one of id or link")
    if media_id is not None:
        require(bool(media_id.strip()), f"{field}.id", "must not be empty")
        return {"id": media_id}
    assert link is not None
    require(link.lower().startswith(("http://", "https://")), f"{field}.link", "must be an http(s) URL")
    return {"link": link}


@dataclass(frozen=True, slots=True)
class Text:
    """A text message; ``preview_url`` asks WhatsApp to render a preview of the first URL in ``body``."""

    body: str
    preview_url: bool = False
    type: ClassVar[str] = "text"

    def __post_init__(self) -> None:
        check_length(self.body, "text.body", TEXT_BODY_MAX, minimum=1)

    def to_payload(self) -> dict[str, Any]:
        return {"body": self.body, "preview_url": self.preview_url}


@dataclass(frozen=True)
class _Media:
    """Media by uploaded ``id`` or public ``link`` (exactly one)."""

    id: str | None = None
    link: str | None = None
    type: ClassVar[str] = "media"

    def __post_init__(self) -> None:
        media_object(self.type, self.id, self.link)

    def to_payload(self) -> dict[str, Any]:
        return media_object(self.type, self.id, self.link)


@dataclass(frozen=True)
class _CaptionedMedia(_Media):
    caption: str | None = None

    def __post_init__(self) -> None:
        _Media.__post_init__(self)
        check_length(self.caption, f"{self.type}.caption", CAPTION_MAX)

    def to_payload(self) -> dict[str, Any]:
        payload = _Media.to_payload(self)
        if self.caption is not None:
            payload["caption"] = self.caption
        return payload


@dataclass(frozen=True)
class Image(_CaptionedMedia):
    """A JPEG/PNG image by ``id`` or ``link``, with an optional caption."""

    type: ClassVar[str] = "image"


@dataclass(frozen=True)
class Video(_CaptionedMedia):
    """An MP4/3GP video by ``id`` or ``link``, with an optional caption."""

    type: ClassVar[str] = "video"


@dataclass(frozen=True)
class Document(_CaptionedMedia):
    """A document by ``id`` or ``link``; ``filename`` is what the user sees (its extension matters)."""

    filename: str | None = None
    type: ClassVar[str] = "document"

    def to_payload(self) -> dict[str, Any]:
        payload = _CaptionedMedia.to_payload(self)
        if self.filename is not None:
            payload["filename"] = self.filename
        return payload


@dataclass(frozen=True)
class Audio(_Media):
    """An audio file or voice note by ``id`` or ``link`` (no caption: WhatsApp shows none)."""

    type: ClassVar[str] = "audio"


@dataclass(frozen=True)
class Sticker(_Media):
    """A WebP sticker by ``id`` or ``link`` (no caption)."""

    type: ClassVar[str] = "sticker"


@dataclass(frozen=True, slots=True)
class Location:
    """A map pin; ``name`` and ``address`` are shown under it."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    type: ClassVar[str] = "location"

    def __post_init__(self) -> None:
        require(-90 <= self.latitude <= 90, "location.latitude", "must be between -90 and 90")
        require(-180 <= self.longitude <= 180, "location.longitude", "must be between -180 and 180")

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.name is not None:
            payload["name"] = self.name
        if self.address is not None:
            payload["address"] = self.address
        return payload


@dataclass(frozen=True, slots=True)
class Reaction:
    """An emoji reaction to ``message_id``; an empty ``emoji`` removes a previous reaction.

    Only a ``sent`` status comes back for reactions, and they cannot be sent as replies (no ``reply_to``).
    """

    message_id: str
    emoji: str
    type: ClassVar[str] = "reaction"

    def __post_init__(self) -> None:
        require(bool(self.message_id), "reaction.message_id", "must not be empty")

    def to_payload(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "emoji": self.emoji}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """The body of one send: ``content`` addressed to ``to``.

    ``to`` is a phone number (``+``, spaces, dashes and parentheses are accepted by Meta) or, with
    ``recipient_type="group"``, a group id. ``reply_to`` quotes an earlier message (``context.message_id``).
    ``callback_data`` becomes ``biz_opaque_callback_data``: Meta echoes it in this message's status webhooks,
    so a send whose HTTP answer was lost can still be settled (at most 512 characters).
    """

    to: str
    content: MessageContent
    reply_to: str | None = None
    callback_data: str | None = None
    recipient_type: Literal["individual", "group"] = "individual"

    def __post_init__(self) -> None:
        require(bool(self.to and self.to.strip()), "to", "must not be empty")
        check_length(self.callback_data, "biz_opaque_callback_data", CALLBACK_DATA_MAX)
        if self.reply_to is not None:
            require(bool(self.reply_to), "context.message_id", "must not be empty")
            require(self.content.type != "reaction", "context", "a reaction cannot be sent as a reply")

    @property
    def type(self) -> str:
        return self.content.type

    def to_payload(self) -> dict[str, Any]:
        """The JSON object to POST, exactly as Meta expects it."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": self.recipient_type,
            "to": self.to,
            "type": self.content.type,
            self.content.type: self.content.to_payload(),
        }
        if self.reply_to is not None:
            payload["context"] = {"message_id": self.reply_to}
        if self.callback_data is not None:
            payload["biz_opaque_callback_data"] = self.callback_data
        return payload


def mark_read_payload(message_id: str, *, typing_indicator: bool = False) -> Mapping[str, Any]:
    """Body that marks ``message_id`` (and earlier messages in the chat) as read; with ``typing_indicator``
    the user also sees "typing…" until the reply arrives or 25 seconds pass."""
    require(bool(message_id), "message_id", "must not be empty")
    payload: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    if typing_indicator:
        payload["typing_indicator"] = {"type": "text"}
    return payload
