"""`aimstors serve` (the daemon: API, webhooks, worker, scheduler) and `aimstors worker` (the job queue alone)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import typer

from aimstors.cli.context import get_settings
from aimstors.cli.runner import fail
from aimstors.core.errors import AimstorsError
from aimstors.core.settings import Settings

__all__ = ["serve", "worker"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _logging(settings: Settings) -> None:
    # Access logs and DEBUG stay off by default: request paths and debug lines may carry ids and numbers.
    logging.basicConfig(level=settings.log_level.upper(), format=LOG_FORMAT)


def _split(values: list[str]) -> tuple[str, ...]:
    """Repeated and comma-separated option values, in order, without duplicates."""
    return tuple(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8080, help="Port to listen on."),
    role: list[str] = typer.Option(
        [],
        "--role",
        help="What this process runs: api, worker, scheduler (repeat or comma-separate). Default: daemon_roles.",
    ),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request (off: paths may carry ids)."),
) -> None:
    """Run the daemon: REST API, Meta webhooks, workers and the scheduler, in one process by default.

    Scale out on Postgres with several `--role api` processes behind a load balancer, `aimstors worker`
    processes, and schedulers (one is elected). Stops gracefully on SIGTERM/SIGINT.
    """
    from aimstors.daemon import server
    from aimstors.daemon.app import create_app
    from aimstors.daemon.runtime import check_roles

    settings = get_settings()
    try:
        roles = check_roles(_split(role) or settings.daemon_roles)
    except AimstorsError as exc:
        raise fail(exc) from None
    settings = dataclasses.replace(settings, daemon_roles=roles)
    _logging(settings)
    app = create_app(settings)
    server.run(app, host=host, port=port, log_level=settings.log_level, access_log=access_log)


def worker(
    queues: list[str] = typer.Option(
        [], "--queues", help="Queues to serve (repeat or comma-separate). Default: worker_queues."
    ),
    concurrency: int | None = typer.Option(None, help="Jobs run at once. Default: worker_concurrency."),
) -> None:
    """Run a job worker without HTTP (for Postgres deployments that scale workers apart from the API).

    Stops on SIGTERM/SIGINT: claimed jobs not started are released at once, running ones get a grace period.
    """
    from aimstors.core.handlers import build_registry
    from aimstors.core.queue import Worker
    from aimstors.core.services import build

    settings = get_settings()
    chosen = _split(queues) or settings.worker_queues
    _logging(settings)

    async def main() -> None:
        services = build(settings)
        try:
            runner = Worker(
                services.db, build_registry(services), queues=chosen,
                concurrency=concurrency or settings.worker_concurrency,
            )  # fmt: skip
            runner.install_signal_handlers()
            await runner.run()
        finally:
            await services.close()

    try:
        asyncio.run(main())
    except AimstorsError as exc:
        raise fail(exc) from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
