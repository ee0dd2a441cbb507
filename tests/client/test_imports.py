"""The client is HTTP only: importing it loads neither the database layer nor the daemon."""

from __future__ import annotations

import subprocess
import sys


def test_client_imports_no_database_or_daemon() -> None:
    code = (
        "import sys, aimstors.client\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'litestar', 'asyncpg', 'aiosqlite'}"
        " or m.startswith(('aimstors.core', 'aimstors.daemon')))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
