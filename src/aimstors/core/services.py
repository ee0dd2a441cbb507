"""The composition root of the library: one ``Services`` per process, built from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from aimstors.core.db import Database
from aimstors.core.errors import ConfigError
from aimstors.core.security import Keyring
from aimstors.core.settings import Settings

__all__ = ["Services", "build"]


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    _keyring: Keyring | None = field(default=None, repr=False)

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

    async def close(self) -> None:
        await self.db.dispose()


def build(settings: Settings) -> Services:
    return Services(settings=settings, db=Database(settings))
