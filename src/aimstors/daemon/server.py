"""Running the daemon's app on uvicorn: one place for the server options production uses (``aimstors serve``, the
test suite's servers and the benchmarks that measure them)."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

__all__ = ["config", "run"]


def config(app: Any, *, host: str, port: int, log_level: str = "warning", access_log: bool = False) -> uvicorn.Config:
    """The daemon's server configuration: uvloop and httptools (uvicorn's choice when installed), lifespan on,
    30 s to finish requests on shutdown, and no ``Server`` header (nothing to gain from naming the software)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=access_log,
        lifespan="on",
        timeout_graceful_shutdown=30,
        server_header=False,
    )


def run(app: Any, *, host: str, port: int, log_level: str = "warning", access_log: bool = False) -> None:
    """Serve ``app`` until SIGTERM/SIGINT (see :func:`config`); exits with status 3 if it could not start."""
    server = uvicorn.Server(config(app, host=host, port=port, log_level=log_level, access_log=access_log))
    server.run()
    if not server.started:
        sys.exit(3)
