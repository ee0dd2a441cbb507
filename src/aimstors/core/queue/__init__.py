"""The work queue (DESIGN §5): one ``jobs`` table for everything asynchronous.

Enqueue with :func:`enqueue` / :func:`enqueue_many`; run jobs with a :class:`Worker` and handlers registered
on a :class:`HandlerRegistry`; inspect and repair with :func:`list_jobs`, :func:`get_job`, :func:`retry`,
:func:`retry_dead`, :func:`purge` and :func:`stats` (the ``aimstors jobs`` commands).

Delivery is at least once; a job runs again only when its worker died or stalled past its lease.
The SQL, and every difference between SQLite and Postgres, is in :mod:`aimstors.core.queue.claims`.
"""

from __future__ import annotations

from aimstors.core.queue.handlers import Handler, HandlerRegistry, JobContext
from aimstors.core.queue.records import STATUSES, ClaimedJob, Failure, JobInfo, JobSpec, JobStatus, QueueStats
from aimstors.core.queue.retries import Backoff
from aimstors.core.queue.service import (
    enqueue,
    enqueue_many,
    get_job,
    job_rows,
    list_jobs,
    purge,
    retry,
    retry_dead,
    stats,
)
from aimstors.core.queue.store import JobStore
from aimstors.core.queue.wakeups import wake_local
from aimstors.core.queue.worker import Worker, WorkerStats

__all__ = [
    "STATUSES",
    "Backoff",
    "ClaimedJob",
    "Failure",
    "Handler",
    "HandlerRegistry",
    "JobContext",
    "JobInfo",
    "JobSpec",
    "JobStatus",
    "JobStore",
    "QueueStats",
    "Worker",
    "WorkerStats",
    "enqueue",
    "enqueue_many",
    "get_job",
    "job_rows",
    "list_jobs",
    "purge",
    "retry",
    "retry_dead",
    "stats",
    "wake_local",
]
