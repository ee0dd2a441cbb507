"""What machine a benchmark ran on, for bench/RESULTS.md: cores, CPU model, RAM, Python, and how busy it was."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    """``nproc``, ``cpu``, ``ram``, ``python`` and the load average now (as ``load`` and ``load_before``)."""
    cpu, ram = platform.processor() or "unknown", "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())  # the machine is shared: say how busy it was
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version(),
        "load": load, "load_before": load,
    }  # fmt: skip
