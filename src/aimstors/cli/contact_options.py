"""Options shared by the contacts and audiences commands: the workspace, contact filters, and column mapping.

Typer declares options per command, so each shared option is one constant here, and the functions below turn
their values into the core's types (:class:`SegmentRules`, :class:`ColumnMapping`) in one place.
"""

from __future__ import annotations

import typer

from aimstors.core.audiences import SegmentRules
from aimstors.core.contacts import AttributeCondition, ColumnMapping
from aimstors.core.errors import InvalidInput

__all__ = [
    "ANY_TAG",
    "ATTR_CONTAINS",
    "ATTR_EQUALS",
    "ATTR_EXISTS",
    "ATTR_MAP",
    "DELIMITER",
    "ENCODING",
    "INBOUND_OLDER_THAN",
    "INBOUND_WITHIN",
    "NAME_COLUMN",
    "NOT_TAG",
    "OPTED_OUT",
    "PHONE_COLUMN",
    "REGION",
    "TAG",
    "TENANT",
    "attribute_map",
    "column_mapping",
    "has_filters",
    "segment_rules",
]

FILTERS = "Contact filters"
COLUMNS = "Columns"

TENANT = typer.Option(None, "--tenant", "-t", help="The workspace (slug); default: your own.")
TAG = typer.Option([], "--tag", help="Carries this tag (repeatable: all of them).", rich_help_panel=FILTERS)
ANY_TAG = typer.Option([], "--any-tag", help="Carries at least one of these (repeatable).", rich_help_panel=FILTERS)
NOT_TAG = typer.Option([], "--not-tag", help="Carries none of these (repeatable).", rich_help_panel=FILTERS)
ATTR_EQUALS = typer.Option(
    [], "--attr-equals", help="Attribute equals a value: NAME=VALUE (repeatable).", rich_help_panel=FILTERS
)
ATTR_CONTAINS = typer.Option(
    [], "--attr-contains", help="Attribute contains text, any case: NAME=TEXT (repeatable).", rich_help_panel=FILTERS
)
ATTR_EXISTS = typer.Option([], "--attr-exists", help="Attribute is set: NAME (repeatable).", rich_help_panel=FILTERS)
INBOUND_WITHIN = typer.Option(
    None, "--inbound-within", help="Wrote to us within this long, e.g. 7d or 12h.", rich_help_panel=FILTERS
)
INBOUND_OLDER_THAN = typer.Option(
    None,
    "--inbound-older-than",
    help="Has not written for this long, e.g. 30d (contacts who never wrote included).",
    rich_help_panel=FILTERS,
)
OPTED_OUT = typer.Option(
    None, "--opted-out/--not-opted-out", help="Only opted-out contacts, or only the others.", rich_help_panel=FILTERS
)

PHONE_COLUMN = typer.Option(
    None,
    "--phone-column",
    help="Column holding the numbers (default: detected: phone, mobile…).",
    rich_help_panel=COLUMNS,
)
NAME_COLUMN = typer.Option(
    None,
    "--name-column",
    help="Column holding the names (default: detected: name, full name…).",
    rich_help_panel=COLUMNS,
)
ATTR_MAP = typer.Option(
    [],
    "--attr",
    help="A column to keep as an attribute: COLUMN or COLUMN=ATTRIBUTE (repeatable).",
    rich_help_panel=COLUMNS,
)
REGION = typer.Option(
    None, "--region", help="Country of numbers written without a country code, e.g. US or GB.", rich_help_panel=COLUMNS
)
ENCODING = typer.Option("utf-8", "--encoding", help="Text encoding of the file (utf-8, cp1252, latin-1…).")
DELIMITER = typer.Option(None, "--delimiter", help="Field delimiter (default: detected from the header: , ; TAB |).")


def _pair(text: str, option: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InvalidInput(f"{option} takes NAME=VALUE, not {text!r}")
    return name.strip(), value


def has_filters(
    tag: list[str],
    any_tag: list[str],
    not_tag: list[str],
    attr_equals: list[str],
    attr_contains: list[str],
    attr_exists: list[str],
    inbound_within: str | None,
    inbound_older_than: str | None,
    opted_out: bool | None,
) -> bool:
    """True when any filter option was given."""
    lists = (tag, any_tag, not_tag, attr_equals, attr_contains, attr_exists)
    return any(lists) or inbound_within is not None or inbound_older_than is not None or opted_out is not None


def segment_rules(
    tag: list[str],
    any_tag: list[str],
    not_tag: list[str],
    attr_equals: list[str],
    attr_contains: list[str],
    attr_exists: list[str],
    inbound_within: str | None,
    inbound_older_than: str | None,
    opted_out: bool | None,
) -> SegmentRules:
    """The filter options as saved-segment rules (checked: InvalidInput names a bad value)."""
    tests = [AttributeCondition(n, "equals", v) for n, v in (_pair(t, "--attr-equals") for t in attr_equals)]
    tests += [AttributeCondition(n, "contains", v) for n, v in (_pair(t, "--attr-contains") for t in attr_contains)]
    tests += [AttributeCondition(n.strip(), "exists") for n in attr_exists]
    return SegmentRules(
        tags=tuple(tag),
        any_tags=tuple(any_tag),
        without_tags=tuple(not_tag),
        attributes=tuple(tests),
        inbound_within=inbound_within,
        inbound_older_than=inbound_older_than,
        opted_out=opted_out,
    ).check()


def attribute_map(pairs: list[str]) -> dict[str, str]:
    """``--attr`` values (``COLUMN`` or ``COLUMN=ATTRIBUTE``) as a column → attribute mapping."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, attribute = pair.partition("=")
        column = column.strip()
        if not column:
            raise InvalidInput(f"--attr takes COLUMN or COLUMN=ATTRIBUTE, not {pair!r}")
        mapping[column] = attribute.strip() if sep else column
    return mapping


def column_mapping(
    phone_column: str | None,
    name_column: str | None,
    attr: list[str],
    region: str | None,
    *,
    tag_column: str | None = None,
    tags: str | None = None,
) -> ColumnMapping:
    """The column options as a checked :class:`ColumnMapping` (``tags`` is comma separated)."""
    tag_list = [t for t in (tags or "").split(",") if t.strip()]
    return ColumnMapping(phone_column, name_column, attribute_map(attr), tag_column, tag_list, region).check()
