"""`aimstors jobs` on a real database: listing, showing, retrying, purging, stats, and who may do it."""

from __future__ import annotations

import asyncio
import datetime as dt

from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.queue import Failure, JobSpec, JobStore, enqueue_many

from .conftest import Cli


async def _fill(db_url: str) -> list[int]:
    """Three queued webhook jobs, one dead job, one job done ten days ago."""
    db = Database(db_url)
    try:
        ids = await enqueue_many(
            db,
            [JobSpec("webhook.process", {"event": n}, queue="webhooks") for n in range(3)]
            + [JobSpec("doomed", {"x": 1}, max_attempts=1, priority=9), JobSpec("old", {})],
        )
        store = JobStore(db)
        doomed, old = await store.claim(["default"], owner="w/1", limit=2, lease_seconds=30)
        await store.fail(
            [Failure(doomed.id, doomed.lease_owner, "RuntimeError: upstream 500\n\nTraceback …", utcnow())]
        )
        await store.complete(old.lease_owner, [old.id], now=utcnow() - dt.timedelta(days=10))
        return ids
    finally:
        await db.dispose()


def test_list_show_retry_purge_and_stats(cli: Cli, db_url: str) -> None:
    queued_a, _, _, dead, done = asyncio.run(_fill(db_url))
    env = {"AIMSTORS_DATABASE_URL": db_url}

    listing = cli("jobs", "list", "--json", env=env).json()
    assert [j["id"] for j in listing] == [done, dead, queued_a + 2, queued_a + 1, queued_a]  # type: ignore[index,union-attr]
    assert all("payload" not in j for j in listing)  # type: ignore[union-attr]
    dead_only = cli("jobs", "list", "--status", "dead", "--json", env=env).json()
    assert [j["id"] for j in dead_only] == [dead]  # type: ignore[index,union-attr]
    table = cli("jobs", "list", "--queue", "webhooks", env=env)
    assert table.exit_code == 0 and "webhook.process" in table.stdout and "doomed" not in table.stdout

    shown = cli("jobs", "show", str(dead), "--json", env=env).json()
    assert shown["status"] == "dead" and shown["payload"] == {"x": 1}  # type: ignore[index,call-overload]
    assert shown["last_error"].startswith("RuntimeError: upstream 500")  # type: ignore[index,call-overload]
    human = cli("jobs", "show", str(dead), env=env)
    assert "last error" in human.stdout and "upstream 500" in human.stdout

    stats = {s["queue"]: s for s in cli("jobs", "stats", "--json", env=env).json()}  # type: ignore[union-attr]
    assert (stats["webhooks"]["queued"], stats["default"]["dead"], stats["default"]["done"]) == (3, 1, 1)

    retried = cli("jobs", "retry", str(dead), "--json", env=env).json()
    assert (retried["status"], retried["attempts"]) == ("queued", 0)  # type: ignore[index,call-overload]
    assert cli("jobs", "retry", "--all-dead", "--json", env=env).json() == {"retried": 0}

    purged = cli("jobs", "purge", "--older-than", "7d", "--yes", "--json", env=env).json()
    assert purged["deleted"] == 1  # type: ignore[index,call-overload]
    assert cli("jobs", "show", str(done), env=env).exit_code == 4


def test_bad_input_is_refused_with_documented_exit_codes(cli: Cli, db_url: str) -> None:
    env = {"AIMSTORS_DATABASE_URL": db_url}
    cases = [
        (("jobs", "show", "12345"), 4, "job 12345 does not exist"),
        (("jobs", "list", "--status", "failed"), 3, "unknown job status 'failed'"),
        (("jobs", "purge", "--older-than", "soon", "--yes"), 3, "not a duration"),
        (("jobs", "purge", "--status", "queued", "--yes"), 3, "only done or dead jobs can be purged"),
        (("jobs", "purge"), 3, "pass --yes"),
        (("jobs", "retry"), 2, "give a job ID or --all-dead"),
    ]
    for args, code, message in cases:
        result = cli(*args, env=env)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)


def test_a_workspace_admin_may_not_see_the_install_wide_queue(cli: Cli, db_url: str) -> None:
    env = {"AIMSTORS_DATABASE_URL": db_url}
    assert cli("init", env=env).exit_code == 0
    assert cli("tenant", "create", "shop", env=env).exit_code == 0
    created = cli(
        "user", "create", "a@shop.test", "--password", "long enough pw", "--tenant", "shop",
        "--role", "workspace_admin", env=env,
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    denied = cli("jobs", "list", env={**env, "AIMSTORS_AS": "a@shop.test"})
    assert denied.exit_code == 5
    assert "may not jobs.read" in denied.stderr
