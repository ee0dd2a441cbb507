"""The values the queue passes around: what to enqueue, what a claim hands a worker, what the CLI shows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aimstors.core.errors import InvalidInput

__all__ = [
    "STATUSES",
    "ClaimedJob",
    "Failure",
    "JobInfo",
    "JobSpec",
    "JobStatus",
    "QueueStats",
]

JobStatus = Literal["queued", "running", "done", "dead"]
STATUSES: Final[tuple[JobStatus, ...]] = ("queued", "running", "done", "dead")
"""queued → running → done, or back to queued (retry with backoff), or dead (attempts exhausted)."""

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_SMALLINT = (-32768, 32767)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job to enqueue. ``run_at=None`` means now; higher ``priority`` runs first.

    A ``dedupe_key`` that already exists in the table (in any status, until purged) makes the enqueue a no-op.
    """

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    queue: str = "default"
    run_at: dt.datetime | None = None
    priority: int = 0
    dedupe_key: str | None = None
    max_attempts: int = 5
    tenant_id: int | None = None

    def validate(self) -> None:
        """InvalidInput naming the first field that is wrong."""
        if not isinstance(self.kind, str) or not self.kind.strip() or len(self.kind) > 128:
            raise InvalidInput(f"job kind must be a non-empty string of at most 128 characters, not {self.kind!r}")
        if not isinstance(self.queue, str) or not _QUEUE_NAME.fullmatch(self.queue):
            raise InvalidInput(f"queue name {self.queue!r} is invalid: use 1-64 letters, digits, '_', '.', ':' or '-'")
        if not isinstance(self.payload, dict):
            raise InvalidInput(f"job payload must be a JSON object (dict), not {type(self.payload).__name__}")
        if self.run_at is not None and self.run_at.tzinfo is None:
            raise InvalidInput("run_at must be timezone-aware (UTC)")
        if isinstance(self.priority, bool) or not _SMALLINT[0] <= self.priority <= _SMALLINT[1]:
            raise InvalidInput(f"priority must be an integer from {_SMALLINT[0]} to {_SMALLINT[1]}")
        if isinstance(self.max_attempts, bool) or not 1 <= self.max_attempts <= 1000:
            raise InvalidInput(f"max_attempts must be from 1 to 1000, not {self.max_attempts}")
        if self.dedupe_key is not None and not 0 < len(self.dedupe_key) <= 256:
            raise InvalidInput("dedupe_key must be 1-256 characters when given")


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job a claim handed to a worker. ``lease_owner`` is the claim's token: only it may settle the job."""

    id: int
    queue: str
    kind: str
    payload: dict[str, Any]
    priority: int
    run_at: dt.datetime
    attempts: int  # including this one
    max_attempts: int
    tenant_id: int | None
    lease_owner: str


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt: back to ``queued`` at ``retry_at``, or ``dead`` when its attempts are exhausted."""

    job_id: int
    lease_owner: str
    error: str
    retry_at: dt.datetime


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A job as `aimstors jobs show` prints it."""

    id: int
    queue: str
    kind: str
    status: str
    priority: int
    run_at: dt.datetime
    attempts: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: dt.datetime | None
    dedupe_key: str | None
    last_error: str | None
    tenant_id: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts for one queue. ``due`` is the queued jobs whose ``run_at`` has come; ``oldest_due_seconds`` is
    how long the oldest of them has waited (0 when none), the first number to watch for a backlog."""

    queue: str
    queued: int = 0
    due: int = 0
    running: int = 0
    done: int = 0
    dead: int = 0
    oldest_due_seconds: float = 0.0
