"""Errors from Google's side that are not the caller's fault."""

from __future__ import annotations

from aimstors.core.errors import AimstorsError

__all__ = ["GoogleUnavailable"]


class GoogleUnavailable(AimstorsError):
    """Google could not be reached, or answered with a server error or a rate limit; trying later may work."""

    code = "google_unavailable"
    exit_code = 1
    http_status = 502
