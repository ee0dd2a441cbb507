"""Contact tags: what a valid tag is, and adding/removing them inside a unit of work.

The session-level functions here are shared by every writer of tags: the API's contact update today, the CSV
import and workflow "tag" nodes later.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db.models import ContactTag
from aimstors.core.errors import InvalidInput

__all__ = ["MAX_TAG_LENGTH", "add_tags", "remove_tags", "validate_tag", "validate_tags"]

MAX_TAG_LENGTH = 64


def validate_tag(tag: str) -> str:
    """``tag`` with surrounding whitespace removed; InvalidInput when empty, too long or holding control chars."""
    cleaned = tag.strip()
    if not cleaned:
        raise InvalidInput("a tag cannot be empty")
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidInput(f"tag {cleaned[:20]!r}… is too long (at most {MAX_TAG_LENGTH} characters)")
    if any(not c.isprintable() for c in cleaned):
        raise InvalidInput(f"tag {cleaned!r} contains control characters")
    return cleaned


def validate_tags(tags: Iterable[str]) -> list[str]:
    """Validated, de-duplicated tags in their first-seen order."""
    return list(dict.fromkeys(validate_tag(t) for t in tags))


async def add_tags(session: AsyncSession, tenant_id: int, contact_id: int, tags: Iterable[str]) -> list[str]:
    """Give a contact ``tags`` (already validated); returns those it did not have before."""
    wanted = list(dict.fromkeys(tags))
    if not wanted:
        return []
    existing = set(
        await session.scalars(
            select(ContactTag.tag).where(
                ContactTag.tenant_id == tenant_id, ContactTag.contact_id == contact_id, ContactTag.tag.in_(wanted)
            )
        )
    )
    added = [t for t in wanted if t not in existing]
    session.add_all(ContactTag(tenant_id=tenant_id, contact_id=contact_id, tag=t) for t in added)
    return added


async def remove_tags(session: AsyncSession, tenant_id: int, contact_id: int, tags: Iterable[str]) -> int:
    """Take ``tags`` off a contact (tags it does not carry are ignored); returns how many it lost."""
    unwanted = list(dict.fromkeys(tags))
    if not unwanted:
        return 0
    result = await session.execute(
        delete(ContactTag).where(
            ContactTag.tenant_id == tenant_id, ContactTag.contact_id == contact_id, ContactTag.tag.in_(unwanted)
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
