"""Contact cards sent as a ``contacts`` message (1 to 5 cards).

Each card needs a ``formatted_name``; the other parts are optional and appear only when given::

    Contacts((ContactCard("Lucía Gómez", first_name="Lucía", phones=(ContactPhone("+1 983 555 2319", "WORK"),)),))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from aimstors.core.channel.messages import require

__all__ = ["ContactAddress", "ContactCard", "ContactEmail", "ContactOrg", "ContactPhone", "ContactUrl", "Contacts"]

Kind = Literal["HOME", "WORK"]


def _compact(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class ContactPhone:
    phone: str
    type: Kind | None = None
    wa_id: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return _compact(phone=self.phone, type=self.type, wa_id=self.wa_id)


@dataclass(frozen=True, slots=True)
class ContactEmail:
    email: str
    type: Kind | None = None

    def to_payload(self) -> dict[str, Any]:
        return _compact(email=self.email, type=self.type)


@dataclass(frozen=True, slots=True)
class ContactUrl:
    url: str
    type: Kind | None = None

    def to_payload(self) -> dict[str, Any]:
        return _compact(url=self.url, type=self.type)


@dataclass(frozen=True, slots=True)
class ContactAddress:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: Kind | None = None

    def to_payload(self) -> dict[str, Any]:
        return _compact(
            street=self.street,
            city=self.city,
            state=self.state,
            zip=self.zip,
            country=self.country,
            country_code=self.country_code,
            type=self.type,
        )


@dataclass(frozen=True, slots=True)
class ContactOrg:
    company: str | None = None
    department: str | None = None
    title: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return _compact(company=self.company, department=self.department, title=self.title)


@dataclass(frozen=True, slots=True)
class ContactCard:
    """One person or business; ``birthday`` is ``YYYY-MM-DD``."""

    formatted_name: str
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    phones: tuple[ContactPhone, ...] = ()
    emails: tuple[ContactEmail, ...] = ()
    urls: tuple[ContactUrl, ...] = ()
    addresses: tuple[ContactAddress, ...] = ()
    org: ContactOrg | None = None
    birthday: str | None = None

    def __post_init__(self) -> None:
        require(bool(self.formatted_name.strip()), "contacts.name.formatted_name", "must not be empty")

    def to_payload(self) -> dict[str, Any]:
        name = _compact(
            formatted_name=self.formatted_name,
            first_name=self.first_name,
            last_name=self.last_name,
            middle_name=self.middle_name,
            prefix=self.prefix,
            suffix=self.suffix,
        )
        card: dict[str, Any] = {"name": name}
        for key, items in (
            ("phones", self.phones),
            ("emails", self.emails),
            ("urls", self.urls),
            ("addresses", self.addresses),
        ):
            if items:
                card[key] = [item.to_payload() for item in items]
        if self.org is not None:
            card["org"] = self.org.to_payload()
        if self.birthday is not None:
            card["birthday"] = self.birthday
        return card


@dataclass(frozen=True, slots=True)
class Contacts:
    """A ``contacts`` message carrying 1 to 5 cards."""

    cards: tuple[ContactCard, ...]
    type: ClassVar[str] = "contacts"

    def __post_init__(self) -> None:
        require(1 <= len(self.cards) <= 5, "contacts", f"needs 1 to 5 cards, got {len(self.cards)}")

    def to_payload(self) -> list[dict[str, Any]]:
        return [card.to_payload() for card in self.cards]
