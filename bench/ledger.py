"""How fast a balance is read from an account with 1,000,000 ledger entries, with and without checkpoints.

For each dialect (a SQLite temp file; a Postgres database created and dropped here), the script migrates an
empty database, makes a platform root and one workspace, then bulk-loads balanced transactions with one
``INSERT … SELECT`` per table (``generate_series`` on Postgres, a recursive CTE on SQLite): alternately a top-up
(issuance → workspace, two entries) and a spend (workspace → revenue, two entries), so the workspace's
``credits`` account gets ``--entries`` entries and the ledger twice that. Then it times ``ledger.balance()`` — the
public call, one transaction in the workspace's scope (Postgres row-level security on) — in three states:

1. no checkpoint: the sum runs over every entry of the account (the index-only scan, no shortcut);
2. a checkpoint at the latest entry (just after ``ledger.checkpoint``): nothing left to sum;
3. the worst case between automatic checkpoints: ``CHECKPOINT_EVERY`` entries past the latest checkpoint.

Each balance read is checked against the raw sum once. ``spend()`` latency on the loaded account is shown for
comparison. Target: balance() median and p95 < 5 ms with 1,000,000 entries (states 2 and 3).

    .venv/bin/python bench/ledger.py [--entries 1000000] [--calls 200] [--dialect both|sqlite|postgres]
                                     [--pg-dsn postgresql://postgres@127.0.0.1:5432/postgres] [--json] [--no-results]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, func, insert, select, text, update

from aimstors.core import ledger
from aimstors.core.db import Database, Scope
from aimstors.core.db.migrate import upgrade
from aimstors.core.ledger import checkpoints as checkpoint_module
from aimstors.core.ledger import tables as t

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/'s own helpers, run either way
from machine import machine_info

TARGET_MS = 5.0
RESULTS = Path(__file__).with_name("RESULTS.md")
REFERENCE_TAIL = 10_000  # also timed, to show what a sparser checkpoint interval would cost
TOPUP, SPEND = 3, 1  # micro-credits per bulk top-up / spend: the balance only grows


async def _make_tenants(db: Database) -> tuple[int, int]:
    async with db.connect(Scope.system(), write=True) as conn:
        ids = []
        for kind, parent in (("platform", None), ("workspace", 0)):
            tenant_id = (
                await conn.execute(
                    insert(t.tenants)
                    .values(
                        parent_id=ids[parent] if parent is not None else None, kind=kind, slug=kind, name=kind, path="/"
                    )
                    .returning(t.tenants.c.id)
                )
            ).scalar_one()
            path = f"/{ids[0]}/{tenant_id}/" if ids else f"/{tenant_id}/"
            await conn.execute(update(t.tenants).where(t.tenants.c.id == tenant_id).values(path=path))
            ids.append(tenant_id)
    return ids[0], ids[1]


async def _account_ids(db: Database, root: int, ws: int) -> dict[str, int]:
    async with db.connect(Scope.system()) as conn:
        rows = await conn.execute(
            select(t.accounts.c.tenant_id, t.accounts.c.name, t.accounts.c.id).where(
                t.accounts.c.tenant_id.in_((root, ws))
            )
        )
        return {f"{'root' if r.tenant_id == root else 'ws'}:{r.name}": r.id for r in rows}


async def _bulk_load(db: Database, root: int, ws: int, entries: int) -> float:
    """``entries`` balanced transactions in two statements; returns the seconds it took."""
    # Create the accounts through the ledger itself (one top-up, one spend), then bypass it for speed.
    await ledger.topup(db, ws, TOPUP, key="seed-topup")
    await ledger.spend(db, ws, SPEND, key="seed-spend")
    acc = await _account_ids(db, root, ws)
    started = time.perf_counter()
    if db.is_sqlite:
        series = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :n) "
        now: Any = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        source = "g"
        column = "x"
    else:
        series = ""
        now = dt.datetime.now(dt.UTC)
        source = "generate_series(1, :n) AS g(x)"
        column = "x"
    tx_sql = (
        f"{series}INSERT INTO ledger_transactions (tenant_id, idempotency_key, request_sha256, kind, memo, created_at) "
        f"SELECT :ws, 'bench-' || {column}, '', CASE WHEN {column} % 2 = 1 THEN 'topup' ELSE 'spend' END, '', :now "
        f"FROM {source}"
    )
    entry_sql = (
        "INSERT INTO ledger_entries (tenant_id, account_id, transaction_id, amount, created_at) "
        "SELECT l.tenant_id, l.account_id, tx.id, l.amount, tx.created_at "
        "FROM ledger_transactions tx JOIN ("
        " SELECT 'topup' AS kind, 1 AS leg, CAST(:root AS BIGINT) AS tenant_id,"
        " CAST(:issuance AS BIGINT) AS account_id, CAST(:minus_topup AS BIGINT) AS amount"
        " UNION ALL SELECT 'topup', 2, CAST(:ws AS BIGINT), CAST(:credits AS BIGINT), CAST(:topup AS BIGINT)"
        " UNION ALL SELECT 'spend', 1, CAST(:ws AS BIGINT), CAST(:credits AS BIGINT), CAST(:minus_spend AS BIGINT)"
        " UNION ALL SELECT 'spend', 2, CAST(:root AS BIGINT), CAST(:revenue AS BIGINT), CAST(:spend AS BIGINT)"
        ") AS l ON l.kind = tx.kind "
        "WHERE tx.tenant_id = :ws AND tx.idempotency_key LIKE 'bench-%' ORDER BY tx.id, l.leg"
    )
    params = {
        "n": entries,
        "ws": ws,
        "root": root,
        "now": now,
        "issuance": acc["root:credits:issuance"],
        "credits": acc["ws:credits"],
        "revenue": acc["root:credits:revenue"],
        "topup": TOPUP,
        "minus_topup": -TOPUP,
        "spend": SPEND,
        "minus_spend": -SPEND,
    }
    async with db.connect(Scope.system(), write=True) as conn:
        await conn.execute(text(tx_sql), params)
        await conn.execute(text(entry_sql), params)
    if db.is_sqlite:
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


async def _vacuum_postgres(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE")  # sets the visibility map, so the sum is an index-only scan
    finally:
        await conn.close()


async def _raw_balance(db: Database, ws: int) -> int:
    async with db.connect(Scope.system()) as conn:
        total = (
            await conn.execute(
                select(func.coalesce(func.sum(t.entries.c.amount), 0))
                .select_from(t.entries.join(t.accounts, t.accounts.c.id == t.entries.c.account_id))
                .where(t.accounts.c.tenant_id == ws, t.accounts.c.name == "credits")
            )
        ).scalar_one()
    return int(total)


async def _time(call: Callable[[], Awaitable[Any]], calls: int) -> dict[str, float]:
    for _ in range(min(5, calls)):
        await call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) >= 2 else samples[0]
    return {"calls": calls, "median_ms": round(statistics.median(samples), 3), "p95_ms": round(p95, 3)}


async def _place_checkpoint_behind_tail(db: Database, ws: int, account_id: int, behind: int) -> None:
    """Replace the account's checkpoints by one with exactly ``behind`` entries after it."""
    e = t.entries
    async with db.connect(Scope.system(), write=True) as conn:
        await conn.execute(delete(t.checkpoints).where(t.checkpoints.c.account_id == account_id))
        entry_id = (
            await conn.execute(
                select(e.c.id)
                .where(e.c.tenant_id == ws, e.c.account_id == account_id)
                .order_by(e.c.id.desc())
                .limit(1)
                .offset(behind)
            )
        ).scalar_one()
        covered = (
            await conn.execute(
                select(func.sum(e.c.amount)).where(
                    e.c.tenant_id == ws, e.c.account_id == account_id, e.c.id <= entry_id
                )
            )
        ).scalar_one()
        await conn.execute(
            insert(t.checkpoints).values(
                tenant_id=ws,
                account_id=account_id,
                entry_id=entry_id,
                balance=int(covered),
                created_at=dt.datetime.now(dt.UTC),
            )
        )


