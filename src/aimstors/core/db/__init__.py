"""Storage: engine and sessions with a tenant scope, models, migrations."""

from __future__ import annotations

from aimstors.core.db.engine import Database
from aimstors.core.db.scope import Scope

__all__ = ["Database", "Scope"]
