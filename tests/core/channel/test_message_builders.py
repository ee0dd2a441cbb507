"""Builders refuse messages Meta would refuse, naming the field, before anything is sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aimstors.core.channel import (
    ContactCard,
    Contacts,
    Image,
    ListMessage,
    ListRow,
    ListSection,
    Location,
    MediaHeader,
    MediaParam,
    OutgoingMessage,
    QuickReplyButton,
    Reaction,
    ReplyButton,
    ReplyButtons,
    Template,
    Text,
    TextParam,
    UrlButton,
)
from aimstors.core.errors import InvalidInput

ROWS = tuple(ListRow(f"r{i}", f"Row {i}") for i in range(11))


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Text(""), "text.body"),
        (lambda: Text("x" * 4097), "text.body"),
        (Image, "image"),
        (lambda: Image(id="1", link="https://x.example/a.png"), "image"),
        (lambda: Image(link="ftp://x.example/a.png"), "image.link"),
        (lambda: Location(91, 0), "location.latitude"),
        (lambda: Contacts(()), "contacts"),
        (lambda: Contacts(tuple(ContactCard(f"P{i}") for i in range(6))), "contacts"),
        (lambda: ReplyButton("id", "a title longer than twenty"), "interactive.button.title"),
        (lambda: ReplyButtons("b", ()), "interactive.action.buttons"),
        (lambda: ReplyButtons("b", tuple(ReplyButton(str(i), str(i)) for i in range(4))), "interactive.action.buttons"),
        (lambda: ReplyButtons("b", (ReplyButton("a", "Same"), ReplyButton("b", "Same"))), "interactive.action.buttons"),
        (lambda: MediaHeader("image"), "interactive.header.image"),
        (lambda: ListMessage("b", "Menu", (ListSection(ROWS),)), "interactive.action.sections"),
        (
            lambda: ListMessage("b", "Menu", (ListSection(ROWS[:1]), ListSection(ROWS[1:2]))),
            "interactive.section.title",
        ),
        (lambda: ListRow("r", "t", "d" * 73), "interactive.row.description"),
        (lambda: Template("Bad Name", "en"), "template.name"),
        (
            lambda: Template("t", "en", body=(TextParam("a", name="first"), TextParam("b"))),
            "template.parameters",
        ),
        (lambda: Template("t", "en", body=(TextParam("a", name="First Name"),)).to_payload(), "parameter_name"),
        (lambda: QuickReplyButton(10, "p").to_payload(), "template.button.index"),
        (lambda: Template("t", "en", buttons=(UrlButton(0, "a"), QuickReplyButton(0, "b"))), "template.buttons"),
        (lambda: MediaParam("image", id="1", filename="a.png"), "template.header.filename"),
        (lambda: OutgoingMessage("", Text("hi")), "to"),
        (lambda: OutgoingMessage("+1", Text("hi"), callback_data="x" * 513), "biz_opaque_callback_data"),
        (lambda: OutgoingMessage("+1", Reaction("wamid.A", "x"), reply_to="wamid.B"), "context"),
    ],
)
def test_invalid_message_names_the_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build()
    assert field in caught.value.message


def test_values_are_immutable() -> None:
    message = OutgoingMessage("+1", Text("hi"))
    with pytest.raises(AttributeError):
        message.to = "+2"  # type: ignore[misc]
