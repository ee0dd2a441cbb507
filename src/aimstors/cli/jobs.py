"""`aimstors jobs`: inspect the work queue, retry dead jobs, purge finished ones, see the backlog."""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

import typer

from aimstors.cli.output import JSON_OPTION, console, emit, to_jsonable
from aimstors.cli.runner import fail, run
from aimstors.core import queue
from aimstors.core.errors import InvalidInput
from aimstors.core.security import Action, Actor, authorize
from aimstors.core.services import Services

app = typer.Typer(help="The work queue: list, show, retry, purge, stats.", no_args_is_help=True)

# The jobs table is install-wide, so every jobs action is checked against the platform root.
INSTALL_PATH = "/1/"
LIST_COLUMNS = ["id", "queue", "kind", "status", "attempts", "run_at", "error"]
STATS_COLUMNS = ["queue", "queued", "due", "running", "done", "dead", "oldest_due"]
_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str) -> dt.timedelta:
    """``7d``, ``12h``, ``1d12h``, ``30m``, ``45s``, ``2w`` → timedelta; InvalidInput otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InvalidInput(f"{text!r} is not a duration; use e.g. 7d, 12h, 1d12h, 30m or 45s")
    return dt.timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))


def _short(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    if seconds < 86_400:
        return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"
    return f"{seconds // 86_400:.0f}d{seconds % 86_400 // 3600:02.0f}h"


def _first_line(error: str | None, width: int = 60) -> str:
    if not error:
        return ""
    line = error.strip().splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _job_dict(job: queue.JobInfo, *, payload: bool) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(job)
    if not payload:
        data.pop("payload", None)
    return data


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help="Only jobs in this status: queued, running, done or dead."),
    queue_name: str | None = typer.Option(None, "--queue", help="Only jobs of this queue."),
    kind: str | None = typer.Option(None, help="Only jobs of this kind."),
    limit: int = typer.Option(50, help="At most this many jobs, newest first."),
    json_: bool = JSON_OPTION,
) -> None:
    """List jobs, newest first (payloads only with `jobs show`)."""

    async def go(services: Services, actor: Actor) -> list[queue.JobInfo]:
        authorize(actor, Action.JOBS_READ, INSTALL_PATH)
        return await queue.list_jobs(services.db, status=status, queue=queue_name, kind=kind, limit=limit)

    jobs = run(go)
    if json_:
        emit([_job_dict(job, payload=False) for job in jobs], json=True)
        return
    rows = [
        {
            **_job_dict(job, payload=False),
            "attempts": f"{job.attempts}/{job.max_attempts}",
            "run_at": job.run_at,
            "error": _first_line(job.last_error),
        }
        for job in jobs
    ]
    emit(rows, json=False, columns=LIST_COLUMNS, title="Jobs")


@app.command()
def show(job_id: int = typer.Argument(..., metavar="ID"), json_: bool = JSON_OPTION) -> None:
    """Show one job, with its payload and its last error in full."""

    async def go(services: Services, actor: Actor) -> queue.JobInfo:
        authorize(actor, Action.JOBS_READ, INSTALL_PATH)
        return await queue.get_job(services.db, job_id)

    job = run(go)
    if json_:
        emit(_job_dict(job, payload=True), json=True)
        return
    details = _job_dict(job, payload=True)
    error = details.pop("last_error")
    emit(details, json=False, title=f"Job {job.id}")
    if error:
        console.print("[bold]last error[/]")
        console.print(error, markup=False, highlight=False)


@app.command()
def retry(
    job_id: int | None = typer.Argument(None, metavar="ID", help="The job to run again."),
    all_dead: bool = typer.Option(False, "--all-dead", help="Retry every dead job (of --queue, if given)."),
    queue_name: str | None = typer.Option(None, "--queue", help="With --all-dead: only this queue."),
    json_: bool = JSON_OPTION,
) -> None:
    """Run a dead job (or one waiting out its backoff) again now, with fresh attempts; or every dead job."""
    if (job_id is None) == (not all_dead):
        raise typer.BadParameter("give a job ID or --all-dead (not both)")
    if queue_name is not None and not all_dead:
        raise typer.BadParameter("--queue goes with --all-dead")

    async def go(services: Services, actor: Actor) -> queue.JobInfo | int:
        authorize(actor, Action.JOBS_RETRY, INSTALL_PATH)
        if job_id is not None:
            return await queue.retry(services.db, job_id)
        return await queue.retry_dead(services.db, queue=queue_name)

    result = run(go)
    if isinstance(result, int):
        if json_:
            emit({"retried": result}, json=True)
        else:
            where = f" in queue {queue_name}" if queue_name else ""
            console.print(f"requeued {result} dead job{'s' if result != 1 else ''}{where}")
    elif json_:
        emit(_job_dict(result, payload=False), json=True)
    else:
        console.print(f"job {result.id} ({result.kind}) is queued again")


@app.command()
def purge(
    status: str = typer.Option("done", help="Which finished jobs to delete: done or dead."),
    older_than: str = typer.Option("7d", help="Only jobs that finished longer ago than this (7d, 12h, 30m …)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_: bool = JSON_OPTION,
) -> None:
    """Delete finished jobs for good (their dedupe keys become free again)."""
    try:
        age = parse_duration(older_than)
    except InvalidInput as exc:
        raise fail(InvalidInput(f"--older-than: {exc.message}")) from None
    if not yes:
        if not sys.stdin.isatty():
            raise fail(InvalidInput("purge deletes jobs for good; pass --yes to confirm"))
        typer.confirm(f"Delete {status} jobs that finished more than {older_than} ago?", abort=True)

    async def go(services: Services, actor: Actor) -> int:
        authorize(actor, Action.JOBS_PURGE, INSTALL_PATH)
        return await queue.purge(services.db, status=status, older_than=age)

    deleted = run(go)
    if json_:
        emit({"deleted": deleted, "status": status, "older_than_seconds": int(age.total_seconds())}, json=True)
    else:
        console.print(f"deleted {deleted} {status} job{'s' if deleted != 1 else ''}")


@app.command()
def stats(json_: bool = JSON_OPTION) -> None:
    """Jobs per queue and status; `due` jobs are waiting for a worker, `oldest due` is the backlog's age."""

    async def go(services: Services, actor: Actor) -> list[queue.QueueStats]:
        authorize(actor, Action.JOBS_READ, INSTALL_PATH)
        return await queue.stats(services.db)

    result = run(go)
    if json_:
        emit(result, json=True)
        return
    rows = [{**to_jsonable(s), "oldest_due": _short(s.oldest_due_seconds) if s.due else ""} for s in result]
    emit(rows, json=False, columns=STATS_COLUMNS, title="Queues")
