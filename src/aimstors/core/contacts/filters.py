"""Which contacts a listing selects, as SQL conditions.

:class:`ContactFilter` is the one place contact selection is spelled: the API's list/search, the CLI's listing and
export, and saved segments (:mod:`aimstors.core.audiences`) all build their queries from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import String, and_, cast, exists, not_, or_, select

from aimstors.core.contacts.attributes import check_attribute_name
from aimstors.core.contacts.phones import looks_like_phone, normalise_wa_id
from aimstors.core.contacts.tags import validate_tag
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Contact, ContactTag
from aimstors.core.errors import InvalidInput

__all__ = ["AttributeCondition", "AttributeOp", "ContactFilter"]

MAX_SEARCH_LENGTH = 200
MAX_VALUE_LENGTH = 1000

AttributeOp = Literal["equals", "contains", "exists"]


@dataclass(frozen=True, slots=True)
class AttributeCondition:
    """An attribute test: ``equals`` (exact text), ``contains`` (case-insensitive substring), ``exists`` (set).

    Values compare as text, so an attribute holding the number 5 equals ``"5"``.
    """

    name: str
    op: AttributeOp = "equals"
    value: str | None = None

    def check(self) -> AttributeCondition:
        """This condition if it is well formed; InvalidInput naming the attribute otherwise."""
        check_attribute_name(self.name)
        if self.op not in get_args(AttributeOp):
            raise InvalidInput(f"attribute test {self.op!r} is not one of {', '.join(get_args(AttributeOp))}")
        if self.op == "exists":
            return self
        if self.value is None or not self.value.strip():
            raise InvalidInput(f"attribute {self.name!r} {self.op} needs a value")
        if len(self.value) > MAX_VALUE_LENGTH:
            raise InvalidInput(f"the value for attribute {self.name!r} is too long (at most {MAX_VALUE_LENGTH})")
        return self

    def condition(self) -> Any:
        text = cast(Contact.attributes[self.name].as_string(), String)
        if self.op == "exists":
            return text.is_not(None)
        if self.op == "contains":
            return text.icontains(self.value, autoescape=True)
        return text == self.value


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Contacts matching every given criterion.

    ``search``: case-insensitive substring of the profile name or wa_id; when it looks like a phone number its
    digits are matched against wa_id, so ``+1 555-0100`` finds ``15550100…``. ``phone``: one exact number, in any
    notation (normalised). ``tag``: carries this tag; ``tags``: carries all of them; ``any_tags``: at least one;
    ``without_tags``: none of them. ``attributes``: passes every test. ``inbound_within``: wrote to us within this
    long; ``inbound_older_than``: did not write for at least this long (contacts who never wrote included).
    ``opted_out``: True for opted-out contacts only, False for the others.
    """

    search: str | None = None
    phone: str | None = None
    tag: str | None = None
    opted_out: bool | None = None
    tags: Sequence[str] = ()
    any_tags: Sequence[str] = ()
    without_tags: Sequence[str] = ()
    attributes: Sequence[AttributeCondition] = ()
    inbound_within: dt.timedelta | None = None
    inbound_older_than: dt.timedelta | None = None

    def conditions(self, tenant_id: int, *, now: dt.datetime | None = None) -> list[Any]:
        """SQL conditions on :class:`Contact` for this filter (the caller adds the tenant filter on contacts).

        ``now`` anchors the inbound-time tests (default: the current time). InvalidInput for a bad value.
        """
        where: list[Any] = []
        if self.search is not None and self.search.strip():
            where.append(_search(self.search.strip()))
        if self.phone is not None:
            where.append(Contact.wa_id == normalise_wa_id(self.phone, field="phone"))
        for tag in [*([self.tag] if self.tag is not None else []), *self.tags]:
            where.append(_tagged(tenant_id, [validate_tag(tag)]))
        if self.any_tags:
            where.append(_tagged(tenant_id, [validate_tag(t) for t in self.any_tags]))
        if self.without_tags:
            where.append(not_(_tagged(tenant_id, [validate_tag(t) for t in self.without_tags])))
        where.extend(a.check().condition() for a in self.attributes)
        if self.inbound_within is not None or self.inbound_older_than is not None:
            at = now or utcnow()
            if self.inbound_within is not None:
                where.append(Contact.last_inbound_at >= at - _positive(self.inbound_within, "inbound_within"))
            if self.inbound_older_than is not None:
                cutoff = at - _positive(self.inbound_older_than, "inbound_older_than")
                where.append(or_(Contact.last_inbound_at.is_(None), Contact.last_inbound_at < cutoff))
        if self.opted_out is True:
            where.append(Contact.opted_out_at.is_not(None))
        elif self.opted_out is False:
            where.append(Contact.opted_out_at.is_(None))
        return where


def _tagged(tenant_id: int, tags: list[str]) -> Any:
    """The contact carries at least one of ``tags``."""
    return exists(
        select(ContactTag.contact_id).where(
            and_(
                ContactTag.tenant_id == tenant_id,
                ContactTag.contact_id == Contact.id,
                ContactTag.tag == tags[0] if len(tags) == 1 else ContactTag.tag.in_(tags),
            )
        )
    )


def _positive(value: dt.timedelta, name: str) -> dt.timedelta:
    if value <= dt.timedelta(0):
        raise InvalidInput(f"{name} must be a positive duration")
    return value


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
