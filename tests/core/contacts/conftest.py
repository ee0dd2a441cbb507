"""Contacts fixtures: two workspaces (see tests/contacts_world.py) on a fresh database per test."""

from __future__ import annotations

import pytest
from tests.contacts_world import Shops, make_shops

from aimstors.core.db import Database


@pytest.fixture
async def shops(db: Database) -> Shops:
    return await make_shops(db)
