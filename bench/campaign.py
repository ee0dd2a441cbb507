"""The campaign engine at a number's full speed: 100,000 recipients through the sandbox at 1,000 msg/s.

Processes: the sandbox (uvicorn, its own process, no webhooks so it only answers sends), each dispatcher in a
process of its own (``Dispatcher(...).run()``, as a worker runs it; its peak RSS is read from /proc), and this
driver, which prepares the databases, starts the campaigns (recipients materialised, cost reserved) and reads the
sandbox's inspection API afterwards.

1. SQLite, one dispatcher process, 10,000 then 100,000 recipients: sustained rate (the sandbox's accepted sends per
   wall-clock second, first and last seconds left out), the largest count in any sliding one-second window, the
   dispatcher's peak RSS (flat from 10k to 100k), the start (materialise + reserve) time.
2. Postgres, two dispatcher processes on one 100,000-recipient campaign: total accepted, recipients the sandbox saw
   more than once (must be 0), rate.
3. A plain sequential send loop (aiohttp, one request at a time, keep-alive) against the same sandbox.

Targets: sustained >= 950 msg/s on SQLite from one process; never above 1,000 in any one-second window; peak RSS
< 300 MB and flat; on Postgres the same total with no duplicates.

The sandbox keeps every message it accepted, so with 100,000 of them its garbage collector's full passes stop it for
hundreds of milliseconds; the sends queued meanwhile then reach it bunched together and the excess is refused with
130429 — an emulator artefact, not Meta's behaviour. The sandbox process therefore runs with its start-up objects
frozen and full passes rarer (``--sandbox-gc`` keeps Python's defaults, to see the difference). Each dispatcher
process freezes its start-up objects the same way (``DispatchOptions.freeze_gc``), as ``aimstors campaign send``
does.

    .venv/bin/python bench/campaign.py [--recipients 100000] [--small 10000] [--sequential 2000]
                                       [--pg-dsn postgresql://postgres@127.0.0.1:5432/postgres] [--no-postgres]
                                       [--json] [--no-results]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aimstors.core import credits
from aimstors.core.billing import assign_plan, load_rate_card
from aimstors.core.campaigns import Dispatcher, DispatchOptions, create_campaign, start_campaign
from aimstors.core.db import Database, Scope
from aimstors.core.db.migrate import upgrade
from aimstors.core.db.models import Contact, ContactTag, PhoneNumber, Template
from aimstors.core.security import Actor
from aimstors.core.services import build
from aimstors.core.settings import load_settings
from aimstors.core.tenancy import tenants
from aimstors.core.whatsapp_accounts import connect_account
from aimstors.sandbox import (
    AccountConfig,
    PhoneNumberConfig,
    SandboxConfig,
    SandboxRemote,
    TemplateSeed,
    serve,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/'s own helpers, however it is run
from machine import machine_info

RESULTS = Path(__file__).with_name("RESULTS.md")
TOKEN = "bench-token"
WABA = "100000000000001"
NUMBER = "200000000000001"
LIMIT = 1000
TARGET_RATE = 950
TARGET_RSS_MB = 300
BODY = "Hi {{1}}, enjoy {{2}} off this week at our shop!"
EXAMPLE = {"body_text": [["Ann", "20%"]]}
TEMPLATE = TemplateSeed(
    name="promo", category="MARKETING", components=({"type": "BODY", "text": BODY, "example": EXAMPLE},)
)
SYSTEM = Actor.system()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _sandbox_main(port: int, quiet_gc: bool = False) -> None:
    if quiet_gc:
        import gc

        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 50, 1000)
    number = PhoneNumberConfig(phone_number_id=NUMBER, display_phone_number="+1 555-010-0001", throughput_mps=LIMIT,
                               messaging_limit_tier="TIER_UNLIMITED")  # fmt: skip
    serve(SandboxConfig(port=port, accounts=(AccountConfig(waba_id=WABA, tokens=(TOKEN,), phone_numbers=(number,)),),
                        templates=(TEMPLATE,), webhook_url=None))  # fmt: skip


# ------------------------------------------------------------------------------------------- the world to send in


def _env(url: str, graph_url: str, keys: str) -> dict[str, str]:
    return {"AIMSTORS_DATABASE_URL": url, "AIMSTORS_META_GRAPH_URL": graph_url, "AIMSTORS_SECRET_KEYS": keys}


async def prepare(url: str, graph_url: str, keys: str, contacts: int, small: int) -> int:
    """A migrated database with a workspace, the sandbox's number connected, the template, ``contacts`` contacts
    (tagged ``all``; the first ``small`` also ``small``), a rate card and credits. Returns the tenant id."""
    db = Database(url)
    await upgrade(db)
    await db.dispose()
    services = build(load_settings(_env(url, graph_url, keys)))
    try:
        db = services.db
        await tenants.ensure_platform_root(db)
        shop = await tenants.create_tenant(db, SYSTEM, slug="shop")
        account = await connect_account(services, SYSTEM, tenant_slug="shop", waba_id=WABA, access_token=TOKEN,
                                        phone_number_ids=[NUMBER])  # fmt: skip
        async with db.session(Scope.tenant(shop.id), write=True) as session:
            session.add(Template(tenant_id=shop.id, account_id=account.id, name="promo", language="en_US",
                                 category="MARKETING", status="APPROVED",
                                 components=list(TEMPLATE.components)))  # fmt: skip
            await session.execute(
                update(PhoneNumber).where(PhoneNumber.tenant_id == shop.id).values(throughput_mps=LIMIT)
            )
        now = dt.datetime.now(dt.UTC)
        for start in range(0, contacts, 10_000):
            rows = [{"tenant_id": shop.id, "wa_id": f"1{i:010d}", "attributes": {"first_name": f"Ann{i}"},
                     "created_at": now, "updated_at": now}
                    for i in range(start, min(contacts, start + 10_000))]  # fmt: skip
            async with db.connect(Scope.tenant(shop.id), write=True) as conn:
                ids = list((await conn.execute(insert(Contact).returning(Contact.id), rows)).scalars())
                tags = [{"tenant_id": shop.id, "contact_id": c, "tag": "all"} for c in ids]
                tags += [
                    {"tenant_id": shop.id, "contact_id": c, "tag": "small"}
                    for n, c in enumerate(ids)
                    if start + n < small
                ]
                await conn.execute(insert(ContactTag), tags)
        await load_rate_card(db, SYSTEM, "category,price\nmarketing,0.01\n", plan="standard")
        await assign_plan(db, SYSTEM, "shop", plan="standard")
        await credits.topup(db, SYSTEM, "shop", str(contacts * 2), key="bench-topup")
        return shop.id
    finally:
        await services.close()


async def start(url: str, graph_url: str, keys: str, tag: str) -> tuple[int, float]:
    """A campaign to ``tag:<tag>``, started (materialised and reserved); returns (id, seconds the start took)."""
    services = build(load_settings(_env(url, graph_url, keys)))
    try:
        campaign = await create_campaign(services.db, SYSTEM, name=f"bench {tag}", template="promo",
                                         audience=f"tag:{tag}",
                                         params=["1=attr.first_name", "2=literal:20%"])  # fmt: skip
        began = time.perf_counter()
        await start_campaign(services.db, SYSTEM, campaign.id)
        return campaign.id, time.perf_counter() - began
    finally:
        await services.close()


# ---------------------------------------------------------------------------------------------- a dispatcher


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def dispatch_main(tenant_id: int, campaign_id: int) -> None:
    """The dispatcher process: send the campaign, print one JSON line."""
    services = build(load_settings())
    try:
        began, cpu = time.perf_counter(), time.process_time()
        # A process that only sends, as `aimstors campaign send` runs one: start-up objects frozen out of GC passes.
        report = await Dispatcher(services, tenant_id, campaign_id, DispatchOptions(freeze_gc=True)).run()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await services.close()
    print(json.dumps({"accepted": report.accepted, "failed": report.failed, "throttled": report.throttled,
                      "unknown": report.unknown, "stopped": report.stopped_because, "elapsed": elapsed,
                      "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(_peak_rss_mb(), 1)}), flush=True)  # fmt: skip


def _spawn(env: dict[str, str], tenant_id: int, campaign_id: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--dispatch", str(tenant_id), str(campaign_id)],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT / "src")}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


async def run_dispatchers(env: dict[str, str], tenant_id: int, campaign_id: int, count: int) -> list[dict[str, Any]]:
    processes = [_spawn(env, tenant_id, campaign_id) for _ in range(count)]
    outputs = [await asyncio.to_thread(p.communicate) for p in processes]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


async def sandbox_figures(remote: SandboxRemote) -> dict[str, Any]:
    usage = (await remote.histogram(NUMBER))[NUMBER]
    seconds = sorted((int(k), v) for k, v in usage["per_second"].items())
    inner = [v for _, v in seconds[1:-1]] or [v for _, v in seconds]
    counts = await remote.recipients()
    return {
        "accepted": usage["accepted"],
        "max_sliding_1s": usage["max_sliding_1s"],
        "max_per_second": usage["max_per_second"],
        "rejected_130429": usage["rejected_130429"],
        "sustained": round(statistics.fmean(inner), 1) if inner else 0.0,
        "slowest_second": min(inner) if inner else 0,
        "seconds": len(seconds),
        "duplicates": sum(1 for c in counts.values() if c.get("accepted", 0) > 1),
        "recipients_seen": len(counts),
    }


async def sequential(graph_url: str, n: int) -> float:
    """Sends per second of a plain loop: one request at a time over one keep-alive connection."""
    url = f"{graph_url}/v23.0/{NUMBER}/messages"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        began = time.perf_counter()
        for i in range(n):
            body = {"messaging_product": "whatsapp", "to": f"+1999{i:07d}", "type": "template",
                    "template": {"name": "promo", "language": {"code": "en_US"}, "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": f"Ann{i}"},
                                                        {"type": "text", "text": "20%"}]}]}}  # fmt: skip
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
        return n / (time.perf_counter() - began)


# -------------------------------------------------------------------------------------------------- the run


async def _pg_database(dsn: str) -> tuple[str, str]:
    name = f"aimstors_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def _pg_drop(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def phase(remote: SandboxRemote, env: dict[str, str], tenant: int, tag: str, processes: int, label: str,
                console: Console) -> dict[str, Any]:  # fmt: skip
    await remote.reset()
    await remote.number(NUMBER, throughput_mps=LIMIT)
    campaign, start_seconds = await start(env["AIMSTORS_DATABASE_URL"], env["AIMSTORS_META_GRAPH_URL"],
                                          env["AIMSTORS_SECRET_KEYS"], tag)  # fmt: skip
    console.print(f"[dim]{label}: started in {start_seconds:.1f} s; sending…[/]")
    reports = await run_dispatchers(env, tenant, campaign, processes)
    figures = await sandbox_figures(remote)
    elapsed = max(r["elapsed"] for r in reports)
    result = {
        "label": label, "processes": processes, "start_seconds": round(start_seconds, 2),
        "dispatched_accepted": sum(r["accepted"] for r in reports), "elapsed": round(elapsed, 1),
        "overall_rate": round(sum(r["accepted"] for r in reports) / elapsed, 1),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in reports), "throttled": sum(r["throttled"] for r in reports),
        "unknown": sum(r["unknown"] for r in reports), "stopped": sorted({r["stopped"] for r in reports}), **figures,
    }  # fmt: skip
    console.print(f"[dim]{label}: {json.dumps(result)}[/]")
    return result


async def main(args: argparse.Namespace) -> dict[str, Any]:
    console = Console(stderr=args.json)
    machine = machine_info()
    port = _free_port()
    graph_url = f"http://127.0.0.1:{port}"
    sandbox = mp.get_context("spawn").Process(target=_sandbox_main, args=(port, not args.sandbox_gc), daemon=True)
    sandbox.start()
    keys = f"k1:{base64.b64encode(os.urandom(32)).decode()}"
    results: dict[str, Any] = {"machine": machine, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                               "recipients": args.recipients, "limit_mps": LIMIT, "phases": [],
                               "sandbox_gc": "default" if args.sandbox_gc else "quiet"}  # fmt: skip
    try:
        async with SandboxRemote(graph_url) as remote:
            deadline = time.monotonic() + 30
            while True:
                try:
                    await remote.webhooks()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                env = _env(url, graph_url, keys)
                began = time.perf_counter()
                tenant = await prepare(url, graph_url, keys, args.recipients, args.small)
                console.print(
                    f"[dim]sqlite: {args.recipients:,} contacts ready in {time.perf_counter() - began:.1f} s[/]"
                )
                results["phases"].append(
                    await phase(remote, env, tenant, "small", 1, f"sqlite {args.small:,}", console)
                )
                results["phases"].append(
                    await phase(remote, env, tenant, "all", 1, f"sqlite {args.recipients:,}", console)
                )
            if not args.no_postgres:
                name, url = await _pg_database(args.pg_dsn)
                try:
                    env = _env(url, graph_url, keys)
                    tenant = await prepare(url, graph_url, keys, args.recipients, 0)
                    results["phases"].append(
                        await phase(remote, env, tenant, "all", 2, f"postgres {args.recipients:,} ×2", console)
                    )
                finally:
                    await _pg_drop(args.pg_dsn, name)
            await remote.reset()
            results["sequential_per_s"] = round(await sequential(graph_url, args.sequential), 1)
    finally:
        sandbox.terminate()
        sandbox.join(10)
    return results


def _verdicts(results: dict[str, Any]) -> dict[str, bool]:
    phases = {p["label"].split()[0] + ("_small" if i == 0 else ""): p for i, p in enumerate(results["phases"])}
    big = next(p for p in results["phases"] if p["label"].startswith("sqlite") and p is not results["phases"][0])
    small = results["phases"][0]
    verdict = {
        "sustained >= 950 msg/s (sqlite, one process)": big["sustained"] >= TARGET_RATE,
        "never above 1,000 in any 1 s window": all(p["max_sliding_1s"] <= LIMIT for p in results["phases"]),
        "RSS < 300 MB and flat": max(small["peak_rss_mb"], big["peak_rss_mb"]) < TARGET_RSS_MB
        and big["peak_rss_mb"] <= small["peak_rss_mb"] * 1.25,
        "every recipient sent once (sqlite)": big["accepted"] == results["recipients"] and big["duplicates"] == 0,
    }
    pg = phases.get("postgres")
    if pg is not None:
        verdict["postgres ×2: same total, no duplicates"] = (
            pg["accepted"] == results["recipients"] and pg["duplicates"] == 0
        )
    return verdict


def render(results: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"Campaign engine — {results['recipients']:,} recipients at {LIMIT:,} msg/s ({results['date']})"
    )
    for col in ("run", "start s", "send s", "sustained/s", "slowest s", "max 1 s window", "130429", "accepted",
                "twice", "peak RSS MB"):  # fmt: skip
        table.add_column(col, justify="left" if col == "run" else "right")
    for p in results["phases"]:
        table.add_row(p["label"], f"{p['start_seconds']:.1f}", f"{p['elapsed']:.1f}", f"{p['sustained']:,.0f}",
                      f"{p['slowest_second']:,}", f"{p['max_sliding_1s']:,}", f"{p['rejected_130429']:,}",
                      f"{p['accepted']:,}", f"{p['duplicates']:,}", f"{p['peak_rss_mb']:.0f}")  # fmt: skip
    table.add_row("sequential loop", "", "", f"{results['sequential_per_s']:,.0f}", "", "", "", "", "", "")
    console.print(table)
    for name, ok in results["verdicts"].items():
        console.print(f"{'[green]met[/]' if ok else '[red]NOT met[/]'}  {name}")


def append_results(results: dict[str, Any]) -> None:
    m = results["machine"]
    lines = [
        "",
        f"## Campaign engine — {results['date']}",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; Python {m['python']}. Load average before the "
        f"run: {m['load_before']} (the CPUs are shared with other work).",
        "",
        "Command: `.venv/bin/python bench/campaign.py`. The sandbox (its own process, no webhooks; garbage collector "
        f"{results['sandbox_gc']}, see the script's docstring), each dispatcher in its own process (`Dispatcher.run()` "
        "as `campaign send` runs it), a number set to 1,000 msg/s. *Sustained* is the "
        "sandbox's accepted sends per wall-clock second, first and last second left out; *max 1 s window* the most it "
        "accepted in any sliding second; *start* the materialisation of the recipients plus the reservation.",
        "",
        "| run | start s | send s | sustained msg/s | slowest second | max 1 s window | 130429 | accepted | "
        "sent twice | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in results["phases"]:
        lines.append(
            f"| {p['label']} | {p['start_seconds']:.1f} | {p['elapsed']:.1f} | {p['sustained']:,.0f} | "
            f"{p['slowest_second']:,} | {p['max_sliding_1s']:,} | {p['rejected_130429']:,} | {p['accepted']:,} | "
            f"{p['duplicates']:,} | {p['peak_rss_mb']:.0f} |"
        )
    lines.append(
        f"| sequential send loop (aiohttp, one at a time) | | | {results['sequential_per_s']:,.0f} | | | | | | |"
    )
    lines.append("")
    lines.append(
        "Targets: "
        + "; ".join(f"{name} ({'met' if ok else 'NOT met'})" for name, ok in results["verdicts"].items())
        + "."
    )
    RESULTS.write_text(
        RESULTS.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--dispatch":
        asyncio.run(dispatch_main(int(sys.argv[2]), int(sys.argv[3])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument(
        "--pg-dsn", default=os.environ.get("AIMSTORS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--sandbox-gc", action="store_true",
        help="leave the sandbox's garbage collector as it is (its full passes over 100k stored messages stall it for "
        "hundreds of ms: 130429s that Meta's servers would not send)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments))
    outcome["verdicts"] = _verdicts(outcome)
    if arguments.json:
        sys.stdout.write(json.dumps(outcome, indent=2) + "\n")
    else:
        render(outcome, Console())
    if not arguments.no_results:
        append_results(outcome)
