"""Streaming sanity: an import's memory does not grow with the file (the 1M-row figure is bench/contacts_import.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.contacts_world import Shops

HERE = Path(__file__).parent


def _csv(path: Path, rows: int, prefix: str) -> Path:
    notes = "x" * 200  # wide rows, so a file held in memory would show
    with path.open("w", encoding="utf-8") as f:
        f.write("phone,name,city,notes\n")
        for i in range(rows):
            f.write(f"+1{prefix}{i:07d},Person {i},City {i % 50},{notes}\n")
    return path


def _import(db_url: str, file: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, str(HERE / "import_rss.py"), db_url, "shop-a", str(file)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result: dict[str, float] = json.loads(proc.stdout)
    return result


@pytest.mark.sqlite_only
async def test_import_memory_does_not_grow_with_rows(shops: Shops, db_url: str, tmp_path: Path) -> None:
    small = _import(db_url, _csv(tmp_path / "small.csv", 4_000, "202"))
    large = _import(db_url, _csv(tmp_path / "large.csv", 40_000, "303"))
    assert (small["inserted"], large["inserted"]) == (4_000, 40_000)
    growth_small = small["peak_mb"] - small["baseline_mb"]
    growth_large = large["peak_mb"] - large["baseline_mb"]
    # Ten times the rows (~10 MB of CSV) may not cost ten times the memory: loosely, 30 MB at most more.
    assert growth_large < growth_small + 30, (growth_small, growth_large)
