"""A worker process for the queue's process tests (run as a script, never collected by pytest).

Jobs of kind ``test`` run one ``--behaviour``: ``record`` appends the job id to ``--record`` (one O_APPEND write
per job); ``sleep`` marks the job started in ``--started``, sleeps ``--sleep`` seconds, then records it;
``block`` marks the job started and waits forever. The process runs until idle (``--until-idle``), until it
has recorded ``--expect`` jobs, or until SIGTERM; prints its stats as ``stats claimed=… succeeded=…`` on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import os
import signal

from aimstors.core.db import Database
from aimstors.core.queue import HandlerRegistry, JobContext, Worker


def _append(path: str | None, job_id: int) -> None:
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{job_id}\n".encode())
        finally:
            os.close(fd)


async def main(args: argparse.Namespace) -> None:
    db = Database(args.url)
    registry = HandlerRegistry()
    recorded = 0
    worker: Worker

    def record(job_id: int) -> None:
        nonlocal recorded
        _append(args.record, job_id)
        recorded += 1
        if args.expect and recorded >= args.expect:
            worker.stop()

    async def record_job(job: JobContext) -> None:
        record(job.id)

    async def sleep_job(job: JobContext) -> None:
        _append(args.started, job.id)
        await asyncio.sleep(args.sleep)
        record(job.id)

    async def block_job(job: JobContext) -> None:
        _append(args.started, job.id)
        await asyncio.Event().wait()

    registry.add("test", {"record": record_job, "sleep": sleep_job, "block": block_job}[args.behaviour])

    worker = Worker(
        db,
        registry,
        queues=args.queues.split(","),
        concurrency=args.concurrency,
        batch_size=args.batch,
        lease_seconds=args.lease,
        poll_interval=args.poll,
        grace_seconds=args.grace,
    )
    worker.install_signal_handlers()
    try:
        if args.timeout:
            asyncio.get_running_loop().call_later(args.timeout, worker.stop)
        stats = await worker.run(until_idle=args.until_idle)
    finally:
        await db.dispose()
    print(
        f"stats claimed={stats.claimed} succeeded={stats.succeeded} failed={stats.failed} "
        f"released={stats.released} lost={stats.lost}",
        flush=True,
    )


if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` dumps every thread's stack to stderr
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--behaviour", choices=["record", "sleep", "block"], default="record")
    parser.add_argument("--queues", default="default")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--grace", type=float, default=10.0)
    parser.add_argument("--record")
    parser.add_argument("--started")
    parser.add_argument("--sleep", type=float, default=0.5)
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=0.0)
    parser.add_argument("--until-idle", action="store_true")
    asyncio.run(main(parser.parse_args()))
