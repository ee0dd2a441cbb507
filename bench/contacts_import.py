"""How long a 1,000,000-row CSV import takes, and how much memory it needs, on SQLite and Postgres.

The script writes a CSV file of ``--rows`` contacts (phone in mixed national and international notation with
``--region US``, name, two attribute columns, a tag column), migrates a fresh database per dialect (a SQLite temp
file; a Postgres database created and dropped here), makes one workspace, and runs ``contacts.import_contacts`` —
the public call, all-or-nothing: a validating pass over the whole file, then the writing pass in one transaction —
in a child process per run, so each run's peak RSS is its own. With ``--reimport`` the same file is imported a
second time (every row an update of an existing contact).

Targets: the import streams — peak RSS stays flat as the row count grows (well under 300 MB at 1M rows).

    .venv/bin/python bench/contacts_import.py [--rows 1000000] [--dialect both|sqlite|postgres] [--reimport]
                                              [--pg-dsn postgresql://postgres@127.0.0.1:5432/postgres]
                                              [--json] [--no-results]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/'s own helpers, however it is run
from machine import machine_info

RESULTS = Path(__file__).with_name("RESULTS.md")
RSS_TARGET_MB = 300


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("Phone,Name,City,Plan,Tags\n")
        for i in range(rows):
            area = 201 + i // 10_000_000
            local = i % 10_000_000
            phone = f"({area}) {local // 10_000:03d}-{local % 10_000:04d}" if i % 2 else f"+1{area}{local:07d}"
            f.write(
                f"{phone},Person {i},City {i % 97},{('free', 'gold', 'silver')[i % 3]},{'vip' if i % 10 == 0 else ''}\n"
            )


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _setup(url: str) -> None:
    from aimstors.core.db import Database
    from aimstors.core.db.migrate import upgrade
    from aimstors.core.security import Actor
    from aimstors.core.setup import initialise
    from aimstors.core.tenancy import tenants

    db = Database(url)
    await upgrade(db)
    await initialise(db, admin_email="bench@example.com", admin_password="bench password 1")
    await tenants.create_tenant(db, Actor.system(), slug="bench")
    await db.dispose()


async def _child(url: str, file: str) -> dict[str, Any]:
    from aimstors.core.contacts import ColumnMapping, ImportOptions, ImportProgress, import_contacts
    from aimstors.core.db import Database
    from aimstors.core.security import Actor

    db = Database(url)
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(event: ImportProgress) -> None:
        phases.setdefault(event.phase, time.perf_counter() - started)

    baseline = _status_mb("VmRSS")
    mapping = ColumnMapping(attributes={"City": "city", "Plan": "plan"}, tag_column="Tags", region="US")
    report = await import_contacts(
        db, Actor.system(), Path(file), tenant_slug="bench", options=ImportOptions(mapping), progress=progress
    )
    total = time.perf_counter() - started
    await db.dispose()
    return {
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "validate_s": phases.get("importing", 0.0),
        "write_s": total - phases.get("importing", 0.0),
        "total_s": total,
        "rows_per_s": report.rows / total,
        "baseline_mb": baseline,
        "peak_mb": _status_mb("VmHWM"),
    }


def _run_child(url: str, file: Path) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", url, str(file)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"import failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


async def _pg_admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _bench(dialect: str, file: Path, rows: int, args: argparse.Namespace, scratch: Path) -> list[dict[str, Any]]:
    if dialect == "sqlite":
        url, drop = f"sqlite+aiosqlite:///{scratch / 'bench.db'}", None
    else:
        name = f"aimstors_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin(args.pg_dsn, f'CREATE DATABASE "{name}"'))
        base = args.pg_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        url, drop = f"{base}/{name}", name
    try:
        asyncio.run(_setup(url))
        runs = [{"dialect": dialect, "run": "first import (inserts)", **_run_child(url, file)}]
        if args.reimport:
            runs.append({"dialect": dialect, "run": "re-import (updates)", **_run_child(url, file)})
        return runs
    finally:
        if drop is not None:
            asyncio.run(_pg_admin(args.pg_dsn, f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="contacts import")
    for col in (
        "dialect",
        "run",
        "rows",
        "new",
        "updated",
        "validate s",
        "write s",
        "total s",
        "rows/s",
        "peak RSS MB",
    ):
        table.add_column(col, justify="left" if col in ("dialect", "run") else "right")
    for r in results:
        table.add_row(
            r["dialect"], r["run"], f"{r['rows']:,}", f"{r['inserted']:,}", f"{r['updated']:,}",
            f"{r['validate_s']:.1f}", f"{r['write_s']:.1f}", f"{r['total_s']:.1f}", f"{r['rows_per_s']:,.0f}",
            f"{r['peak_mb']:.0f}",
        )  # fmt: skip
    return table


def _markdown(results: list[dict[str, Any]], machine: dict[str, Any], rows: int, size_mb: float) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## contacts import — {when}",
        "",
        f"Machine: {machine['nproc']} cores, {machine['cpu']}, {machine['ram']} RAM, Python {machine['python']}; "
        f"load average at start {machine['load']} (`bench/contacts_import.py`).",
        f"A {rows:,}-row CSV file ({size_mb:.0f} MB: phone in national and international notation read with region "
        "US, name, two attribute columns, a tag column), imported all-or-nothing through `contacts.import_contacts`: "
        "a validating pass, then the writing pass in one transaction (Core upserts, 1,000-row batches, the next "
        "batch parsed in a thread while one is written). Each run in its own process; peak RSS is that process's.",
        "",
        "| dialect | run | rows | new | updated | validate s | write s | total s | rows/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['dialect']} | {r['run']} | {r['rows']:,} | {r['inserted']:,} | {r['updated']:,} | "
            f"{r['validate_s']:.1f} | {r['write_s']:.1f} | {r['total_s']:.1f} | {r['rows_per_s']:,.0f} | "
            f"{r['peak_mb']:.0f} |"
        )
    peak = max(r["peak_mb"] for r in results)
    lines += [
        "",
        f"Peak RSS {peak:.0f} MB (target < {RSS_TARGET_MB} MB): {'met' if peak < RSS_TARGET_MB else 'NOT met'}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dialect", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--reimport", action="store_true", help="also time a second import of the same file")
    parser.add_argument(
        "--pg-dsn", default=os.environ.get("AIMSTORS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child[0], args.child[1]))))
        return
    console = Console()
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="aimstors-bench-") as scratch:
        file = Path(scratch) / "contacts.csv"
        console.print(f"writing {args.rows:,} rows …")
        _write_csv(file, args.rows)
        size_mb = file.stat().st_size / 1024 / 1024
        results: list[dict[str, Any]] = []
        for dialect in ["sqlite", "postgres"] if args.dialect == "both" else [args.dialect]:
            console.print(f"{dialect}: importing …")
            results += _bench(dialect, file, args.rows, args, Path(scratch))
    if args.json:
        print(json.dumps({"machine": machine, "results": results}, indent=2))
    else:
        console.print(_table(results))
    if not args.no_results:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n" + _markdown(results, machine, args.rows, size_mb))


if __name__ == "__main__":
    main()
