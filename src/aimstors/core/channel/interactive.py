"""Interactive messages: reply buttons (up to 3) and lists (up to 10 rows in sections).

The user's choice comes back as an inbound ``interactive`` message whose ``button_reply``/``list_reply`` carries
the ``id`` given here. Limits are Meta's: button titles 20 characters, ids 256; list button 20, section titles
24, row titles 24, row descriptions 72, row ids 200; body 1024 (buttons) or 4096 (list); header/footer 60.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from aimstors.core.channel.messages import check_length, media_object, require

__all__ = ["ListMessage", "ListRow", "ListSection", "MediaHeader", "ReplyButton", "ReplyButtons", "TextHeader"]

HEADER_MAX = 60
FOOTER_MAX = 60


@dataclass(frozen=True, slots=True)
class TextHeader:
    text: str

    def __post_init__(self) -> None:
        check_length(self.text, "interactive.header.text", HEADER_MAX, minimum=1)

    def to_payload(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True, slots=True)
class MediaHeader:
    """An image, video or document shown above a reply-buttons message."""

    kind: Literal["image", "video", "document"]
    id: str | None = None
    link: str | None = None

    def __post_init__(self) -> None:
        media_object(f"interactive.header.{self.kind}", self.id, self.link)

    def to_payload(self) -> dict[str, Any]:
        return {"type": self.kind, self.kind: media_object(f"interactive.header.{self.kind}", self.id, self.link)}


@dataclass(frozen=True, slots=True)
class ReplyButton:
    id: str
    title: str

    def __post_init__(self) -> None:
        check_length(self.id, "interactive.button.id", 256, minimum=1)
        check_length(self.title, "interactive.button.title", 20, minimum=1)
        require(self.id == self.id.strip(), "interactive.button.id", "must not start or end with spaces")

    def to_payload(self) -> dict[str, Any]:
        return {"type": "reply", "reply": {"id": self.id, "title": self.title}}


def _body_footer(body: str, footer: str | None, body_max: int) -> dict[str, Any]:
    check_length(body, "interactive.body.text", body_max, minimum=1)
    check_length(footer, "interactive.footer.text", FOOTER_MAX, minimum=1)
    payload: dict[str, Any] = {"body": {"text": body}}
    if footer is not None:
        payload["footer"] = {"text": footer}
    return payload


@dataclass(frozen=True, slots=True)
class ReplyButtons:
    """Up to three quick-reply buttons under a body text, with an optional text or media header."""

    body: str
    buttons: tuple[ReplyButton, ...]
    header: TextHeader | MediaHeader | None = None
    footer: str | None = None
    type: ClassVar[str] = "interactive"

    def __post_init__(self) -> None:
        _body_footer(self.body, self.footer, 1024)
        require(1 <= len(self.buttons) <= 3, "interactive.action.buttons", "needs 1 to 3 buttons")
        ids = [b.id for b in self.buttons]
        titles = [b.title for b in self.buttons]
        require(len(set(ids)) == len(ids), "interactive.action.buttons", "button ids must be unique")
        require(len(set(titles)) == len(titles), "interactive.action.buttons", "button titles must be unique")

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"type": "button"}
        if self.header is not None:
            payload["header"] = self.header.to_payload()
        payload.update(_body_footer(self.body, self.footer, 1024))
        payload["action"] = {"buttons": [b.to_payload() for b in self.buttons]}
        return payload


@dataclass(frozen=True, slots=True)
class ListRow:
    id: str
    title: str
    description: str | None = None

    def __post_init__(self) -> None:
        check_length(self.id, "interactive.row.id", 200, minimum=1)
        check_length(self.title, "interactive.row.title", 24, minimum=1)
        check_length(self.description, "interactive.row.description", 72)

    def to_payload(self) -> dict[str, Any]:
        row = {"id": self.id, "title": self.title}
        if self.description is not None:
            row["description"] = self.description
        return row


@dataclass(frozen=True, slots=True)
class ListSection:
    """Rows under an optional title (required by Meta when the list has more than one section)."""

    rows: tuple[ListRow, ...]
    title: str | None = None

    def __post_init__(self) -> None:
        require(len(self.rows) >= 1, "interactive.section.rows", "a section needs at least one row")
        check_length(self.title, "interactive.section.title", 24, minimum=1)

    def to_payload(self) -> dict[str, Any]:
        section: dict[str, Any] = {}
        if self.title is not None:
            section["title"] = self.title
        section["rows"] = [row.to_payload() for row in self.rows]
        return section


@dataclass(frozen=True, slots=True)
class ListMessage:
    """A list: the ``button`` label opens a menu of sections and rows (at most 10 rows in all)."""

    body: str
    button: str
    sections: tuple[ListSection, ...]
    header: str | None = None
    footer: str | None = None
    type: ClassVar[str] = "interactive"

    def __post_init__(self) -> None:
        _body_footer(self.body, self.footer, 4096)
        check_length(self.button, "interactive.action.button", 20, minimum=1)
        check_length(self.header, "interactive.header.text", HEADER_MAX, minimum=1)
        require(1 <= len(self.sections) <= 10, "interactive.action.sections", "needs 1 to 10 sections")
        rows = [row for section in self.sections for row in section.rows]
        require(len(rows) <= 10, "interactive.action.sections", f"has {len(rows)} rows, at most 10 allowed")
        ids = [row.id for row in rows]
        require(len(set(ids)) == len(ids), "interactive.action.sections", "row ids must be unique")
        if len(self.sections) > 1:
            require(
                all(s.title for s in self.sections),
                "interactive.section.title",
                "every section needs a title when there are several",
            )

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"type": "list"}
        if self.header is not None:
            payload["header"] = {"type": "text", "text": self.header}
        payload.update(_body_footer(self.body, self.footer, 4096))
        payload["action"] = {"button": self.button, "sections": [s.to_payload() for s in self.sections]}
        return payload
