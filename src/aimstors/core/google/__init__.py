"""Google APIs the product calls: OAuth tokens kept in a workspace's ``integrations`` row, and Sheets values.

    credentials    GoogleCredentials, store_google_credentials, access_token (refreshes and saves when expired)
    sheets         GoogleSheets: cell values of a range, through httpx against ``settings.google_sheets_url``

Base URLs come from settings (``google_sheets_url``, ``google_oauth_url``), so the sandbox stands in offline.
"""

from __future__ import annotations

from aimstors.core.google.credentials import PROVIDER, GoogleCredentials, access_token, store_google_credentials
from aimstors.core.google.sheets import GoogleSheets, GoogleUnavailable

__all__ = [
    "PROVIDER",
    "GoogleCredentials",
    "GoogleSheets",
    "GoogleUnavailable",
    "access_token",
    "store_google_credentials",
]
