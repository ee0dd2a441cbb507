"""Running a command's coroutine and mapping errors to the documented exit codes.

Exit codes (docs/cli.md): 0 ok, 1 unexpected error, 2 usage error (from Typer), and for ``AimstorsError``
its ``exit_code``: 3 invalid input, 4 not found, 5 permission denied, 6 conflict, 7 insufficient funds,
8 configuration error, 9 authentication failed, 10 database unavailable. 130 when interrupted.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console

from aimstors.core.errors import AimstorsError
from aimstors.core.security import Actor
from aimstors.core.services import Services

__all__ = ["fail", "run"]

T = TypeVar("T")
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(error: AimstorsError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {error.message}", markup=True)
    if error.hint:
        err_console.print(f"[dim]hint:[/] {error.hint}")
    return typer.Exit(error.exit_code)


def run(work: Coroutine[Any, Any, T] | Callable[[Services, Actor], Awaitable[T]]) -> T:
    """Run ``work`` (a coroutine, or a function of the services and the acting actor) to completion.

    Services built for the command are closed afterwards; an ``AimstorsError`` becomes a message on stderr and
    its exit code.
    """
    from aimstors.cli.context import current_state

    state = current_state()

    async def main() -> T:
        try:
            if inspect.iscoroutine(work):
                result: T = await work
                return result
            assert callable(work)
            services = state.services()
            actor = await state.actor()
            return await work(services, actor)
        finally:
            await state.close()

    try:
        return asyncio.run(main())
    except AimstorsError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None
    finally:
        sys.stdout.flush()
