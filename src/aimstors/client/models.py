"""Typed results of the daemon API, decoded from its JSON. Fields the daemon adds later are ignored, so an older
client keeps working against a newer daemon. Amounts of credits are decimal strings (``"12.5"``) plus exact
integers of micro-credits; times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

__all__ = [
    "ApiKey",
    "Balance",
    "CannedReply",
    "Contact",
    "ContactPage",
    "Me",
    "Membership",
    "NewApiKey",
    "Session",
    "Template",
    "Tenant",
    "Usage",
    "UsageDay",
    "User",
]


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """A session token from :meth:`AimstorsClient.login`, for one tenant and role."""

    token: str
    expires_at: dt.datetime
    tenant: str
    role: str


class Me(msgspec.Struct, frozen=True, kw_only=True):
    """The caller: a user (``kind="user"``) or an API key, its role and tenant, and every action it may take."""

    kind: str
    role: str
    tenant: str | None
    tenant_id: int | None
    user_id: int | None
    email: str | None
    api_key_id: int | None
    permissions: list[str]


class Tenant(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    slug: str
    name: str
    kind: str
    parent_slug: str | None
    path: str
    status: str
    created_at: dt.datetime


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    tenant_slug: str
    tenant_id: int
    tenant_path: str
    role: str


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    name: str
    is_active: bool
    created_at: dt.datetime
    memberships: list[Membership]


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant_slug: str
    name: str
    prefix: str
    role: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key just created: ``secret`` is shown this once and never again."""

    key: ApiKey
    secret: str


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant: str
    wa_id: str | None
    bsuid: str | None
    profile_name: str | None
    tags: list[str]
    attributes: dict[str, Any]
    opted_out: bool
    opted_out_at: dt.datetime | None
    opt_out_source: str | None
    marketing_limited_until: dt.datetime | None
    last_inbound_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of contacts; pass ``next_cursor`` back for the next one (None on the last page)."""

    items: list[Contact]
    next_cursor: str | None


class CannedReply(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant: str
    shortcut: str
    title: str
    body: str
    created_at: dt.datetime


class Template(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant: str
    waba_id: str
    name: str
    language: str
    category: str
    status: str
    meta_id: str | None
    parameter_format: str
    components: list[Any]
    quality_score: str | None
    rejected_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    available: str
    reserved: str
    ai_available: str
    ai_reserved: str
    available_micro: int
    reserved_micro: int


class UsageDay(msgspec.Struct, frozen=True, kw_only=True):
    """One UTC day; ``source`` says where the numbers came from (``events``, ``rollup`` or ``none``)."""

    day: dt.date
    messages: dict[str, int]
    messages_total: int
    ai_tokens: int
    credits: str
    credits_micro: int
    source: str


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """Every day of the period, oldest first, and the totals over it."""

    tenant: str
    since: dt.date
    until: dt.date
    days: list[UsageDay]
    messages: dict[str, int]
    messages_total: int
    ai_tokens: int
    credits: str
    credits_micro: int


class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    tenant: str
    tenant_id: int
    status: str
    assignee_user_id: int | None
    labels: list[str]
    contact_id: int
    contact_wa_id: str | None
    contact_name: str | None
    phone_number_id: str
    last_inbound_at: dt.datetime | None
    last_message_at: dt.datetime | None
    window_open: bool


class ConversationPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Conversation]
    next_cursor: str | None


class Message(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created_at: dt.datetime
    direction: str
    type: str
    body: str | None
    status: str
    wamid: str | None
    error_code: int | None
    sent_by_user_id: int | None


class MessagePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Message]
    next_cursor: str | None


class Note(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    author_user_id: int | None
    body: str
    created_at: dt.datetime


class SentMessage(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of a send: ``sent`` (with its wamid), or ``unknown`` when Meta's answer was lost."""

    message_id: str
    created_at: dt.datetime
    status: str
    wamid: str | None
    error_code: int | None
    error: dict[str, Any] | None
