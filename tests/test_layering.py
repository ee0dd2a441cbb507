"""The library stays a library: importing aimstors.core loads no interface framework."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_interface_package() -> None:
    code = (
        "import sys, aimstors.core.services, aimstors.core.setup, aimstors.core.tenancy.apikeys, "
        "aimstors.core.tenancy.users, aimstors.core.db.models, aimstors.core.security\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'typer', 'textual', 'litestar', 'uvicorn', 'rich', 'click'} "
        "or m.startswith(('aimstors.cli', 'aimstors.daemon', 'aimstors.tui', 'aimstors.sandbox')))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
