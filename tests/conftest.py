"""Shared fixtures: a real migrated database per test, on SQLite and on Postgres.

Each test that asks for ``db`` runs twice: on a SQLite file copied from a migrated template, and on a Postgres
database cloned from a migrated template database (``CREATE DATABASE … TEMPLATE``). Without a reachable Postgres
the Postgres half is skipped with a notice; under CI (``CI=true``) that is a failure instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from aimstors.core.db import Database
from aimstors.core.db.migrate import upgrade
from aimstors.core.settings import Settings

PG_ADMIN_DSN = os.environ.get("AIMSTORS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
RUN_ID = uuid.uuid4().hex[:8]

_pg_state: dict[str, object] = {}


def _sa_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


def _pg_dsn(database: str) -> str:
    return f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> bool:
    if "available" not in _pg_state:
        try:
            asyncio.run(_pg_admin("SELECT 1"))
            _pg_state["available"] = True
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _pg_state["available"] = False
            _pg_state["reason"] = str(exc)
    return bool(_pg_state["available"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: runs on SQLite only")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _pg_state.get("available") is False:
        terminalreporter.write_line(
            f"NOTICE: Postgres at {PG_ADMIN_DSN} was not reachable ({_pg_state.get('reason')}); "
            "the Postgres suite was SKIPPED. Start Postgres to run it.",
            yellow=True,
            bold=True,
        )


def require_postgres() -> None:
    if postgres_available():
        return
    if IN_CI:
        pytest.fail(f"Postgres is required under CI but not reachable: {_pg_state.get('reason')}")
    pytest.skip("Postgres not reachable")


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost in tests: the same code path, a thousandth of the time.

    The security package's own tests check the production parameters, so they keep them.
    """
    from argon2 import PasswordHasher

    if "security" in request.node.path.parts:
        return

    from aimstors.core.security import passwords

    monkeypatch.setattr(passwords, "DEFAULT_HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    require_postgres()
    name = f"aimstors_tpl_{RUN_ID}_{WORKER}"

    async def build() -> None:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        await _pg_admin(f'CREATE DATABASE "{name}"')
        db = Database(_sa_url(PG_ADMIN_DSN, name))
        await upgrade(db)
        await db.dispose()

    asyncio.run(build())
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _new_pg_database(template: str) -> str:
    name = f"aimstors_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database; the test runs once per dialect."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "aimstors.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-only test")
    template = request.getfixturevalue("pg_template")
    name = _new_pg_database(template)
    yield _sa_url(PG_ADMIN_DSN, name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh, migrated Postgres database (Postgres-only tests)."""
    template = request.getfixturevalue("pg_template")
    name = _new_pg_database(template)
    yield _sa_url(PG_ADMIN_DSN, name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for a test: its own database, a fresh keyring and JWT secret."""
    import base64

    key = base64.b64encode(os.urandom(32)).decode()
    return Settings(
        database_url=db_url,
        secret_keys=(f"k1:{key}",),
        jwt_secret="test-jwt-secret-" + "x" * 32,
        meta_app_secret="test-app-secret",
        meta_verify_token="test-verify-token",
    )
