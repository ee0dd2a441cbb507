"""Showing a CSV import on the terminal: a progress bar by bytes read, and the report or the rejected rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from aimstors.core.contacts import ImportProgress, ImportReport, Rejection

__all__ = ["import_progress", "print_rejections", "print_report"]

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
_PHASES = {"validating": "checking rows", "importing": "importing"}


@contextmanager
def import_progress(*, enabled: bool = True) -> Iterator[Callable[[ImportProgress], None]]:
    """A progress callback drawing a bar on stderr (only on a terminal); the bar goes away when done."""
    progress = Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>10,} rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not (enabled and err_console.is_terminal),
    )
    tasks: dict[str, TaskID] = {}

    def update(event: ImportProgress) -> None:
        task = tasks.get(event.phase)
        if task is None:
            task = tasks[event.phase] = progress.add_task(_PHASES[event.phase], total=event.bytes_total, rows=0)
        progress.update(task, completed=event.bytes_done, rows=event.rows)

    with progress:
        yield update


def print_rejections(rejections: Sequence[Rejection], total: int, *, console: Console = err_console) -> None:
    """The first rejected rows as a table (line and reason), and how many more there are."""
    if not rejections:
        return
    table = Table(title="Rejected rows" if total == len(rejections) else f"Rejected rows (first {len(rejections)})")
    table.add_column("line", justify="right")
    table.add_column("reason")
    for rejection in rejections:
        table.add_row(str(rejection.line), rejection.reason)
    console.print(table)
    if total > len(rejections):
        console.print(f"… and {total - len(rejections)} more")


def print_report(report: ImportReport, console: Console) -> None:
    """A person's summary of an import."""
    into = f" into {report.tenant}" + (f" (audience {report.audience!r})" if report.audience else "")
    console.print(f"imported [bold]{report.file}[/]{into} in {report.seconds:.1f} s")
    kept = f" ({report.opted_out} opted out: they stay opted out)" if report.opted_out else ""
    for label, value, note in [
        ("rows", report.rows, ""),
        ("new", report.inserted, ""),
        ("updated", report.updated, kept),
        (
            "duplicates",
            report.duplicates,
            " (repeats of a number earlier in the file, merged)" if report.duplicates else "",
        ),
        (
            "rejected",
            report.rejected,
            f" (all in {report.rejects_file})" if report.rejected and report.rejects_file else "",
        ),
    ]:
        console.print(f"  {label:<11}{value:>10,}{note}")
    mapping = [f"phone column {report.phone_column!r}" + (f" (region {report.region})" if report.region else "")]
    if report.name_column:
        mapping.append(f"name column {report.name_column!r}")
    if report.attributes:
        mapping.append("attributes " + ", ".join(f"{c} → {a}" for c, a in report.attributes.items()))
    if report.tag_column or report.tags:
        mapping.append(
            "tags " + ", ".join([*([f"from {report.tag_column!r}"] if report.tag_column else []), *report.tags])
        )
    if report.ignored_columns:
        mapping.append("ignored " + ", ".join(repr(c) for c in report.ignored_columns))
    console.print("[dim]" + "; ".join(mapping) + "[/]")
    print_rejections(report.rejections, report.rejected, console=console)
