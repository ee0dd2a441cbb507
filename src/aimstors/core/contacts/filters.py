"""Which contacts a listing selects, as SQL conditions.

:class:`ContactFilter` is the one place contact selection is spelled: the API's list/search uses it today, and
segments (filters on attributes, tags and activity) extend it rather than growing a second query builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_, select

from aimstors.core.contacts.phones import looks_like_phone, normalise_wa_id
from aimstors.core.contacts.tags import validate_tag
from aimstors.core.db.models import Contact, ContactTag
from aimstors.core.errors import InvalidInput

__all__ = ["ContactFilter"]

MAX_SEARCH_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Contacts matching every given criterion.

    ``search``: case-insensitive substring of the profile name or wa_id; when it looks like a phone number its
    digits are matched against wa_id, so ``+1 555-0100`` finds ``15550100…``. ``phone``: one exact number, in any
    notation (normalised). ``tag``: carries this tag. ``opted_out``: True for opted-out contacts only, False for
    reachable ones only.
    """

    search: str | None = None
    phone: str | None = None
    tag: str | None = None
    opted_out: bool | None = None

    def conditions(self, tenant_id: int) -> list[Any]:
        """SQL conditions on :class:`Contact` for this filter (the caller adds the tenant filter on contacts)."""
        where: list[Any] = []
        if self.search is not None and self.search.strip():
            where.append(_search(self.search.strip()))
        if self.phone is not None:
            where.append(Contact.wa_id == normalise_wa_id(self.phone, field="phone"))
        if self.tag is not None:
            tag = validate_tag(self.tag)
            where.append(
                exists(
                    select(ContactTag.contact_id).where(
                        ContactTag.tenant_id == tenant_id,
                        ContactTag.contact_id == Contact.id,
                        ContactTag.tag == tag,
                    )
                )
            )
        if self.opted_out is True:
            where.append(Contact.opted_out_at.is_not(None))
        elif self.opted_out is False:
            where.append(Contact.opted_out_at.is_(None))
        return where


def _search(text: str) -> Any:
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"search text is too long (at most {MAX_SEARCH_LENGTH} characters)")
    if looks_like_phone(text):
        digits = "".join(c for c in text if c.isdigit())
        return Contact.wa_id.contains(digits, autoescape=True)
    return or_(
        Contact.profile_name.icontains(text, autoescape=True),
        Contact.wa_id.icontains(text, autoescape=True),
    )
