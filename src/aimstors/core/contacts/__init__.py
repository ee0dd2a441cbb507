"""Contacts of a workspace: list and search, show, tags and attributes, opt-out, CSV import and export.

One module per noun: :mod:`~aimstors.core.contacts.phones` (numbers → ``wa_id``), ``filters`` (which contacts;
segments reuse it), ``views`` (what callers see), ``tags`` and ``attributes`` (validation and session-level writes
shared with imports and workflows), ``directory`` (reads), ``references`` (a contact by id or number), ``updates``
(writes), ``optout`` (consent), ``export`` (CSV out). The CSV import is ``importer`` (the passes), over
``csv_source`` (streamed records with line numbers), ``row_mapping`` (columns → contact), ``import_writer``
(batched upserts) and ``import_report`` (progress, rejections, the report).
"""

from __future__ import annotations

from aimstors.core.contacts.csv_source import CsvFormat, MalformedCsv
from aimstors.core.contacts.directory import get_contact, list_contacts
from aimstors.core.contacts.export import export_contacts
from aimstors.core.contacts.filters import AttributeCondition, ContactFilter
from aimstors.core.contacts.import_report import CsvRowsInvalid, ImportProgress, ImportReport, Rejection
from aimstors.core.contacts.importer import ImportOptions, import_contacts
from aimstors.core.contacts.optout import mark_opted_in, mark_opted_out, opt_in, opt_out
from aimstors.core.contacts.phones import normalise_wa_id
from aimstors.core.contacts.references import find_contact
from aimstors.core.contacts.row_mapping import ColumnMapping
from aimstors.core.contacts.updates import update_contact
from aimstors.core.contacts.views import ContactView

__all__ = [
    "AttributeCondition",
    "ColumnMapping",
    "ContactFilter",
    "ContactView",
    "CsvFormat",
    "CsvRowsInvalid",
    "ImportOptions",
    "ImportProgress",
    "ImportReport",
    "MalformedCsv",
    "Rejection",
    "export_contacts",
    "find_contact",
    "get_contact",
    "import_contacts",
    "list_contacts",
    "mark_opted_in",
    "mark_opted_out",
    "normalise_wa_id",
    "opt_in",
    "opt_out",
    "update_contact",
]
