"""Multi-row ``INSERT … VALUES`` at the driver level, for the few hot paths where SQLAlchemy's per-statement work
(coercion, cache keys, result set set-up: ~0.5 ms a statement on this machine) costs more than the insert itself.

The statement is still SQLAlchemy's — compiled once per row count from the table definition for the dialect —
and every value goes through its column type's bind processor, so the rows are exactly what the ORM or Core
would have written. Values the whole batch shares (``shared``) are converted once, not per row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

__all__ = ["BulkInsert"]


class BulkInsert:
    """``INSERT INTO table (columns) VALUES (…), (…) [ON CONFLICT (key) DO NOTHING]`` for one dialect.

    ``columns``: the columns written, in table order (default: all but an autoincrement ``id``); every row must
    carry each of them. ``shared``: columns whose value is taken from the first row for the whole batch.
    """

    def __init__(
        self,
        table: Table,
        dialect: Dialect,
        *,
        columns: Collection[str] | None = None,
        shared: Collection[str] = (),
        on_conflict_do_nothing: str | None = None,
    ) -> None:
        generated = table.autoincrement_column
        names = set(columns) if columns is not None else {c.name for c in table.c if c is not generated}
        self.table = table
        self.dialect = dialect
        self.columns: tuple[str, ...] = tuple(c.name for c in table.c if c.name in names)
        self.shared = frozenset(shared)
        self.conflict_key = on_conflict_do_nothing
        self._processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.columns
        )
        self._sql = functools.lru_cache(maxsize=1024)(self._compile)

    def _compile(self, rows: int) -> str:
        if self.dialect.paramstyle == "qmark" and rows > 1:
            # Positional "?" markers: the one-row statement's VALUES group, repeated (compiling a 1,000-row
            # statement takes SQLAlchemy ~50 ms, and every batch size is a new one).
            single = self._sql(1)
            group = "(" + ", ".join("?" * len(self.columns)) + ")"
            if single.count(group) != 1:
                raise RuntimeError(f"unexpected SQL compiling the bulk insert into {self.table.name}: {single}")
            return single.replace(group, ", ".join([group] * rows))
        placeholder = {name: 0 for name in self.columns}
        if self.conflict_key is None:
            stmt: Any = insert(self.table)
        else:
            module: Any = sqlite if self.dialect.name == "sqlite" else postgresql
            stmt = module.insert(self.table).on_conflict_do_nothing(index_elements=[self.table.c[self.conflict_key]])
        compiled = stmt.values([placeholder] * rows).compile(dialect=self.dialect)
        expected = [f"{name}_m{i}" for i in range(rows) for name in self.columns]
        if compiled.positiontup != expected:  # the parameter order the rows are flattened in below
            raise RuntimeError(f"unexpected parameter order compiling the bulk insert into {self.table.name}")
        return str(compiled)

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> tuple[str, tuple[Any, ...]]:
        """The statement for ``rows`` (at least one) and its flattened, driver-level parameters."""
        first = rows[0]
        shared = {
            name: _convert(process, first[name])
            for name, process in zip(self.columns, self._processors, strict=True)
            if name in self.shared
        }
        params: list[Any] = []
        append = params.append
        pairs = tuple(zip(self.columns, self._processors, strict=True))
        for row in rows:
            for name, process in pairs:
                if name in shared:
                    append(shared[name])
                else:
                    append(_convert(process, row[name]))
        return self._sql(len(rows)), tuple(params)


def _convert(process: Callable[[Any], Any] | None, value: Any) -> Any:
    return process(value) if process is not None else value
