"""A small Google Sheets client: the values of a range, as rows of text.

Calls ``GET {google_sheets_url}/v4/spreadsheets/{id}/values/{range}`` with the workspace's OAuth token (see
:mod:`~aimstors.core.google.credentials`). Google's answers map to the house errors: 400 → InvalidInput (a bad
range), 401/403 → PermissionDenied (not connected, or the sheet is not shared with the account), 404 → NotFound,
429/5xx and network failures → :class:`GoogleUnavailable`.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from aimstors.core.db import Database
from aimstors.core.errors import InvalidInput, NotFound, PermissionDenied
from aimstors.core.google.credentials import access_token
from aimstors.core.google.errors import GoogleUnavailable
from aimstors.core.security import Keyring
from aimstors.core.settings import Settings

if TYPE_CHECKING:
    from aimstors.core.services import Services

__all__ = ["GoogleSheets", "GoogleUnavailable"]

TIMEOUT_SECONDS = 30.0


def _google_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(error.get("message") or error.get("status") or f"HTTP {response.status_code}")[:300]


class GoogleSheets:
    """Reads Google Sheets for the workspaces of one install (one connection pool; close with :meth:`aclose`).

    ``keyring`` decrypts the stored credentials (None: only workspaces without a Google integration can be read,
    anonymously, which Google refuses for private sheets). ``transport`` is for tests (``httpx.MockTransport``).
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        keyring: Keyring | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.keyring = keyring
        self.http = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, transport=transport)

    @classmethod
    def from_services(cls, services: Services) -> GoogleSheets:
        keyring = services.keyring if services.settings.secret_keys else None
        return cls(services.db, services.settings, keyring)

    async def __aenter__(self) -> GoogleSheets:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def values(
        self, tenant_id: int, spreadsheet_id: str, range_: str, *, integration: str | None = None
    ) -> list[list[str]]:
        """The rows of ``range_`` (A1 notation) as text, as Google formats them; trailing empty cells are absent."""
        token = await access_token(self.db, self.keyring, self.http, self.settings, tenant_id, integration=integration)
        url = (
            f"{self.settings.google_sheets_url.rstrip('/')}/v4/spreadsheets/{quote(spreadsheet_id, safe='')}"
            f"/values/{quote(range_, safe='!:')}"
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        params = {"majorDimension": "ROWS", "valueRenderOption": "FORMATTED_VALUE"}
        try:
            response = await self.http.get(url, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise GoogleUnavailable(f"Google Sheets could not be reached ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise self._error(response, spreadsheet_id, range_, connected=token is not None)
        body: dict[str, Any] = response.json()
        rows = body.get("values", [])
        return [["" if cell is None else str(cell) for cell in row] for row in rows]

    @staticmethod
    def _error(response: httpx.Response, spreadsheet_id: str, range_: str, *, connected: bool) -> Exception:
        status, message = response.status_code, _google_message(response)
        if status == 400:
            return InvalidInput(f"Google Sheets cannot read range {range_!r}: {message}")
        if status in (401, 403):
            hint = (
                "share the spreadsheet with the connected Google account, or connect it again"
                if connected
                else "connect a Google account to this workspace first"
            )
            return PermissionDenied(
                f"Google Sheets refused access to spreadsheet {spreadsheet_id!r}: {message}", hint=hint
            )
        if status == 404:
            return NotFound(f"Google Sheets has no spreadsheet {spreadsheet_id!r}")
        return GoogleUnavailable(f"Google Sheets answered {status}: {message}")
