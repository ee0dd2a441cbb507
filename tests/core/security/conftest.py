"""Fixtures for the security primitives."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.fixture
def cheap_hasher() -> PasswordHasher:
    """argon2id at the lowest sensible cost: the same code path, a thousandth of the time."""
    return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
