"""Webhook ingest and inbound processing: how many signed Meta deliveries per second the daemon makes durable,
at what latency, and how fast workers apply them — on SQLite and on Postgres.

For each dialect (a SQLite temp file; a Postgres database created and dropped here) the script migrates an
empty database, connects one workspace number and seeds outbound messages for the status webhooks to settle.
The daemon runs in a subprocess (``create_app`` on uvicorn, exactly as ``aimstors serve --role api`` runs it), so
the load generator never shares its event loop. The generator is a minimal keep-alive HTTP/1.1 client over
loopback (~15 µs of CPU a request against aiohttp's ~100: on two shared cores, what the generator burns the
daemon loses), ``--concurrency`` requests in flight at full speed, ``--paced-connections`` in the paced run;
its heap is frozen out of its garbage collector's reach during each run (a full collection of the prepared
bodies paused it ~70 ms, which the open-loop run would count against the daemon).
Bodies are Meta-shaped and signed (1 in 4 an inbound text from one of 2,000 users, 3 in 4 a sent/delivered/read
status), each distinct, prepared before the clock starts. Phases:

1. durable ingest at full speed (closed loop): rate, p50/p99 latency; every answer must be 200;
2. durable ingest paced at ``--rate`` (open loop: each request leaves at its due time on a free connection, and
   latency counts from that due time, so a slow daemon cannot hide behind a waiting generator);
3. the ceiling: the same endpoint with storage replaced by a no-op (signature check and JSON parse kept), at
   full speed and paced as in 2 — what the HTTP stack alone does on this machine at that moment;
4. processing: a worker drains what phases 1–2 stored; events fully applied per second;
5. durable ingest at full speed and paced again, with processing in the same process (roles ``api,worker``, the
   default ``aimstors serve``): processing yields to the ingest while deliveries wait;
6. durable ingest paced again, with ``aimstors worker --queues webhooks`` processing in a process of its own
   (the deployment for sustained traffic): the ingest's latency, and the events processing applied meanwhile.

Targets: durable ingest >= 5,000 webhooks/s on SQLite with p99 < 50 ms at that rate; Meta asks for a median
<= 250 ms. Results are printed as a table (or ``--json``) and appended to ``bench/RESULTS.md``.

    .venv/bin/python bench/webhooks.py [--count 20000] [--paced 50000] [--rate 5000] [--concurrency 100]
                                       [--paced-connections 400] [--dialect both|sqlite|postgres] [--pg-dsn …]
                                       [--json] [--no-results]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import hashlib
import hmac
import json
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
from sqlalchemy import func, insert, select

from aimstors.core.db import Database, Scope
from aimstors.core.db.migrate import upgrade
from aimstors.core.db.models import Contact, Conversation, Message, PhoneNumber, WebhookEvent, WhatsAppAccount
from aimstors.core.handlers import build_registry
from aimstors.core.ids import uuid7
from aimstors.core.queue import Worker
from aimstors.core.security import Actor
from aimstors.core.services import build
from aimstors.core.settings import Settings
from aimstors.core.tenancy import tenants

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/'s own helpers, however it is run
from machine import machine_info

RESULTS = Path(__file__).with_name("RESULTS.md")
SECRET = "bench-app-secret"
PNID, WABA, DISPLAY = "106540352242922", "102290129340398", "15550783881"
USERS = 2_000
TARGET_RATE, TARGET_P99_MS, META_MEDIAN_MS = 5_000, 50.0, 250.0
PATH = "/webhooks/whatsapp"


# ------------------------------------------------------------------------------------------------------ server


class NullIngest:
    """Stands in for the durable ingest in the ceiling run: answers at once, stores nothing."""

    async def submit(self, body: bytes, sha256: str | None = None) -> Any:
        from aimstors.core.inbound import Receipt

        return Receipt(uuid7(), dt.datetime.now(dt.UTC), False)


def serve(url: str, port: int, roles: str, ceiling: bool) -> None:
    """The daemon as `aimstors serve` runs it (subprocess entry point)."""
    from aimstors.daemon import server
    from aimstors.daemon.app import create_app

    settings = Settings(database_url=url, meta_app_secret=SECRET, daemon_roles=tuple(roles.split(",")),
                        log_level="WARNING")  # fmt: skip
    app = create_app(settings)
    if ceiling:
        app.webhooks.ingest = NullIngest()
    server.run(app, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn_server(url: str, port: int, ceiling: bool, roles: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, __file__, "--serve", url, "--port", str(port), "--roles", roles]
    return subprocess.Popen([*args, *(["--ceiling"] if ceiling else [])])


async def _start_server(url: str, *, ceiling: bool = False, roles: str = "api") -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = _spawn_server(url, port, ceiling, roles)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(base + "/healthz") as answer:
                    if answer.status == 200:
                        return proc, base
            except aiohttp.ClientError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("the daemon did not start")
            await asyncio.sleep(0.1)
    raise RuntimeError("the daemon did not answer within 30 s")


def _spawn_worker(url: str) -> subprocess.Popen[bytes]:
    """``aimstors worker --queues webhooks`` on ``url``, as an operator starts it."""
    env = dict(os.environ, AIMSTORS_DATABASE_URL=url, AIMSTORS_META_APP_SECRET=SECRET, AIMSTORS_LOG_LEVEL="WARNING")
    command = [str(Path(sys.executable).with_name("aimstors")), "worker", "--queues", "webhooks"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def _processed(url: str) -> int:
    db = Database(url)
    try:
        async with db.connect(Scope.system()) as conn:
            done = select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status != "pending")
            return int((await conn.execute(done)).scalar_one())
    finally:
        await db.dispose()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured(
    proc: subprocess.Popen[bytes], base: str, bodies: list[tuple[bytes, str]], concurrency: int, rate: float | None
) -> dict[str, Any]:
    """:func:`load`, plus the server's CPU time per request (the figure least disturbed by other load)."""
    before = _cpu_seconds(proc.pid)
    result = await load(base, bodies, concurrency, rate)
    after = _cpu_seconds(proc.pid)
    if before is not None and after is not None:
        result["server_cpu_us"] = round((after - before) / len(bodies) * 1e6)
    result["load_avg"] = os.getloadavg()[0]
    return result


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------------------------------------------ bodies


