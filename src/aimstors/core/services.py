"""The composition root of the library: one ``Services`` per process, built from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aimstors.core.db import Database
from aimstors.core.errors import ConfigError
from aimstors.core.events import EventBus, bus_for_database
from aimstors.core.security import Keyring
from aimstors.core.settings import Settings

if TYPE_CHECKING:
    from aimstors.core.channel import CloudApiClient

__all__ = ["Services", "build"]


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    events: EventBus = field(default_factory=EventBus)  # domain events (core.events); bridged on Postgres
    _keyring: Keyring | None = field(default=None, repr=False)
    _cloud_api: CloudApiClient | None = field(default=None, repr=False)

    @property
    def keyring(self) -> Keyring:
        """The secrets keyring; ConfigError when ``secret_keys`` is not configured."""
        if self._keyring is None:
            if not self.settings.secret_keys:
                raise ConfigError(
                    "no secret keys configured (secret_keys); run `aimstors init` or set AIMSTORS_SECRET_KEYS"
                )
            self._keyring = Keyring.from_settings(self.settings)
        return self._keyring

    @property
    def cloud_api(self) -> CloudApiClient:
        """The process's Cloud API client (one connection pool; the access token is passed per call)."""
        if self._cloud_api is None:
            from aimstors.core.channel import CloudApiClient

            self._cloud_api = CloudApiClient.from_settings(self.settings)
        return self._cloud_api

    async def close(self) -> None:
        if self._cloud_api is not None:
            await self._cloud_api.close()
            self._cloud_api = None
        await self.events.close()
        await self.db.dispose()


def build(settings: Settings) -> Services:
    db = Database(settings)
    events = bus_for_database(db, replay_size=settings.events_replay_size, queue_size=settings.events_queue_size)
    return Services(settings=settings, db=db, events=events)
