"""Run by test_import_streaming in a fresh process: import a CSV file and report the process's memory.

Usage: python import_rss.py DATABASE_URL TENANT FILE  → prints JSON {rows, inserted, baseline_mb, peak_mb}
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from aimstors.core.contacts import ImportOptions, import_contacts
from aimstors.core.db import Database
from aimstors.core.security import Actor


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


async def main(url: str, tenant: str, file: str) -> None:
    db = Database(url)
    baseline = _status_mb("VmRSS")
    report = await import_contacts(db, Actor.system(), Path(file), tenant_slug=tenant, options=ImportOptions())
    await db.dispose()
    out = {"rows": report.rows, "inserted": report.inserted, "baseline_mb": baseline, "peak_mb": _status_mb("VmHWM")}
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
