"""A typed async client for the aimstors daemon's HTTP API, for scripts and the terminal inbox.

    async with AimstorsClient("http://127.0.0.1:8000") as client:
        await client.login("admin@example.com", "password")
        async for contact in client.contacts.iterate(tag="vip"):
            ...
        async for event in client.events():
            ...

It talks HTTP only: it never imports the database layer (an import-linter contract keeps it so). Errors::

    ClientError
    ├── ConnectionFailed        the daemon could not be reached (or a stream gave up)
    └── ApiError                the daemon's error envelope: status, code, message, hint
        ├── InvalidRequest      400 / 422
        ├── AuthenticationError 401
        ├── Forbidden           403
        ├── NotFoundError       404
        └── ConflictError       409
"""

from __future__ import annotations

from aimstors.client.client import AimstorsClient
from aimstors.client.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    ConflictError,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    NotFoundError,
)
from aimstors.client.models import (
    ApiKey,
    Balance,
    CannedReply,
    Contact,
    ContactPage,
    Me,
    Membership,
    NewApiKey,
    Session,
    Template,
    Tenant,
    Usage,
    UsageDay,
    User,
)
from aimstors.client.sse import Backoff, ServerEvent

__all__ = [
    "AimstorsClient",
    "ApiError",
    "ApiKey",
    "AuthenticationError",
    "Backoff",
    "Balance",
    "CannedReply",
    "ClientError",
    "ConflictError",
    "ConnectionFailed",
    "Contact",
    "ContactPage",
    "Forbidden",
    "InvalidRequest",
    "Me",
    "Membership",
    "NewApiKey",
    "NotFoundError",
    "ServerEvent",
    "Session",
    "Template",
    "Tenant",
    "Usage",
    "UsageDay",
    "User",
]