def _dumps(payload: dict[str, Any]) -> bytes:
    # Meta's serialisation for ASCII content: compact JSON with "/" escaped.
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


def _envelope(value: dict[str, Any]) -> dict[str, Any]:
    metadata = {"display_phone_number": DISPLAY, "phone_number_id": PNID}
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [change]}]}


def make_bodies(prefix: str, count: int, outbound: list[str], offset: int = 0) -> list[tuple[bytes, str]]:
    """``count`` distinct signed bodies: every 4th an inbound text, the rest sent/delivered/read statuses of the
    seeded messages from ``outbound[offset]`` on (give each run its own slice, or its statuses are duplicates)."""
    bodies = []
    now = int(time.time())
    kinds = ("sent", "delivered", "read")
    for i in range(count):
        if i % 4 == 0:
            user = f"1555{(i // 4) % USERS:07d}"
            message = {"from": user, "id": f"wamid.IN{prefix}{i:08d}", "timestamp": str(now), "type": "text",
                       "text": {"body": f"Hello, is order {i} on its way?"}}  # fmt: skip
            value = {"contacts": [{"profile": {"name": f"User {user[-4:]}"}, "wa_id": user}], "messages": [message]}
        else:
            n = i - i // 4 - 1
            status = {
                "id": outbound[(offset + n // 3) % len(outbound)],
                "status": kinds[n % 3],
                "timestamp": str(now + n % 3),
                "recipient_id": "15550000001",
                "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"},
            }
            value = {"statuses": [status]}
        body = _dumps(_envelope(value))
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        bodies.append((body, signature))
    return bodies


# ------------------------------------------------------------------------------------------------------- load


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection that sends prepared requests and reads ``Content-Length`` answers.

    A load generator on the same two cores as the daemon takes CPU from it: aiohttp's client costs ~100 µs a
    request here, this ~15 µs, so the daemon is measured, not the client. Meta's deliveries come from elsewhere.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the daemon closed the connection"))

    async def request(self, raw: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


def _requests(base: str, bodies: list[tuple[bytes, str]]) -> list[bytes]:
    host = base.removeprefix("http://")
    return [
        (f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
         f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        for body, signature in bodies
    ]  # fmt: skip


async def load(base: str, bodies: list[tuple[bytes, str]], concurrency: int, rate: float | None) -> dict[str, Any]:
    """POST every body with ``concurrency`` in flight; with ``rate``, request i is due at start + i/rate."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    raw = _requests(base, bodies)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = 0
    loop = asyncio.get_running_loop()
    connections = [(await loop.create_connection(_Connection, host, int(port)))[1] for _ in range(concurrency)]
    # The generator's own full collections (its heap holds every prepared body) paused it for ~70 ms, which the
    # open-loop run counted as the daemon's latency: what exists now is frozen out of the collector's reach.
    gc.collect()
    gc.freeze()
    start = time.perf_counter()

    async def client(connection: _Connection) -> None:
        nonlocal next_index
        while next_index < len(raw):
            index = next_index
            next_index += 1
            began = time.perf_counter()
            if rate is not None:
                due = start + index / rate
                if due > began:
                    await asyncio.sleep(due - began)
                began = due  # open loop: waiting behind a slow server counts as latency
            status = await connection.request(raw[index])
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.perf_counter() - began)

    try:
        await asyncio.gather(*(client(c) for c in connections))
    finally:
        for connection in connections:
            if connection.transport is not None:
                connection.transport.close()
    seconds = time.perf_counter() - start
    gc.unfreeze()
    latencies.sort()
    return {
        "requests": len(bodies),
        "seconds": round(seconds, 3),
        "rate": round(len(bodies) / seconds),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "ok": statuses.get(200, 0) == len(bodies),
    }


# ---------------------------------------------------------------------------------------------------- database


async def prepare(url: str, outbound_count: int) -> list[str]:
    """Migrate, connect one number to a workspace, seed outbound messages; returns their wamids."""
    db = Database(url)
    try:
        await upgrade(db)
        await tenants.ensure_platform_root(db)
        shop = await tenants.create_tenant(db, Actor.system(), slug="bench")
        wamids = [f"wamid.OUT{i:08d}" for i in range(outbound_count)]
        async with db.connect(Scope.tenant(shop.id), write=True) as conn:

            async def row(table: Any, **values: Any) -> int:
                result = await conn.execute(insert(table).values(tenant_id=shop.id, **values).returning(table.id))
                return int(result.scalar_one())

            account = await row(WhatsAppAccount, waba_id=WABA)
            number = await row(PhoneNumber, account_id=account, phone_number_id=PNID, display_number=DISPLAY)
            contact = await row(Contact, wa_id="15550000001")
            conversation = await row(Conversation, phone_number_id=number, contact_id=contact)
            now = dt.datetime.now(dt.UTC)
            rows = [
                {"id": uuid7(), "created_at": now, "tenant_id": shop.id, "conversation_id": conversation,
                 "direction": "out", "type": "template", "body": "[template promo]", "payload": {},
                 "status": "queued", "wamid": w}
                for w in wamids
            ]  # fmt: skip
            await conn.execute(insert(Message), rows)
        return wamids
    finally:
        await db.dispose()


async def process(url: str, expected: int) -> dict[str, Any]:
    """Drain the webhooks queue with one worker, as `aimstors worker --queues webhooks` does (its default
    concurrency: on SQLite the jobs running at once are read, parsed and written together)."""
    settings = Settings(database_url=url, meta_app_secret=SECRET)
    services = build(settings)
    try:
        worker = Worker(services.db, build_registry(services), queues=["webhooks"],
                        concurrency=settings.worker_concurrency, poll_interval=0.05)  # fmt: skip
        start = time.perf_counter()
        stats = await worker.run_until_idle()
        seconds = time.perf_counter() - start
        async with services.db.connect(Scope.system()) as conn:
            outcome = dict(
                (await conn.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status))).all()
            )
            messages = (await conn.execute(select(func.count()).select_from(Message))).scalar_one()
        applied = sum(v for k, v in outcome.items() if k != "pending")
        return {
            "events": applied,
            "expected": expected,
            "seconds": round(seconds, 3),
            "rate": round(applied / seconds) if seconds else 0,
            "jobs": stats.succeeded,
            "outcomes": outcome,
            "messages": messages,
        }
    finally:
        await services.close()


# ----------------------------------------------------------------------------------------------------- driver


async def bench_dialect(dialect: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    # warm-up, full speed, paced (all stored, then processed); both again with processing in the same process;
    # paced again with a worker process processing alongside
    runs = {"W": 500, "F": args.count, "P": args.paced, "S": args.count, "T": args.paced, "U": args.paced}
    outbound = await prepare(url, sum(n * 3 // 4 // 3 + 2 for n in runs.values()))
    bodies, offset = {}, 0
    for prefix, n in runs.items():
        bodies[prefix] = make_bodies(prefix, n, outbound, offset)
        offset += n * 3 // 4 // 3 + 2
    proc, base = await _start_server(url)
    try:
        await load(base, bodies["W"], args.concurrency, None)
        durable = await measured(proc, base, bodies["F"], args.concurrency, None)
        paced_run = await measured(proc, base, bodies["P"], args.paced_connections, args.rate)
    finally:
        _stop_server(proc)
    # The ceiling right after, so both see the machine alike (its speed drifts by tens of % over minutes here).
    proc, base = await _start_server(url, ceiling=True)
    try:
        await load(base, make_bodies("X", 500, outbound), args.concurrency, None)
        ceiling = await measured(proc, base, make_bodies("C", args.count, outbound), args.concurrency, None)
        ceiling_paced = await measured(proc, base, make_bodies("D", args.paced, outbound), args.paced_connections,
                                       args.rate)  # fmt: skip
    finally:
        _stop_server(proc)
    processing = await process(url, runs["W"] + runs["F"] + runs["P"])
    # The default deployment: one process ingests and processes (roles api and worker), so processing competes
    # with the ingest for the event loop and SQLite's write lock; it yields while deliveries wait.
    proc, base = await _start_server(url, roles="api,worker")
    try:
        shared = await measured(proc, base, bodies["S"], args.concurrency, None)
        shared_paced = await measured(proc, base, bodies["T"], args.paced_connections, args.rate)
    finally:
        _stop_server(proc)
    # Sustained traffic: the ingest in one process, processing in another (on SQLite, both write one file).
    proc, base = await _start_server(url)
    worker = _spawn_worker(url)
    try:
        await asyncio.sleep(3)  # the worker starts and takes on what phase 5 left
        before = await _processed(url)
        split_paced = await measured(proc, base, bodies["U"], args.paced_connections, args.rate)
        split_paced["processed_rate"] = round((await _processed(url) - before) / split_paced["seconds"])
    finally:
        _stop_server(worker)
        _stop_server(proc)
    return {
        "dialect": dialect,
        "durable": durable,
        "paced": paced_run,
        "processing": processing,
        "ceiling": ceiling,
        "ceiling_paced": ceiling_paced,
        "shared": shared,
        "shared_paced": shared_paced,
        "split_paced": split_paced,
        "ratio": round(durable["rate"] / ceiling["rate"], 2) if ceiling["rate"] else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    if args.dialect in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await bench_dialect("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args))
    if args.dialect in ("both", "postgres"):
        name = f"aimstors_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(args.pg_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            base = args.pg_dsn.rsplit("/", 1)[0]
            results.append(
                await bench_dialect(
                    "postgres", f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1), args
                )
            )
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    sqlite = next((r for r in results if r["dialect"] == "sqlite"), None)
    met = None
    if sqlite is not None:
        met = (
            sqlite["durable"]["rate"] >= TARGET_RATE
            and sqlite["paced"]["rate"] >= TARGET_RATE * 0.98
            and sqlite["paced"]["p99_ms"] < TARGET_P99_MS
            and all(r["durable"]["ok"] and r["paced"]["ok"] for r in results)
        )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "concurrency": args.concurrency,
        "paced_connections": args.paced_connections,
        "paced_rate": args.rate,
        "target_met": met,
        "dialects": results,
    }


COLUMNS = ("dialect", "run", "requests", "per second", "p50 ms", "p99 ms", "server CPU µs/req", "load avg", "all 200")


def rows(result: dict[str, Any]) -> list[list[str]]:
    """The report's rows, shared by the table and RESULTS.md."""
    out = []
    paced = f"paced {result['paced_rate']:,.0f}/s"
    runs = (("durable, full speed", "durable"), (f"durable, {paced}", "paced"),
            ("ceiling (no storage)", "ceiling"), (f"ceiling, {paced}", "ceiling_paced"),
            ("durable + processing in one process, full speed", "shared"),
            (f"durable + processing in one process, {paced}", "shared_paced"),
            (f"durable, {paced}, a worker process processing alongside", "split_paced"))  # fmt: skip
    for r in result["dialects"]:
        for label, key in runs:
            row = r[key]
            out.append([r["dialect"], label, f"{row['requests']:,}", f"{row['rate']:,}", f"{row['p50_ms']:.1f}",
                        f"{row['p99_ms']:.1f}", str(row.get("server_cpu_us", "")), f"{row['load_avg']:.1f}",
                        "yes" if row["ok"] else "NO"])  # fmt: skip
        p = r["processing"]
        out.append([r["dialect"], "processing: events fully applied", f"{p['events']:,}", f"{p['rate']:,}", "", "",
                    "", "", ""])  # fmt: skip
        out.append([r["dialect"], "processing alongside the paced ingest (phase 6)", "",
                    f"{r['split_paced']['processed_rate']:,}", "", "", "", "", ""])  # fmt: skip
        out.append([r["dialect"], "durable / ceiling", "", f"{r['ratio']:.2f}", "", "", "", "", ""])
    return out


def table(result: dict[str, Any]) -> Table:
    title = f"Webhook ingest, {result['concurrency']} in flight (target on SQLite: >= {TARGET_RATE:,}/s, p99 < "
    out = Table(title=title + f"{TARGET_P99_MS:g} ms)")
    for column in COLUMNS:
        out.add_column(column, justify="left" if column in ("dialect", "run") else "right")
    for row in rows(result):
        out.add_row(*row)
    return out


def append_results(result: dict[str, Any]) -> None:
    m = result["machine"]
    verdict = {True: "yes", False: "NO", None: "n/a (no SQLite run)"}[result["target_met"]]
    lines = [
        "",
        f"## webhooks — {result['date']}",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']} (`bench/webhooks.py`).",
        "The daemon (`create_app`, uvicorn with uvloop/httptools, role `api`) in a subprocess; a minimal keep-alive",
        f"HTTP/1.1 load generator over loopback, {result['concurrency']} requests in flight at full speed, "
        f"{result['paced_connections']} connections",
        "in the paced run (open loop), signed Meta-shaped bodies (1 in 4",
        "an inbound text, 3 in 4 a status), each distinct. Durable = raw body and processing job committed (group",
        "commit) before the 200. Processing = one worker (the default concurrency, 10) draining what was stored.",
        'Ceiling = the same endpoint with storage replaced by a no-op, measured right after. "In one process" =',
        "roles `api,worker`, as `aimstors serve` runs by default: processing shares the event loop and yields while",
        'deliveries wait. "A worker process alongside" = `aimstors worker --queues webhooks` in a process of its',
        "own, processing what was stored before and during the paced run (the target applies to the ingest rows",
        "without processing). This machine's speed drifts by tens of %",
        "over minutes: compare rows of one run, and server CPU per request). `load avg` is the machine's 1-minute",
        "load when the run ended",
        "(other work on the same 2 cores shows there); server CPU per request is the least disturbed figure.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(result)]
    lines += [
        "",
        f"Targets: durable ingest >= {TARGET_RATE:,}/s on SQLite with p99 < {TARGET_P99_MS:g} ms at that rate "
        f"(paced run); Meta asks for a median <= {META_MEDIAN_MS:g} ms. Met: {verdict}.",
        "",
    ]
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nEach section: what was measured, on which machine, when.\n")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="requests in the full-speed and ceiling runs")
    parser.add_argument(
        "--paced", type=int, default=50_000, help="requests in the paced run (10 s at 5,000/s: WAL restarts included)"
    )
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="requests per second of the paced run")
    parser.add_argument("--concurrency", type=int, default=100, help="requests in flight (full-speed runs)")
    parser.add_argument(
        "--paced-connections",
        type=int,
        default=400,
        help="connections of the paced run: at least rate x the latency to allow (5,000/s x 80 ms)",
    )
    parser.add_argument("--dialect", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres", help="an admin DSN")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--roles", default="api", help=argparse.SUPPRESS)
    parser.add_argument("--ceiling", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.roles, args.ceiling)
        return
    for bound, name in ((args.count, "--count"), (args.paced, "--paced")):
        if not 1 <= bound <= 1_000_000:
            parser.error(f"{name} must be from 1 to 1,000,000")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        Console().print(table(result))
        print(f"target met: {result['target_met']}")
    if not args.no_results:
        append_results(result)


if __name__ == "__main__":
    main()
