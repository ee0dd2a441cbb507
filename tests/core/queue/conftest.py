"""Fixtures for the work queue: a store, a registry, a view of the jobs table, and worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from aimstors.core.db import Database
from aimstors.core.queue import HandlerRegistry, JobStore

WORKER_SCRIPT = Path(__file__).with_name("worker_process.py")


@pytest.fixture
def store(db: Database) -> JobStore:
    return JobStore(db)


@pytest.fixture
def registry() -> HandlerRegistry:
    return HandlerRegistry()


class JobsTable:
    """Raw reads of the jobs table, to check what the queue wrote."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def rows(self) -> dict[int, dict[str, Any]]:
        """Every job row by id (raw values: on SQLite, timestamps are strings)."""
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM jobs ORDER BY id"))).mappings().all()
        return {row["id"]: dict(row) for row in rows}

    async def statuses(self) -> dict[str, int]:
        """How many jobs are in each status."""
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT status, count(*) FROM jobs GROUP BY status"))).all()
        return {status: count for status, count in rows}


@pytest.fixture
def jobs_table(db: Database) -> JobsTable:
    return JobsTable(db)


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``worker_process.py --url URL ARGS…``; any process still alive at the end is killed."""
    procs: list[subprocess.Popen[str]] = []

    def spawn(url: str, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), "--url", url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path,
        )
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
