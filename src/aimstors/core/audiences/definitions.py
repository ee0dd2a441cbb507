"""What an audience is, per kind, as typed rules that round-trip through the ``audiences.definition`` JSON.

    static    StaticRules     the audience's own member list (``audience_members``)
    segment   SegmentRules    contacts matching saved filters, evaluated at send time
    csv       CsvFileRules    the rows of a CSV file on this machine, read at send time
    sheet     SheetRules      the rows of a Google Sheet range, fetched at send time
    retarget  RetargetRules   recipients of a campaign whose status is one of a list

Parsing is strict: an unknown key or a bad value is InvalidInput naming it. What :func:`~aimstors.core.audiences.
resolve` takes is in :mod:`~aimstors.core.audiences.specs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from aimstors.core.contacts.csv_source import CsvFormat
from aimstors.core.contacts.filters import AttributeCondition, AttributeOp, ContactFilter
from aimstors.core.contacts.row_mapping import ColumnMapping
from aimstors.core.contacts.tags import validate_tags
from aimstors.core.durations import parse_duration
from aimstors.core.errors import InvalidInput

__all__ = [
    "RETARGET_STATUSES",
    "AudienceKind",
    "CsvFileRules",
    "RetargetRules",
    "Rules",
    "SegmentRules",
    "SheetRules",
    "StaticRules",
    "TableMapping",
    "rules_from_json",
]

AudienceKind = Literal["static", "segment", "csv", "sheet", "retarget"]
KINDS: tuple[str, ...] = get_args(AudienceKind)
# How far a campaign's send to a recipient got (see RetargetRules); the spelling the campaign engine uses too.
RETARGET_STATUSES = ("sent", "delivered", "read", "unread", "replied", "failed", "unknown", "skipped")


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{key} must be a list of strings")
    return tuple(value)


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string")
    return value


def _only(data: Mapping[str, Any], allowed: set[str], what: str) -> None:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"a {what} definition must be a JSON object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(
            f"unknown {what} setting(s): {', '.join(unknown)}", hint=f"known: {', '.join(sorted(allowed))}"
        )


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """Saved filters: tags (all of, any of, none of), attribute tests, last inbound time, opt-out state.

    Durations are kept as written (``7d``); ``inbound_older_than`` includes contacts who never wrote.
    """

    tags: tuple[str, ...] = ()
    any_tags: tuple[str, ...] = ()
    without_tags: tuple[str, ...] = ()
    attributes: tuple[AttributeCondition, ...] = ()
    inbound_within: str | None = None
    inbound_older_than: str | None = None
    opted_out: bool | None = None
    kind: Literal["segment"] = field(default="segment", init=False)

    def check(self) -> SegmentRules:
        self.to_filter().conditions(0)  # every value checked the way a query would use it
        return self

    def to_filter(self) -> ContactFilter:
        return ContactFilter(
            tags=validate_tags(self.tags),
            any_tags=validate_tags(self.any_tags),
            without_tags=validate_tags(self.without_tags),
            attributes=[a.check() for a in self.attributes],
            inbound_within=parse_duration(self.inbound_within, field="inbound_within") if self.inbound_within else None,
            inbound_older_than=(
                parse_duration(self.inbound_older_than, field="inbound_older_than") if self.inbound_older_than else None
            ),
            opted_out=self.opted_out,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("tags", "any_tags", "without_tags"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.attributes:
            out["attributes"] = [
                {"name": a.name, "op": a.op, **({"value": a.value} if a.op != "exists" else {})}
                for a in self.attributes
            ]
        for key in ("inbound_within", "inbound_older_than", "opted_out"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SegmentRules:
        _only(data, {"tags", "any_tags", "without_tags", "attributes", "inbound_within", "inbound_older_than",
                     "opted_out"}, "segment")  # fmt: skip
        raw_attributes = data.get("attributes", [])
        if not isinstance(raw_attributes, list) or not all(isinstance(a, Mapping) for a in raw_attributes):
            raise InvalidInput("attributes must be a list of {name, op, value} objects")
        attributes = []
        for item in raw_attributes:
            _only(item, {"name", "op", "value"}, "attribute test")
            op: AttributeOp = item.get("op", "equals")
            value = item.get("value")
            attributes.append(AttributeCondition(str(item.get("name", "")), op, None if value is None else str(value)))
        opted_out = data.get("opted_out")
        if opted_out is not None and not isinstance(opted_out, bool):
            raise InvalidInput("opted_out must be true, false or absent")
        return cls(
            tags=_strings(data, "tags"),
            any_tags=_strings(data, "any_tags"),
            without_tags=_strings(data, "without_tags"),
            attributes=tuple(attributes),
            inbound_within=_optional_str(data, "inbound_within"),
            inbound_older_than=_optional_str(data, "inbound_older_than"),
            opted_out=opted_out,
        ).check()


@dataclass(frozen=True, slots=True)
class TableMapping:
    """Columns of a CSV file or sheet: the phone (detected when None), the name, attributes; the default region."""

    phone_column: str | None = None
    name_column: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None

    def column_mapping(self) -> ColumnMapping:
        return ColumnMapping(self.phone_column, self.name_column, dict(self.attributes), region=self.region)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: getattr(self, k) for k in ("phone_column", "name_column", "region") if getattr(self, k)
        }
        if self.attributes:
            out["attributes"] = dict(self.attributes)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableMapping:
        attributes = data.get("attributes", {})
        if not isinstance(attributes, Mapping) or not all(isinstance(v, str) for v in attributes.values()):
            raise InvalidInput("attributes must map column names to attribute names")
        mapping = cls(
            _optional_str(data, "phone_column"),
            _optional_str(data, "name_column"),
            dict(attributes),
            _optional_str(data, "region"),
        )
        mapping.column_mapping().check()
        return mapping


_MAPPING_KEYS = {"phone_column", "name_column", "attributes", "region"}


@dataclass(frozen=True, slots=True)
class CsvFileRules:
    """A CSV file read when the audience is resolved (an absolute path on the machine that resolves it)."""

    path: str
    mapping: TableMapping = field(default_factory=TableMapping)
    encoding: str = "utf-8"
    delimiter: str | None = None
    kind: Literal["csv"] = field(default="csv", init=False)

    @property
    def csv_format(self) -> CsvFormat:
        return CsvFormat(self.encoding, self.delimiter)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, **self.mapping.to_json(), "encoding": self.encoding}
        if self.delimiter:
            out["delimiter"] = self.delimiter
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CsvFileRules:
        _only(data, {"path", "encoding", "delimiter", *_MAPPING_KEYS}, "csv audience")
        path = _optional_str(data, "path")
        if not path:
            raise InvalidInput("a csv audience needs the path of its file")
        rules = cls(path, TableMapping.from_json(data), _optional_str(data, "encoding") or "utf-8",
                    _optional_str(data, "delimiter"))  # fmt: skip
        rules.csv_format.check()
        return rules


@dataclass(frozen=True, slots=True)
class SheetRules:
    """A Google Sheet range (A1 notation, first row = header), through the workspace's Google integration."""

    spreadsheet_id: str
    range: str
    mapping: TableMapping = field(default_factory=TableMapping)
    integration: str | None = None  # which Google integration of the workspace (default: its first)
    kind: Literal["sheet"] = field(default="sheet", init=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"spreadsheet_id": self.spreadsheet_id, "range": self.range, **self.mapping.to_json()}
        if self.integration:
            out["integration"] = self.integration
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SheetRules:
        _only(data, {"spreadsheet_id", "range", "integration", *_MAPPING_KEYS}, "sheet audience")
        spreadsheet_id = (_optional_str(data, "spreadsheet_id") or "").strip()
        range_ = (_optional_str(data, "range") or "").strip()
        if not spreadsheet_id or "/" in spreadsheet_id or len(spreadsheet_id) > 200:
            raise InvalidInput("spreadsheet_id must be a spreadsheet's id (the part of its URL after /d/)")
        if not range_ or len(range_) > 200:
            raise InvalidInput("range must be an A1 range such as Sheet1!A:D (its first row names the columns)")
        return cls(spreadsheet_id, range_, TableMapping.from_json(data), _optional_str(data, "integration"))


