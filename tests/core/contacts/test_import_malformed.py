"""A malformed or invalid CSV is a clear error naming the problem and the line, and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.contacts_world import Shops, contact_count, write_csv

from aimstors.core.contacts import (
    ColumnMapping,
    CsvRowsInvalid,
    ImportOptions,
    MalformedCsv,
    import_contacts,
    import_writer,
)
from aimstors.core.errors import InvalidInput

GOOD = "phone,name\n+15550100001,Ann\n+15550100002,Bob\n"

MALFORMED: list[tuple[str, bytes, dict[str, Any], int | None, str]] = [
    (
        "undecodable byte",
        b"phone,name\n+15550100001,Ann\n+15550100002,Bj\xf6rn\n",
        {},
        3,
        "byte 0xf6 at column 16 is not valid utf-8",
    ),
    ("unterminated quote", b'phone,name\n+15550100001,"Ann\n+15550100002,Bob\n', {}, 2, "quoted field is never closed"),
    ("NUL byte", b"phone,name\n+15550100001,A\x00nn\n", {}, 2, "NUL byte"),
    ("no phone column", b"name,city\nAnn,Paris\n", {}, 1, "no phone column found; the columns are 'name', 'city'"),
    ("named column missing", GOOD.encode(), {"phone_column": "Mobile"}, 1, "there is no phone column 'Mobile'"),
    ("attribute column missing", GOOD.encode(), {"attributes": {"City": "city"}}, 1, "no attribute column 'City'"),
    ("duplicate header", b"phone,Phone\n1,2\n", {}, 1, "columns 1 and 2 are both named 'Phone'"),
    ("empty file", b"", {}, None, "is empty"),
]


async def test_a_malformed_file_names_the_line_and_writes_nothing(shops: Shops, tmp_path: Path) -> None:
    for case, content, mapping, line, says in MALFORMED:
        path = write_csv(tmp_path / "bad.csv", content)
        for skip_invalid in (False, True):  # a broken file is an error even when skipping invalid rows
            options = ImportOptions(ColumnMapping(**mapping), skip_invalid=skip_invalid)
            with pytest.raises(MalformedCsv) as caught:
                await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a", options=options)
            message = caught.value.message
            assert caught.value.line == line, case
            assert says in message, (case, message)
            assert line is None or message.startswith(f"line {line}: "), (case, message)
    assert await contact_count(shops.db) == 0


async def test_invalid_rows_stop_the_import_naming_the_first_and_counting_all(shops: Shops, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "rows.csv",
        "phone,name,city\n+15550100001,Ann,Paris\n+15550100002,Bob\n12,Carl,Rome\n+15550100003,Dan,Oslo\n",
    )
    rejects = tmp_path / "rejects.csv"
    with pytest.raises(CsvRowsInvalid) as caught:
        await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a",
                              options=ImportOptions(rejects_path=rejects))  # fmt: skip
    error = caught.value
    assert error.message == (
        f"line 3: has 2 fields where the header has 3; 2 of 4 rows are invalid (all listed in {rejects}); "
        "nothing was imported"
    )
    assert [(r.line, r.reason) for r in error.rejections] == [
        (3, "has 2 fields where the header has 3"),
        (4, "the phone ('phone') is not a phone number in international form"),
    ]
    assert error.hint and "--skip-invalid" in error.hint
    assert rejects.read_text().splitlines()[1:] == [
        "3,has 2 fields where the header has 3,+15550100002,Bob",
        "4,the phone ('phone') is not a phone number in international form,12,Carl,Rome",
    ]
    assert await contact_count(shops.db) == 0


async def test_a_failure_while_writing_rolls_everything_back(
    shops: Shops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = "".join(f"+1555010{i:04d},P{i}\n" for i in range(50))
    path = write_csv(tmp_path / "fifty.csv", "phone,name\n" + lines)
    real_write = import_writer.ContactWriter.write
    calls = 0

    async def failing_write(self: import_writer.ContactWriter, rows: Any, *, skip_invalid: bool) -> Any:
        nonlocal calls
        calls += 1
        if calls == 4:  # three batches are already written in this transaction
            raise InvalidInput("the database said no")
        return await real_write(self, rows, skip_invalid=skip_invalid)

    monkeypatch.setattr(import_writer.ContactWriter, "write", failing_write)
    with pytest.raises(InvalidInput, match="the database said no"):
        await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a", options=ImportOptions(batch_size=10))
    assert calls == 4
    assert await contact_count(shops.db) == 0


@pytest.mark.sqlite_only  # refused before the database is touched
async def test_bad_options_are_refused_before_reading(shops: Shops, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", GOOD)
    cases: list[tuple[ImportOptions, str]] = [
        (ImportOptions(ColumnMapping(region="XX")), "'XX' is not a region code"),
        (ImportOptions(ColumnMapping(tags=["ok", " "])), "a tag cannot be empty"),
        (ImportOptions(ColumnMapping(attributes={"phone": " bad"})), "surrounding spaces"),
    ]
    for options, says in cases:
        with pytest.raises(InvalidInput, match=says):
            await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a", options=options)
    from aimstors.core.contacts import CsvFormat

    with pytest.raises(InvalidInput, match="not supported"):
        await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a",
                              options=ImportOptions(csv_format=CsvFormat(encoding="utf-16")))  # fmt: skip
    assert await contact_count(shops.db) == 0
