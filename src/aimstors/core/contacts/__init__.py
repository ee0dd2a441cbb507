"""Contacts of a workspace: list and search, show, tags and attributes, opt-out.

One module per noun: :mod:`~aimstors.core.contacts.phones` (numbers → ``wa_id``), ``filters`` (which contacts),
``views`` (what callers see), ``tags`` and ``attributes`` (validation and session-level writes shared with imports
and workflows), ``directory`` (reads), ``updates`` (writes), ``optout`` (consent). The CSV import and segments
belong beside them (``imports.py``, ``segments.py``), reusing the same validation and filters.
"""

from __future__ import annotations

from aimstors.core.contacts.directory import get_contact, list_contacts
from aimstors.core.contacts.filters import ContactFilter
from aimstors.core.contacts.optout import mark_opted_in, mark_opted_out, opt_in, opt_out
from aimstors.core.contacts.phones import normalise_wa_id
from aimstors.core.contacts.updates import update_contact
from aimstors.core.contacts.views import ContactView

__all__ = [
    "ContactFilter",
    "ContactView",
    "get_contact",
    "list_contacts",
    "mark_opted_in",
    "mark_opted_out",
    "normalise_wa_id",
    "opt_in",
    "opt_out",
    "update_contact",
]
