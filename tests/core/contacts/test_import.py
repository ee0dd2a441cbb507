"""CSV import: mapping, normalisation, dedupe, opt-outs kept, --skip-invalid, and the report."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
from tests.contacts_world import Shops, contact_rows, set_contact, write_csv

from aimstors.core import contacts
from aimstors.core.contacts import ColumnMapping, ContactFilter, ImportOptions, import_contacts
from aimstors.core.db.base import utcnow

LEADS = """\
Mobile,Full Name,City,Plan,Labels,Notes
(202) 555-0123,Ann Lee,Paris,gold,vip;new,likes cats
+44 7911 123456,Bob Stone,,silver,vip,
00 33 6 12 34 56 78,Chloé Martin,Lyon,,,call after 6
"""


async def test_import_maps_columns_and_normalises_numbers(shops: Shops, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", LEADS)
    mapping = ColumnMapping(
        attributes={"City": "city", "Plan": "plan"}, tag_column="Labels", tags=["june-import"], region="US"
    )
    report = await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a", options=ImportOptions(mapping))
    assert (report.rows, report.inserted, report.updated, report.duplicates, report.rejected) == (3, 3, 0, 0, 0)
    assert report.phone_column == "Mobile" and report.name_column == "Full Name"
    assert report.ignored_columns == ["Notes"]
    rows = {r.wa_id: r for r in await contact_rows(shops.db, shops.a)}
    assert set(rows) == {"12025550123", "447911123456", "33612345678"}
    assert rows["12025550123"].profile_name == "Ann Lee"
    assert rows["12025550123"].attributes == {"city": "Paris", "plan": "gold"}
    assert rows["447911123456"].attributes == {"plan": "silver"}  # empty cells set nothing
    page = await contacts.list_contacts(shops.db, shops.system, tenant_slug="shop-a", where=ContactFilter(tag="vip"))
    assert sorted(c.wa_id for c in page.items) == ["12025550123", "447911123456"]
    ann = next(c for c in page.items if c.wa_id == "12025550123")
    assert ann.tags == ["june-import", "new", "vip"]


async def test_duplicates_merge_in_the_file_and_update_existing_contacts(shops: Shops, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "phone,name,city\n+15550100001,Ann,Paris\n+15550100002,Bob,Rome\n")
    await import_contacts(shops.db, shops.system, first, tenant_slug="shop-a",
                          options=ImportOptions(ColumnMapping(attributes={"city": "city"})))  # fmt: skip
    second = write_csv(
        tmp_path / "b.csv",
        "phone,name,city,tier\n"
        "+1 555 010 0002,,Milan,\n"  # existing Bob: new city, name kept
        "+15550100003,Carl,Oslo,1\n"
        "1-555-010-0003,Carl B,,2\n"  # a repeat in the same batch: later values win
        "+15550100004,Dan,Bern,\n"
        "+15550100003,,,3\n",  # a repeat in a later batch
    )
    options = ImportOptions(ColumnMapping(attributes={"city": "city", "tier": "tier"}), batch_size=2)
    report = await import_contacts(shops.db, shops.system, second, tenant_slug="shop-a", options=options)
    assert (report.rows, report.inserted, report.updated, report.duplicates) == (5, 2, 1, 2)
    rows = {r.wa_id: r for r in await contact_rows(shops.db, shops.a)}
    assert len(rows) == 4
    assert (rows["15550100002"].profile_name, rows["15550100002"].attributes) == ("Bob", {"city": "Milan"})
    assert (rows["15550100003"].profile_name, rows["15550100003"].attributes) == (
        "Carl B",
        {"city": "Oslo", "tier": "3"},
    )
    assert rows["15550100001"].attributes == {"city": "Paris"}  # not in the second file: untouched


async def test_reimport_keeps_opt_outs(shops: Shops, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", "phone,name\n+15550100001,Ann\n+15550100002,Bob\n")
    await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a")
    await set_contact(shops.db, shops.a, "15550100001", opted_out_at=utcnow(), opt_out_source="keyword")
    report = await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a")
    assert (report.updated, report.opted_out) == (2, 1)
    rows = {r.wa_id: r for r in await contact_rows(shops.db, shops.a)}
    assert rows["15550100001"].opted_out_at is not None
    assert rows["15550100002"].opted_out_at is None


async def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(shops: Shops, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mixed.csv",
        "phone,name\n+15550100001,Ann\nnot a number,Bob\n+15550100002,Carl,extra\n\n+15550100003,Dan\n,Eve\n",
    )
    rejects = tmp_path / "rejects.csv"
    options = ImportOptions(skip_invalid=True, rejects_path=rejects)
    report = await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a", options=options)
    assert (report.rows, report.inserted, report.rejected) == (5, 2, 3)
    assert [(r.line, r.reason) for r in report.rejections] == [
        (3, "the phone ('phone') is not a phone number in international form"),
        (4, "has 3 fields where the header has 2"),
        (7, "the phone ('phone') is empty"),
    ]
    with rejects.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line", "reason", "phone", "name"]
    assert [r[0] for r in rows[1:]] == ["3", "4", "7"]
    assert rows[1][2:] == ["not a number", "Bob"]  # the original row, to fix and import again
    assert [r.wa_id for r in await contact_rows(shops.db, shops.a)] == ["15550100001", "15550100003"]


@pytest.mark.sqlite_only  # reading the file does not depend on the dialect
async def test_cp1252_with_semicolons_then_utf8_with_a_bom(shops: Shops, tmp_path: Path) -> None:
    latin = write_csv(tmp_path / "fr.csv", "Téléphone;Nom\n+33 6 12 34 56 78;Zoé\n".encode("cp1252"))
    options = ImportOptions(ColumnMapping(phone_column="téléphone", name_column="Nom"),
                            contacts.CsvFormat(encoding="cp1252"))  # fmt: skip
    report = await import_contacts(shops.db, shops.system, latin, tenant_slug="shop-a", options=options)
    assert report.inserted == 1
    assert (await contact_rows(shops.db, shops.a))[0].profile_name == "Zoé"
    bom = write_csv(tmp_path / "bom.csv", "\ufeffphone,name\n+33612345678,Zoé B\n".encode())
    report = await import_contacts(shops.db, shops.system, bom, tenant_slug="shop-a")
    assert (report.phone_column, report.updated) == ("phone", 1)
    assert (await contact_rows(shops.db, shops.a))[0].profile_name == "Zoé B"


@pytest.mark.sqlite_only
async def test_progress_reports_bytes_and_no_phone_numbers_are_logged(
    shops: Shops, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = "".join(f"+1555010{i:04d},Person {i}\n" for i in range(2500))
    path = write_csv(tmp_path / "many.csv", "phone,name\n" + lines)
    seen: list[contacts.ImportProgress] = []
    caplog.set_level(logging.INFO)
    report = await import_contacts(shops.db, shops.system, path, tenant_slug="shop-a", progress=seen.append)
    assert report.inserted == 2500
    phases = [p.phase for p in seen]
    assert phases[0] == "validating" and phases[-1] == "importing"
    last = seen[-1]
    assert last.bytes_done == last.bytes_total == path.stat().st_size and last.rows == 2500
    infos = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "imported many.csv" in infos
    assert "5550100" not in infos
