"""What route handlers take from the app: the process's services."""

from __future__ import annotations

from typing import Any

from litestar import Request

from aimstors.core.services import Services

__all__ = ["services_of"]


def services_of(request: Request[Any, Any, Any]) -> Services:
    """The ``Services`` the app was built with (``create_app`` puts them in ``app.state``)."""
    services: Services = request.app.state.services
    return services
