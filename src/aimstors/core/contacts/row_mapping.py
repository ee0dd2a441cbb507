"""Turning a row of a table (a CSV file, a Google Sheet) into a contact: which column is what, and checking it.

:class:`ColumnMapping` is what the user says (or leaves to detection); :class:`RowMapper` applies it to a header
once (unknown columns are an error naming the header line) and then to each row, giving a :class:`MappedRow` or
raising :class:`RowRejected` with the reason. Reasons never contain the phone number itself: rejected rows are
written to a rejects file next to their original values instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aimstors.core.contacts.attributes import MAX_ATTRIBUTES, merge_attributes
from aimstors.core.contacts.csv_source import MalformedCsv
from aimstors.core.contacts.phones import check_region, normalise_wa_id
from aimstors.core.contacts.tags import validate_tag, validate_tags
from aimstors.core.errors import InvalidInput

__all__ = ["NAME_MAX_LENGTH", "ColumnMapping", "MappedRow", "RowMapper", "RowRejected"]

NAME_MAX_LENGTH = 200
# Header names (lower-cased, punctuation and spaces removed) that mean "the phone number", best first.
PHONE_HEADERS = (
    "waid", "whatsapp", "whatsappnumber", "whatsappphone", "phone", "phonenumber", "phoneno", "mobile",
    "mobilenumber", "mobilephone", "cell", "cellphone", "cellnumber", "msisdn", "telephone", "tel",
    "contactnumber", "number",
)  # fmt: skip
NAME_HEADERS = ("name", "fullname", "profilename", "contactname", "customername")
_TAG_SPLIT = re.compile(r"[,;|]")


def _key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which columns hold what. Column names match exactly, else ignoring case.

    ``phone_column=None`` detects it from the header (``phone``, ``mobile``, ``whatsapp``, ``wa_id``…);
    ``name_column=None`` likewise (``name``, ``full name``…; none found means no names). ``attributes`` maps a
    column to the attribute it fills; ``tag_column`` holds tags separated by ``,`` ``;`` or ``|``; ``tags`` are
    given to every row. ``region`` is the country of numbers written without a country code (e.g. ``US``).
    """

    phone_column: str | None = None
    name_column: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    tag_column: str | None = None
    tags: Sequence[str] = ()
    region: str | None = None

    def check(self) -> ColumnMapping:
        """This mapping with tags and region validated; InvalidInput naming the bad one."""
        if len(self.attributes) > MAX_ATTRIBUTES:
            raise InvalidInput(f"at most {MAX_ATTRIBUTES} attribute columns can be mapped")
        merge_attributes({}, {name: "" for name in self.attributes.values()})  # names only: values checked per row
        region = check_region(self.region) if self.region else None
        return ColumnMapping(
            self.phone_column, self.name_column, dict(self.attributes), self.tag_column,
            tuple(validate_tags(self.tags)), region,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MappedRow:
    """One valid row: the contact's wa_id, name (None: keep the current one), attributes to merge, tags to add."""

    line: int
    wa_id: str
    name: str | None
    attributes: dict[str, str]
    tags: tuple[str, ...]


class RowRejected(Exception):
    """A row that cannot become a contact; ``reason`` says why, without the row's values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowMapper:
    """A :class:`ColumnMapping` bound to one header.

    Raises MalformedCsv (at ``header_line``) when a named column does not exist or no phone column can be found.
    ``pad_short_rows`` accepts rows with fewer fields than the header (Google Sheets trims empty trailing cells);
    otherwise such a row is rejected as ragged.
    """

    def __init__(
        self, header: Sequence[str], mapping: ColumnMapping, *, header_line: int = 1, pad_short_rows: bool = False
    ) -> None:
        self.header = list(header)
        self.mapping = mapping.check()
        self.header_line = header_line
        self.pad_short_rows = pad_short_rows
        self.phone_index = self._phone_index()
        self.name_index = self._find(mapping.name_column, "name") if mapping.name_column else self._detect(NAME_HEADERS)
        self.tag_index = self._find(mapping.tag_column, "tag") if mapping.tag_column else None
        self.attribute_indexes = [(self._find(col, "attribute"), attr) for col, attr in self.mapping.attributes.items()]
        used = {self.phone_index, self.name_index, self.tag_index, *(i for i, _ in self.attribute_indexes)}
        self.ignored_columns = [name for i, name in enumerate(self.header) if i not in used and name]

    @property
    def phone_column(self) -> str:
        return self.header[self.phone_index]

    @property
    def name_column(self) -> str | None:
        return None if self.name_index is None else self.header[self.name_index]

    def _columns_hint(self) -> str:
        shown = ", ".join(repr(h) for h in self.header[:20] if h)
        return f"the columns are {shown}" + (", …" if len(self.header) > 20 else "")

    def _find(self, name: str, role: str) -> int:
        for exact in (True, False):
            for index, header in enumerate(self.header):
                if header == name if exact else header.casefold() == name.strip().casefold():
                    return index
        raise MalformedCsv(f"there is no {role} column {name!r}; {self._columns_hint()}", line=self.header_line)

    def _detect(self, candidates: Sequence[str]) -> int | None:
        keys = [_key(h) for h in self.header]
        for candidate in candidates:
            if candidate in keys:
                return keys.index(candidate)
        return None

    def _phone_index(self) -> int:
        if self.mapping.phone_column:
            return self._find(self.mapping.phone_column, "phone")
        index = self._detect(PHONE_HEADERS)
        if index is None:
            raise MalformedCsv(
                f"no phone column found; {self._columns_hint()}",
                line=self.header_line,
                hint="name the column holding the numbers (--phone-column)",
            )
        return index

    def map(self, line: int, fields: Sequence[str]) -> MappedRow:
        """The contact in ``fields``; RowRejected saying what is wrong with it."""
        width = len(self.header)
        if len(fields) != width:
            short = len(fields) < width
            extra_blank = not short and not any(f.strip() for f in fields[width:])
            if not (extra_blank or (short and self.pad_short_rows)):
                raise RowRejected(f"has {len(fields)} fields where the header has {width}")
            fields = [*fields[:width], *([""] * (width - len(fields)))]
        raw_phone = fields[self.phone_index].strip()
        if not raw_phone:
            raise RowRejected(f"the phone ({self.phone_column!r}) is empty")
        try:
            wa_id = normalise_wa_id(raw_phone, field=f"the phone ({self.phone_column!r})", region=self.mapping.region)
        except InvalidInput as exc:
            raise RowRejected(exc.message) from None
        name = (fields[self.name_index].strip() or None) if self.name_index is not None else None
        if name is not None and len(name) > NAME_MAX_LENGTH:
            raise RowRejected(f"the name is longer than {NAME_MAX_LENGTH} characters")
        attributes = {attr: value for index, attr in self.attribute_indexes if (value := fields[index].strip())}
        tags = self.mapping.tags
        if self.tag_index is not None and fields[self.tag_index].strip():
            try:
                tags = (*tags, *(validate_tag(t) for t in _TAG_SPLIT.split(fields[self.tag_index]) if t.strip()))
            except InvalidInput as exc:
                raise RowRejected(exc.message) from None
        return MappedRow(line, wa_id, name, attributes, tuple(dict.fromkeys(tags)))
