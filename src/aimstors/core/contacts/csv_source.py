"""Reading a CSV file as a stream of records, each with the line it starts on.

The file is read line by line as bytes and decoded strictly, so a byte that is not valid in the file's encoding is
reported with its line and column instead of turning into a replacement character or a mid-file crash. Records
come out in batches (:meth:`CsvReader.read_batch`), so a file of a million rows never sits in memory; the bytes
read so far (:attr:`CsvReader.bytes_read`) drive a progress bar.

Structural problems (undecodable bytes, an unterminated quote, a NUL byte, an empty file, duplicate column names)
raise :class:`MalformedCsv` naming the line. Row-level problems (a row with the wrong number of fields) are the
caller's to judge: see :mod:`aimstors.core.contacts.row_mapping`.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from aimstors.core.errors import InvalidInput

__all__ = ["DELIMITERS", "CsvFormat", "CsvReader", "CsvRecord", "MalformedCsv"]

DELIMITERS = (",", ";", "\t", "|")


class MalformedCsv(InvalidInput):
    """The file cannot be read as CSV. ``line`` is the 1-based line of the problem (None: the file as a whole)."""

    def __init__(self, message: str, *, line: int | None, hint: str | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message, hint=hint)
        self.line = line


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """How to read the file: its text encoding (ASCII-compatible: UTF-8, cp1252, latin-1…) and delimiter.

    ``delimiter=None`` picks the most frequent of ``, ; TAB |`` on the header line.
    """

    encoding: str = "utf-8"
    delimiter: str | None = None

    def check(self) -> CsvFormat:
        """This format if it is usable; InvalidInput naming the encoding or delimiter otherwise."""
        try:
            info = codecs.lookup(self.encoding)
        except LookupError:
            raise InvalidInput(f"unknown encoding {self.encoding!r}", hint="e.g. utf-8, cp1252 or latin-1") from None
        if '\n,;\t|"'.encode(info.name, errors="replace") != b'\n,;\t|"':
            raise InvalidInput(
                f"encoding {self.encoding!r} is not supported: lines must be ASCII-compatible",
                hint="convert the file to UTF-8",
            )
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in '"\r\n'):
            raise InvalidInput(
                f"the delimiter must be one character other than a quote or newline, not {self.delimiter!r}"
            )
        return self


CsvRecord = tuple[int, list[str]]  # (line the record starts on, its fields)


class CsvReader:
    """A CSV file opened for streaming. Use as a context manager; :attr:`header` is read on entry.

    Blank records (empty lines, or only delimiters) are skipped. Line numbers count physical lines from 1, the
    header included, so they match what an editor shows.
    """

    def __init__(self, path: Path, fmt: CsvFormat | None = None) -> None:
        self.path = path
        self.format = (fmt or CsvFormat()).check()
        self.size = 0
        self.bytes_read = 0
        self.header: list[str] = []
        self.header_line = 1
        self._file: BinaryIO | None = None
        self._lines_read = 0
        self._records: Iterator[list[str]] | None = None
        self._codec = codecs.lookup(self.format.encoding).name

    def __enter__(self) -> CsvReader:
        try:
            self._file = self.path.open("rb")
            self.size = self.path.stat().st_size
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.path.name}: {exc.strerror or exc}") from None
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _decoded_lines(self) -> Iterator[str]:
        assert self._file is not None
        for raw in self._file:
            self._lines_read += 1
            self.bytes_read += len(raw)
            codec = "utf-8-sig" if self._lines_read == 1 and self._codec == "utf-8" else self._codec
            if b"\x00" in raw:  # never text: a binary file (a spreadsheet not saved as CSV), and Postgres refuses it
                column = raw.index(0) + 1
                raise MalformedCsv(
                    f"a NUL byte at column {column} (a spreadsheet saved in a binary format rather than as CSV?)",
                    line=self._lines_read,
                )
            try:
                yield raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise MalformedCsv(
                    f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not valid {self.format.encoding}",
                    line=self._lines_read,
                    hint="convert the file to UTF-8, or name its real encoding (e.g. --encoding cp1252)",
                ) from None

    def _start(self) -> None:
        assert self._file is not None
        first = next(self._decoded_lines(), None)
        if first is None:
            raise MalformedCsv(f"{self.path.name} is empty: it needs a header line naming its columns", line=None)
        delimiter = self.format.delimiter or _detect_delimiter(first)
        self._file.seek(0)  # read again from the top, so line numbers and bytes count from the start
        self._lines_read = self.bytes_read = 0
        self._records = csv.reader(self._decoded_lines(), delimiter=delimiter, strict=True)
        record = self._next()
        if record is None:
            raise MalformedCsv(f"{self.path.name} has no header line naming its columns", line=None)
        self.header_line, fields = record
        self.header = [name.strip() for name in fields]
        seen: dict[str, int] = {}
        for index, name in enumerate(self.header, start=1):
            key = name.casefold()
            if not key:
                continue
            if key in seen:
                raise MalformedCsv(
                    f"columns {seen[key]} and {index} are both named {name!r}; column names must be unique",
                    line=self.header_line,
                )
            seen[key] = index

    def _next(self) -> CsvRecord | None:
        """The next non-blank record, or None at the end of the file."""
        assert self._records is not None
        while True:
            start = self._lines_read + 1
            try:
                fields = next(self._records)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise MalformedCsv(
                    _describe(exc), line=start if start <= self._lines_read else self._lines_read
                ) from None
            if any(field.strip() for field in fields):
                return start, fields

    def read_batch(self, size: int) -> list[CsvRecord]:
        """Up to ``size`` more records; an empty list at the end of the file."""
        batch: list[CsvRecord] = []
        while len(batch) < size:
            record = self._next()
            if record is None:
                break
            batch.append(record)
        return batch


def _detect_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _describe(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return "a quoted field is never closed (a stray '\"' in this record?)"
    return f"not valid CSV ({text})"
