"""Audiences fixtures: two workspaces (see tests/contacts_world.py) per test; one sandbox for the Sheets tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.contacts_world import Shops, make_shops

from aimstors.core.db import Database
from aimstors.sandbox import RunningSandbox, SandboxConfig, SandboxThread


@pytest.fixture
async def shops(db: Database) -> Shops:
    return await make_shops(db)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """One sandbox (Meta, Google stand-ins) for the audiences suite, on its own thread."""
    with SandboxThread(SandboxConfig()) as running:
        yield running
