"""Running the sandbox: :func:`serve` (foreground, the CLI), :func:`running_sandbox` (an asyncio task in the
caller's loop, for async tests) and :class:`SandboxThread` (a background thread with its own loop, for sync
code). The last two bind 127.0.0.1 on an ephemeral port and give the base URL once the server is up."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from aimstors.sandbox.app import create_sandbox_app, sandbox_of
from aimstors.sandbox.config import SandboxConfig
from aimstors.sandbox.runtime import Sandbox

__all__ = ["RunningSandbox", "SandboxThread", "running_sandbox", "serve"]


def _uvicorn_config(app: Any, host: str, port: int, log_level: str) -> uvicorn.Config:
    # uvloop/httptools when installed ("auto"); no access log: it would cost ~20% of throughput and it would
    # print phone-number ids in paths at INFO.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level=log_level,
        loop="auto",
        http="auto",
        lifespan="on",
        timeout_keep_alive=30,
        backlog=2048,
    )


def serve(config: SandboxConfig, *, log_level: str = "warning") -> None:
    """Run the sandbox in the foreground on ``config.host:config.port`` until interrupted."""
    app = create_sandbox_app(config)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C/SIGINT is the way to stop it; uvicorn re-raises it
        uvicorn.Server(_uvicorn_config(app, config.host, config.port, log_level)).run()


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    base_url: str
    sandbox: Sandbox  # the live object: in-process tests may inspect it (same loop or, with care, same thread)


def _bound_socket(host: str) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only turns Nagle's algorithm off (TCP_NODELAY) on sockets whose protocol
    # says TCP, and with it on every request after the first on a kept-alive connection waits ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def running_sandbox(
    config: SandboxConfig | None = None, *, host: str = "127.0.0.1", log_level: str = "warning"
) -> AsyncIterator[RunningSandbox]:
    """Serve the sandbox as a task in the running loop; yields once it accepts connections."""
    app = create_sandbox_app(config)
    sock = _bound_socket(host)
    server = uvicorn.Server(_uvicorn_config(app, host, 0, log_level))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it stopped
                raise RuntimeError("the sandbox server stopped during start-up")
            await asyncio.sleep(0.005)
        port = sock.getsockname()[1]
        yield RunningSandbox(f"http://{host}:{port}", sandbox_of(app))
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        sock.close()


class SandboxThread:
    """The sandbox on a background thread: ``with SandboxThread(config) as running: running.base_url``."""

    def __init__(
        self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", log_level: str = "warning"
    ) -> None:
        self._config = config
        self._host = host
        self._log_level = log_level
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._running: RunningSandbox | None = None
        self._thread = threading.Thread(target=self._main, name="aimstors-sandbox", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the caller of __enter__
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_sandbox(self._config, host=self._host, log_level=self._log_level) as running:
            self._running = running
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> RunningSandbox:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError("the sandbox did not start") from self._error
        if self._running is None:
            raise RuntimeError("the sandbox did not start within 30 s")
        return self._running

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
