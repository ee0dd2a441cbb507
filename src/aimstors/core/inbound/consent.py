"""Opt-out and opt-in from what users write (STOP/START keywords) and from Meta's own signals.

A message that is exactly a keyword — any case, accents, surrounding spaces and final punctuation ignored —
changes the contact's consent: ``STOP``, ``ARRET``, ``ALTO``, ``PARAR``, ``STOPP``, ``BASTA`` … opt out,
``START``, ``UNSTOP`` … opt back in (lists from settings). A failed send with error 131050 means the user stopped
marketing messages in WhatsApp itself (opt-out, source ``meta``); 131049 means Meta held a marketing message
back, so the contact is not sent marketing for 24 hours (``marketing_limited_until``).

Each change is one audit-log row (the consent trail) and a ``contact.updated`` event. An existing opt-out keeps
its first time and source, as :mod:`aimstors.core.contacts.optout` does for manual changes.
"""

from __future__ import annotations

import datetime as dt
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aimstors.core.db.models import AuditEntry
from aimstors.core.events import DomainEvent, EventType
from aimstors.core.inbound.contacts import CONTACTS

__all__ = [
    "MARKETING_LIMIT",
    "MARKETING_LIMITED",
    "OPTED_OUT_BY_USER",
    "ConsentChange",
    "KeywordMatcher",
    "apply_consent",
    "limit_marketing",
    "normalise_keyword",
]

OPTED_OUT_BY_USER: Final = 131050
MARKETING_LIMITED: Final = 131049
MARKETING_LIMIT: Final = dt.timedelta(hours=24)

AUDIT: Final[Table] = cast(Table, AuditEntry.__table__)
_c = CONTACTS.c
_TRAILING = string.punctuation + "¡¿。！？ "

Decision = Literal["out", "in"]


def normalise_keyword(text: str) -> str:
    """Upper case, accents removed, inner spaces collapsed, surrounding spaces and punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.strip(_TRAILING).split()).upper()


class KeywordMatcher:
    """Decides whether a message text is an opt-out or opt-in keyword."""

    def __init__(self, optout: Iterable[str], optin: Iterable[str]) -> None:
        self.optout = frozenset(normalise_keyword(k) for k in optout if k.strip())
        self.optin = frozenset(normalise_keyword(k) for k in optin if k.strip()) - self.optout

    def decide(self, text: str | None) -> Decision | None:
        if not text or len(text) > 40:  # keywords are short; skip the work for ordinary messages
            return None
        word = normalise_keyword(text)
        if word in self.optout:
            return "out"
        if word in self.optin:
            return "in"
        return None


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """Opt ``contact_id`` out (``opted_out=True``) or in, as of ``at``, because of ``source``."""

    contact_id: int
    opted_out: bool
    source: Literal["keyword", "meta"]
    at: dt.datetime
    code: int | None = None


async def apply_consent(
    conn: AsyncConnection, tenant_id: int, changes: Iterable[ConsentChange], now: dt.datetime
) -> list[DomainEvent]:
    """Apply consent changes in time order (the last word per contact wins); returns the events of real changes."""
    final: dict[int, ConsentChange] = {}
    for change in sorted(changes, key=lambda c: c.at):
        final[change.contact_id] = change
    if not final:
        return []
    rows = await conn.execute(select(_c.id, _c.opted_out_at).where(_c.tenant_id == tenant_id, _c.id.in_(sorted(final))))
    current = {contact_id: opted_out_at for contact_id, opted_out_at in rows}
    events: list[DomainEvent] = []
    audit = []
    for contact_id, change in final.items():
        if contact_id not in current or (current[contact_id] is not None) == change.opted_out:
            continue  # already in that state: keep the original time and source
        values = (
            {"opted_out_at": change.at, "opt_out_source": change.source}
            if change.opted_out
            else {"opted_out_at": None, "opt_out_source": None}
        )
        await conn.execute(
            update(CONTACTS).where(_c.tenant_id == tenant_id, _c.id == contact_id).values(**values, updated_at=now)
        )
        action = "contact.optout" if change.opted_out else "contact.optin"
        details: dict[str, object] = {"source": change.source}
        if change.code is not None:
            details["code"] = change.code
        audit.append(
            {
                "tenant_id": tenant_id,
                "actor_user_id": None,
                "actor_kind": "system",
                "action": action,
                "target_type": "contact",
                "target_id": str(contact_id),
                "details": details,
                "ip": None,
                "created_at": now,
            }
        )
        events.append(
            DomainEvent.create(
                tenant_id,
                EventType.CONTACT_UPDATED,
                {"contact_id": contact_id, "opted_out": change.opted_out, "source": change.source},
            )
        )
    if audit:
        await conn.execute(insert(AUDIT), audit)
    return events


async def limit_marketing(conn: AsyncConnection, tenant_id: int, until: Mapping[int, dt.datetime]) -> None:
    """Hold marketing to each contact until the given time (131049), never shortening a longer hold."""
    for contact_id, at in until.items():
        await conn.execute(
            update(CONTACTS)
            .where(
                _c.tenant_id == tenant_id,
                _c.id == contact_id,
                (_c.marketing_limited_until.is_(None)) | (_c.marketing_limited_until < at),
            )
            .values(marketing_limited_until=at)
        )
