"""What a contact import tells its caller: progress while it runs, rejected rows, and the final report.

Rejected rows go to an optional rejects file (CSV: ``line``, ``reason``, then the row's original columns, so the
file can be fixed and imported again); the report keeps the first few in memory for a summary.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TextIO

from aimstors.core.errors import InvalidInput

__all__ = [
    "SUMMARY_REJECTIONS",
    "CsvRowsInvalid",
    "ImportProgress",
    "ImportReport",
    "ProgressCallback",
    "Rejection",
    "RejectionLog",
]

SUMMARY_REJECTIONS = 20  # rejections kept in memory for the report; the rejects file has them all


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an import is: ``validating`` (the first pass of an all-or-nothing import) or ``importing``."""

    phase: Literal["validating", "importing"]
    bytes_done: int
    bytes_total: int
    rows: int


ProgressCallback = Callable[[ImportProgress], None]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row left out, by the line it starts on in the file."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of an import.

    ``rows`` counts the file's data rows; ``inserted`` new contacts, ``updated`` existing contacts the file
    matched (their opt-out is kept: ``opted_out`` of them stay opted out), ``duplicates`` rows repeating a number
    seen earlier in the file (merged into it), ``rejected`` rows left out (only with ``skip_invalid``).
    """

    tenant: str
    file: str
    rows: int
    inserted: int
    updated: int
    duplicates: int
    rejected: int
    opted_out: int
    phone_column: str
    name_column: str | None
    attributes: dict[str, str]
    tag_column: str | None
    tags: list[str]
    ignored_columns: list[str]
    region: str | None
    rejections: list[Rejection] = field(default_factory=list)
    rejects_file: str | None = None
    audience: str | None = None
    seconds: float = 0.0


class CsvRowsInvalid(InvalidInput):
    """Rows of an all-or-nothing import are invalid, so nothing was imported. Names the first; lists a few."""

    def __init__(self, rejections: Sequence[Rejection], total: int, rows: int, rejects_file: str | None) -> None:
        first = rejections[0]
        others = f"; {total} of {rows} rows are invalid" if total > 1 else ""
        where = f" (all listed in {rejects_file})" if rejects_file else ""
        super().__init__(
            f"line {first.line}: {first.reason}{others}{where}; nothing was imported",
            hint="fix those rows, or import the valid ones and skip the rest (--skip-invalid)",
        )
        self.rejections = list(rejections)
        self.total = total
        self.rows = rows
        self.rejects_file = rejects_file


class RejectionLog:
    """Collects rejections: all of them in the rejects file (when given), the first few in memory."""

    def __init__(self, path: Path | None, header: Sequence[str]) -> None:
        self.path = path
        self.header = list(header)
        self.count = 0
        self.first: list[Rejection] = []
        self._file: TextIO | None = None
        self._writer: Any = None  # a csv writer over _file
        self._lock = threading.Lock()  # rows are rejected from the parsing thread and from the writing loop

    def __enter__(self) -> RejectionLog:
        if self.path is not None:
            try:
                self._file = self.path.open("w", encoding="utf-8", newline="")
            except OSError as exc:
                raise InvalidInput(f"cannot write the rejects file {self.path}: {exc.strerror or exc}") from None
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", *self.header])
        return self

    def __exit__(self, *_: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None

    def add(self, line: int, reason: str, fields: Sequence[str]) -> None:
        with self._lock:
            self.count += 1
            if len(self.first) < SUMMARY_REJECTIONS:
                self.first.append(Rejection(line, reason))
            if self._writer is not None:
                self._writer.writerow([line, reason, *fields])
