"""A workspace's Google OAuth credentials: stored encrypted in ``integrations`` (provider ``google``), refreshed
when the access token has expired.

A refreshed token is used, not saved: reading a sheet then never writes to the database, so it can happen inside
another unit of work (a campaign materialising its recipients) even on SQLite; a refresh costs one request.

The stored document is JSON: ``access_token``, and optionally ``expires_at`` (ISO 8601), ``refresh_token``,
``client_id`` and ``client_secret``. An access token with no expiry is used as is. Tokens never appear in logs,
errors or reprs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Integration
from aimstors.core.errors import ConfigError, NotFound, PermissionDenied
from aimstors.core.google.errors import GoogleUnavailable
from aimstors.core.security import Keyring
from aimstors.core.security.stored_secrets import secret_context
from aimstors.core.settings import Settings

__all__ = ["PROVIDER", "GoogleCredentials", "access_token", "store_google_credentials"]

PROVIDER = "google"
EXPIRY_SLACK = dt.timedelta(seconds=60)  # refresh a token this close to expiring rather than fail mid-request

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoogleCredentials:
    """OAuth credentials of one Google integration (secrets hidden from ``repr``)."""

    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    expires_at: dt.datetime | None = None

    def usable(self, now: dt.datetime) -> bool:
        return bool(self.access_token) and (self.expires_at is None or self.expires_at - EXPIRY_SLACK > now)

    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    def to_json(self) -> str:
        data: dict[str, Any] = {k: v for k, v in asdict(self).items() if v is not None}
        if self.expires_at is not None:
            data["expires_at"] = self.expires_at.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> GoogleCredentials:
        data = json.loads(text)
        expires = data.get("expires_at")
        return cls(
            access_token=data.get("access_token"),
            refresh_token=data.get("refresh_token"),
            client_id=data.get("client_id"),
            client_secret=data.get("client_secret"),
            expires_at=dt.datetime.fromisoformat(expires) if expires else None,
        )


def _context(row_id: int) -> str:
    return secret_context("integrations", "credentials_enc", row_id)


async def _find(session: AsyncSession, tenant_id: int, name: str | None) -> Integration | None:
    stmt = select(Integration).where(Integration.tenant_id == tenant_id, Integration.provider == PROVIDER)
    if name is not None:
        stmt = stmt.where(Integration.name == name)
    return await session.scalar(stmt.order_by(Integration.id).limit(1))


async def store_google_credentials(
    db: Database,
    keyring: Keyring,
    tenant_id: int,
    credentials: GoogleCredentials,
    *,
    name: str = "default",
    scopes: tuple[str, ...] = ("https://www.googleapis.com/auth/spreadsheets.readonly",),
) -> int:
    """Save (create or replace) the workspace's Google integration ``name``, encrypted; returns its id."""
    async with db.session(Scope.tenant(tenant_id), write=True) as session:
        row = await _find(session, tenant_id, name)
        if row is None:
            row = Integration(tenant_id=tenant_id, provider=PROVIDER, name=name, scopes=list(scopes))
            session.add(row)
            await session.flush()
        row.credentials_enc = keyring.encrypt(credentials.to_json(), _context(row.id))
        row.updated_at = utcnow()
        return row.id


async def _refresh(http: httpx.AsyncClient, settings: Settings, credentials: GoogleCredentials) -> GoogleCredentials:
    url = settings.google_oauth_url.rstrip("/") + "/token"
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials.refresh_token or "",
        "client_id": credentials.client_id or "",
        "client_secret": credentials.client_secret or "",
    }
    try:
        response = await http.post(url, data=form)
    except httpx.HTTPError as exc:
        raise GoogleUnavailable(f"Google's token endpoint could not be reached ({type(exc).__name__})") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise GoogleUnavailable(f"Google's token endpoint answered {response.status_code}; try again later")
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or not body.get("access_token"):
        reason = body.get("error", f"HTTP {response.status_code}")
        raise PermissionDenied(
            f"Google refused to refresh the workspace's access token ({reason})",
            hint="connect the Google account again",
        )
    expires_in = body.get("expires_in")
    expires_at = utcnow() + dt.timedelta(seconds=int(expires_in)) if expires_in else None
    return replace(credentials, access_token=body["access_token"], expires_at=expires_at)


async def access_token(
    db: Database,
    keyring: Keyring | None,
    http: httpx.AsyncClient,
    settings: Settings,
    tenant_id: int,
    *,
    integration: str | None = None,
) -> str | None:
    """A current access token of the workspace's Google integration (``integration`` names one; default: the
    first). None when the workspace has no Google integration at all; NotFound when the named one does not exist.
    An expired token is refreshed with the stored refresh token."""
    async with db.session(Scope.tenant(tenant_id)) as session:
        row = await _find(session, tenant_id, integration)
    if row is None:
        if integration is not None:
            raise NotFound(f"no Google integration named {integration!r} in this workspace")
        return None
    if not row.credentials_enc:
        raise ConfigError(f"the Google integration {row.name!r} has no credentials", hint="connect it again")
    if keyring is None:
        raise ConfigError("no secret keys configured (secret_keys): the Google credentials cannot be decrypted")
    credentials = GoogleCredentials.from_json(keyring.decrypt(row.credentials_enc, _context(row.id)))
    if credentials.usable(utcnow()):
        return credentials.access_token
    if not credentials.can_refresh():
        raise PermissionDenied(
            f"the access token of Google integration {row.name!r} has expired and cannot be refreshed",
            hint="connect the Google account again",
        )
    credentials = await _refresh(http, settings, credentials)
    log.info("refreshed the Google access token of integration %s (tenant %s)", row.id, tenant_id)
    return credentials.access_token
