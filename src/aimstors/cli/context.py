"""Per-invocation state of the CLI: settings (loaded once at the entry point), services and the actor."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from aimstors.core.errors import AimstorsError
from aimstors.core.security import Actor
from aimstors.core.services import Services, build
from aimstors.core.settings import Settings, load_settings

__all__ = ["CliState", "current_state", "get_services", "get_settings", "set_state"]


@dataclass(slots=True)
class CliState:
    config_file: Path | None = None
    database_url: str | None = None
    as_user: str | None = None
    as_tenant: str | None = None
    _settings: Settings | None = None
    _services: Services | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(config_file=self.config_file, database_url=self.database_url)
        return self._settings

    def services(self) -> Services:
        if self._services is None:
            self._services = build(self.settings())
        return self._services

    async def actor(self) -> Actor:
        """The local operator is the system actor; ``--as EMAIL`` acts with that user's membership instead."""
        if self.as_user is None:
            return Actor.system()
        from aimstors.core.tenancy.actors import actor_for_user

        return await actor_for_user(self.services().db, self.as_user, tenant_slug=self.as_tenant)

    async def close(self) -> None:
        if self._services is not None:
            await self._services.close()
            self._services = None


_state: ContextVar[CliState | None] = ContextVar("aimstors_cli_state", default=None)


def set_state(state: CliState) -> None:
    """Called by the root command for each invocation."""
    _state.set(state)


def current_state() -> CliState:
    state = _state.get()
    if state is None:
        state = CliState()
        _state.set(state)
    return state


def get_settings() -> Settings:
    from aimstors.cli.runner import fail

    try:
        return current_state().settings()
    except AimstorsError as exc:
        raise fail(exc) from None


def get_services() -> Services:
    from aimstors.cli.runner import fail

    try:
        return current_state().services()
    except AimstorsError as exc:
        raise fail(exc) from None