@dataclass(frozen=True, slots=True)
class RetargetRules:
    """Recipients of ``campaign_id`` whose send reached one of ``statuses`` (any of them):

    ``sent`` accepted by Meta; ``delivered`` delivered (read ones included); ``read`` read; ``unread`` accepted
    but not read; ``replied`` the contact wrote to us after the send; ``failed``, ``unknown``, ``skipped`` in that
    state now.
    """

    campaign_id: int
    statuses: tuple[str, ...]
    kind: Literal["retarget"] = field(default="retarget", init=False)

    def check(self) -> RetargetRules:
        if not self.statuses:
            raise InvalidInput("name at least one status to retarget", hint=f"one of {', '.join(RETARGET_STATUSES)}")
        bad = [s for s in self.statuses if s not in RETARGET_STATUSES]
        if bad:
            raise InvalidInput(f"unknown status {bad[0]!r}", hint=f"one of {', '.join(RETARGET_STATUSES)}")
        return self

    def to_json(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "statuses": list(self.statuses)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetargetRules:
        _only(data, {"campaign_id", "statuses"}, "retarget audience")
        campaign_id = data.get("campaign_id")
        if not isinstance(campaign_id, int) or isinstance(campaign_id, bool) or campaign_id <= 0:
            raise InvalidInput("campaign_id must be a campaign's id")
        return cls(campaign_id, tuple(dict.fromkeys(_strings(data, "statuses")))).check()


@dataclass(frozen=True, slots=True)
class StaticRules:
    """A saved list. ``source`` records how it was first filled (``csv:<file>``, ``filter``, or empty)."""

    source: str | None = None
    kind: Literal["static"] = field(default="static", init=False)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source} if self.source else {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StaticRules:
        _only(data, {"source"}, "static audience")
        return cls(_optional_str(data, "source"))


Rules = StaticRules | SegmentRules | CsvFileRules | SheetRules | RetargetRules
_PARSERS: dict[str, Any] = {
    "static": StaticRules.from_json,
    "segment": SegmentRules.from_json,
    "csv": CsvFileRules.from_json,
    "sheet": SheetRules.from_json,
    "retarget": RetargetRules.from_json,
}


def rules_from_json(kind: str, definition: Mapping[str, Any]) -> Rules:
    """The rules of a saved audience; InvalidInput for an unknown kind or a bad definition."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise InvalidInput(f"unknown audience kind {kind!r}", hint=f"one of {', '.join(KINDS)}")
    rules: Rules = parser(definition)
    return rules
