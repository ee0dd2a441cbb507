"""`aimstors domain`: custom domains (the commands live beside branding)."""

from __future__ import annotations

from aimstors.cli.branding import domains as app

__all__ = ["app"]