async def _bench_dialect(dialect: str, url: str, args: argparse.Namespace, admin_dsn: str | None) -> dict[str, Any]:
    db = Database(url)
    try:
        await upgrade(db)
        root, ws = await _make_tenants(db)
        load_s = await _bulk_load(db, root, ws, args.entries)
        if admin_dsn is not None:
            await _vacuum_postgres(admin_dsn)
        raw = await _raw_balance(db, ws)
        account_id = (await _account_ids(db, root, ws))["ws:credits"]
        every = checkpoint_module.CHECKPOINT_EVERY

        async def read() -> int:
            return await ledger.balance(db, ws)

        rows: list[dict[str, Any]] = []
        assert await read() == raw, "balance without checkpoint differs from the raw sum"
        rows.append(
            {"state": "no checkpoint", "summed": args.entries + 1, "gated": False, **await _time(read, args.slow_calls)}
        )

        await ledger.checkpoint(db, ws)
        assert await read() == raw
        rows.append(
            {"state": "checkpoint at the latest entry", "summed": 0, "gated": True, **await _time(read, args.calls)}
        )

        for behind, gated in sorted({REFERENCE_TAIL: False, every: True}.items()):
            await _place_checkpoint_behind_tail(db, ws, account_id, behind)
            assert await read() == raw
            note = " (worst case)" if gated else " (for comparison)"
            rows.append(
                {
                    "state": f"{behind:,} entries past the checkpoint{note}",
                    "summed": behind,
                    "gated": gated,
                    **await _time(read, args.calls),
                }
            )

        await ledger.checkpoint(db, ws)
        counter = iter(range(10**9))

        async def spend() -> Any:
            return await ledger.spend(db, ws, SPEND, key=f"timed-{next(counter)}")

        rows.append(
            {
                "state": "spend(): lock, check, write",
                "summed": None,
                "gated": False,
                **await _time(spend, args.spend_calls),
            }
        )
        for row in rows:
            row["dialect"] = dialect
        return {
            "dialect": dialect,
            "load_seconds": round(load_s, 1),
            "ledger_entries": 2 * args.entries + 4,
            "rows": rows,
        }
    finally:
        await db.dispose()


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    if args.dialect in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await _bench_dialect("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args, None))
    if args.dialect in ("both", "postgres"):
        name = f"aimstors_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(args.pg_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            base = args.pg_dsn.rsplit("/", 1)[0]
            url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
            results.append(await _bench_dialect("postgres", url, args, f"{base}/{name}"))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    gated = [r for res in results for r in res["rows"] if r["gated"]]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "entries": args.entries,
        "checkpoint_every": checkpoint_module.CHECKPOINT_EVERY,
        "target_ms": TARGET_MS,
        "target_met": all(r["p95_ms"] < TARGET_MS for r in gated),
        "dialects": results,
    }


