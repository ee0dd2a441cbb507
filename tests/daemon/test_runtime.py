"""The daemon's background roles: the scheduler ticks once per period however many run, one leader on Postgres,
the worker runs jobs and counts them, and `aimstors serve` starts and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Job
from aimstors.core.errors import ConfigError
from aimstors.core.schedule import PARTITIONS_KIND, LeaderLock
from aimstors.core.services import build
from aimstors.core.settings import Settings
from aimstors.daemon.metrics import Metrics
from aimstors.daemon.runtime import Runtime, check_roles

from .conftest import free_port


def test_roles_are_checked() -> None:
    assert check_roles(["scheduler", "api"]) == ("api", "scheduler")
    with pytest.raises(ConfigError):
        check_roles(["api", "web"])
    with pytest.raises(ConfigError):
        check_roles([])


async def test_two_schedulers_enqueue_one_tick_per_period_and_the_worker_runs_it(settings: Settings) -> None:
    services = build(dataclasses.replace(settings, daemon_roles=("worker", "scheduler")))
    metrics = Metrics()
    first, second = Runtime(services, metrics), Runtime(services, Metrics(), roles=("scheduler",))
    try:
        await first.start()
        await second.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            async with services.db.session(Scope.system()) as session:
                jobs = list(await session.scalars(select(Job).where(Job.kind == PARTITIONS_KIND)))
            if jobs and jobs[0].status == "done":
                break
            await asyncio.sleep(0.05)
    finally:
        await second.stop()
        await first.stop()
        await services.close()
    assert [j.status for j in jobs] == ["done"] and jobs[0].dedupe_key.startswith(f"tick:{PARTITIONS_KIND}:")
    assert metrics.jobs.labels(PARTITIONS_KIND, "succeeded")._value.get() == 1


@pytest.mark.postgres
async def test_one_scheduler_leads_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    one, two = LeaderLock(db), LeaderLock(db)
    try:
        assert await one.try_acquire() is True
        assert await two.try_acquire() is False
        await one.release()
        assert await two.try_acquire() is True and await two.still_leader()
    finally:
        await one.release()
        await two.release()
        await db.dispose()


@pytest.mark.sqlite_only
def test_serve_starts_answers_and_stops_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "AIMSTORS_DATABASE_URL": settings.database_url, "AIMSTORS_META_APP_SECRET": "s",
           "AIMSTORS_CONFIG": str(tmp_path / "none.toml"), "AIMSTORS_LOG_LEVEL": "INFO"}  # fmt: skip
    (tmp_path / "none.toml").write_text("")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aimstors.cli.app", "serve", "--port", str(port), "--role", "api,worker"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal (exit status -SIGTERM), as servers should.
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        log = proc.stderr.read() if proc.stderr else ""
        assert "daemon roles: api, worker" in log and "Application shutdown complete" in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.sqlite_only
def test_worker_command_processes_webhooks_and_stops_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    from tests.webhook_world import build_world, text_message

    from aimstors.core.db.models import WebhookEvent
    from aimstors.core.inbound import WebhookIngest
    from aimstors.core.security.webhook_signature import meta_json_dumps

    async def store() -> None:
        services = build(settings)
        try:
            await build_world(services.db)
            ingest = WebhookIngest(services.db)
            await ingest.start()
            await ingest.submit(meta_json_dumps(text_message("processed by a separate worker")))
            await ingest.stop()
        finally:
            await services.close()

    async def status() -> str:
        db = Database(settings.database_url)
        try:
            async with db.session(Scope.system()) as session:
                return str((await session.scalars(select(WebhookEvent.status))).one())
        finally:
            await db.dispose()

    asyncio.run(store())
    (tmp_path / "none.toml").write_text("")
    env = {**os.environ, "AIMSTORS_DATABASE_URL": settings.database_url, "AIMSTORS_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aimstors.cli.app", "worker", "--queues", "webhooks", "--concurrency", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while asyncio.run(status()) != "processed":
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
