"""What resolving an audience yields, and who is suppressed.

Suppression is one rule for every kind: a contact that opted out is never a recipient, and neither is one whose
``marketing_limited_until`` (set on Meta's per-user marketing limit, error 131049) is still in the future.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_

from aimstors.core.db.models import Contact

__all__ = ["AudienceCount", "Recipient", "reachable", "suppression_reason"]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person to send to.

    ``contact_id`` is None for a row of a CSV file or sheet whose number is not (yet) a contact; ``attributes``
    are the contact's, overlaid with the row's own columns for file and sheet audiences; ``name`` is the row's
    name, else the contact's profile name.
    """

    contact_id: int | None
    wa_id: str
    attributes: dict[str, Any]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AudienceCount:
    """How an audience breaks down: ``matched`` distinct numbers, minus ``opted_out`` and ``marketing_limited``
    (suppressed) gives ``eligible``, what :func:`~aimstors.core.audiences.resolve` yields. ``invalid`` counts
    rows of a file or sheet without a usable number (skipped; never part of ``matched``)."""

    matched: int
    opted_out: int
    marketing_limited: int
    invalid: int
    eligible: int


def reachable(now: dt.datetime, *, marketing_limited: bool = True) -> list[Any]:
    """SQL conditions on :class:`Contact` that leave out suppressed contacts."""
    conditions: list[Any] = [Contact.opted_out_at.is_(None)]
    if marketing_limited:
        conditions.append(or_(Contact.marketing_limited_until.is_(None), Contact.marketing_limited_until <= now))
    return conditions


def suppression_reason(
    opted_out_at: dt.datetime | None, limited_until: dt.datetime | None, now: dt.datetime, *, marketing_limited: bool
) -> str | None:
    """``opted_out``, ``marketing_limited`` or None (not suppressed), for a contact read into Python."""
    if opted_out_at is not None:
        return "opted_out"
    if marketing_limited and limited_until is not None and limited_until > now:
        return "marketing_limited"
    return None