def _table(result: dict[str, Any]) -> Table:
    table = Table(title=f"ledger.balance() with {result['entries']:,} entries in the account (target < {TARGET_MS} ms)")
    for column in ("dialect", "state", "entries summed", "calls", "median ms", "p95 ms"):
        table.add_column(column, justify="right" if column not in ("dialect", "state") else "left")
    for res in result["dialects"]:
        for row in res["rows"]:
            summed = "—" if row["summed"] is None else f"{row['summed']:,}"
            table.add_row(
                res["dialect"],
                row["state"],
                summed,
                str(row["calls"]),
                f"{row['median_ms']:.2f}",
                f"{row['p95_ms']:.2f}",
            )
    return table


def _append_results(result: dict[str, Any]) -> None:
    m = result["machine"]
    lines = [
        "",
        f"## ledger — {result['date']}",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']}; load average at start "
        f"{m['load']} (`bench/ledger.py`).",
        f"One workspace account with {result['entries']:,} entries (the ledger holds twice that: every entry has a",
        "counter-entry). `ledger.balance()` is the public call — one transaction in the workspace's scope, with",
        f"Postgres row-level security on. Automatic checkpoints every {result['checkpoint_every']:,} entries.",
        "",
        "| dialect | state | entries summed | calls | median ms | p95 ms | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for res in result["dialects"]:
        for row in res["rows"]:
            gated = row["gated"]
            summed = "—" if row["summed"] is None else f"{row['summed']:,}"
            lines.append(
                f"| {res['dialect']} | {row['state']} | {summed} | {row['calls']} | {row['median_ms']:.2f} | "
                f"{row['p95_ms']:.2f} | {f'< {TARGET_MS:g} ms' if gated else ''} |"
            )
    loads = ", ".join(f"{r['dialect']} {r['load_seconds']} s" for r in result["dialects"])
    lines += [
        "",
        f"Bulk load ({result['entries']:,} transactions): {loads}.",
        f"Target met: {'yes' if result['target_met'] else 'NO'}.",
        "",
    ]
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nEach section: what was measured, on which machine, when.\n")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def _unshadow_stdlib() -> None:
    """Drop bench/ from sys.path: run as a script, its directory comes first there, and bench/queue.py would then
    shadow the standard library's ``queue`` (which aiosqlite imports when the first engine is made)."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]


def main() -> None:
    _unshadow_stdlib()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the measured account")
    parser.add_argument("--calls", type=int, default=200, help="timed balance() calls per state")
    parser.add_argument("--slow-calls", type=int, default=20, help="timed calls without any checkpoint")
    parser.add_argument("--spend-calls", type=int, default=100, help="timed spend() calls")
    parser.add_argument("--dialect", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres", help="an admin DSN")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    result = asyncio.run(_run(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        Console().print(_table(result))
        print(f"target met: {'yes' if result['target_met'] else 'NO'}")
    if not args.no_results:
        _append_results(result)


if __name__ == "__main__":
    main()
