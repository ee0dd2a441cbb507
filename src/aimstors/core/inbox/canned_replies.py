"""Canned replies: a workspace's saved answers, picked by shortcut in the inbox (``/thanks``).

Agents read them; admins (``canned_reply.write``) create, change and delete them. A shortcut is unique per
workspace: a second one is a Conflict, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.db import Database
from aimstors.core.db.models import CannedReply
from aimstors.core.errors import Conflict, InvalidInput, NotFound
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.access import TenantRef, target_tenant

__all__ = [
    "CannedReplyView",
    "create_canned_reply",
    "delete_canned_reply",
    "get_canned_reply",
    "list_canned_replies",
    "update_canned_reply",
]

log = logging.getLogger(__name__)

_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_TITLE = 200
MAX_BODY = 4096  # the longest text message WhatsApp accepts


@dataclass(frozen=True, slots=True)
class CannedReplyView:
    id: int
    tenant: str
    shortcut: str
    title: str
    body: str
    created_at: dt.datetime


def validate_shortcut(shortcut: str) -> str:
    """The shortcut in its stored form (lower case, no leading '/'); InvalidInput when malformed."""
    cleaned = shortcut.strip().removeprefix("/").lower()
    if not _SHORTCUT.fullmatch(cleaned):
        raise InvalidInput(
            f"shortcut {shortcut!r} is invalid: use 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return cleaned


def _text(value: str, field: str, limit: int) -> str:
    if not value.strip():
        raise InvalidInput(f"{field} cannot be empty")
    if len(value) > limit:
        raise InvalidInput(f"{field} is too long ({len(value)} characters; at most {limit})")
    return value


def _view(tenant: TenantRef, reply: CannedReply) -> CannedReplyView:
    return CannedReplyView(reply.id, tenant.slug, reply.shortcut, reply.title, reply.body, reply.created_at)


async def _tenant(db: Database, actor: Actor, slug: str | None, action: Action) -> TenantRef:
    return await target_tenant(db, actor, slug, action, kinds={"workspace"}, what="canned reply")


async def _load(session: AsyncSession, tenant: TenantRef, reply_id: int) -> CannedReply:
    reply = await session.scalar(
        select(CannedReply).where(CannedReply.tenant_id == tenant.id, CannedReply.id == reply_id)
    )
    if reply is None:
        raise NotFound(f"no canned reply {reply_id}")
    return reply


async def _check_free(session: AsyncSession, tenant: TenantRef, shortcut: str, *, except_id: int | None) -> None:
    stmt = select(CannedReply.id).where(CannedReply.tenant_id == tenant.id, CannedReply.shortcut == shortcut)
    existing = await session.scalar(stmt)
    if existing is not None and existing != except_id:
        raise Conflict(f"a canned reply with shortcut {shortcut!r} already exists", hint="pick another shortcut")


async def _flush(session: AsyncSession, shortcut: str) -> None:
    try:
        await session.flush()
    except IntegrityError:  # a concurrent writer took the shortcut between our check and the insert
        raise Conflict(f"a canned reply with shortcut {shortcut!r} already exists") from None


async def list_canned_replies(
    db: Database, actor: Actor, *, tenant_slug: str | None = None, prefix: str | None = None
) -> list[CannedReplyView]:
    """The workspace's canned replies by shortcut; ``prefix`` keeps those whose shortcut starts with it."""
    tenant = await _tenant(db, actor, tenant_slug, Action.CANNED_REPLY_READ)
    stmt = select(CannedReply).where(CannedReply.tenant_id == tenant.id).order_by(CannedReply.shortcut)
    if prefix:
        stmt = stmt.where(CannedReply.shortcut.startswith(prefix.strip().removeprefix("/").lower(), autoescape=True))
    async with db.session(tenant.scope) as session:
        return [_view(tenant, r) for r in await session.scalars(stmt)]


async def get_canned_reply(
    db: Database, actor: Actor, reply_id: int, *, tenant_slug: str | None = None
) -> CannedReplyView:
    tenant = await _tenant(db, actor, tenant_slug, Action.CANNED_REPLY_READ)
    async with db.session(tenant.scope) as session:
        return _view(tenant, await _load(session, tenant, reply_id))


async def create_canned_reply(
    db: Database, actor: Actor, *, shortcut: str, title: str, body: str, tenant_slug: str | None = None
) -> CannedReplyView:
    """Save a new canned reply; Conflict when the workspace already has one with this shortcut."""
    shortcut = validate_shortcut(shortcut)
    title = _text(title, "title", MAX_TITLE)
    body = _text(body, "body", MAX_BODY)
    tenant = await _tenant(db, actor, tenant_slug, Action.CANNED_REPLY_WRITE)
    async with db.session(tenant.scope, write=True) as session:
        await _check_free(session, tenant, shortcut, except_id=None)
        reply = CannedReply(tenant_id=tenant.id, shortcut=shortcut, title=title, body=body)
        session.add(reply)
        await _flush(session, shortcut)
        log.info("canned reply %s created in tenant %s", reply.id, tenant.slug)
        return _view(tenant, reply)


async def update_canned_reply(
    db: Database,
    actor: Actor,
    reply_id: int,
    *,
    shortcut: str | None = None,
    title: str | None = None,
    body: str | None = None,
    tenant_slug: str | None = None,
) -> CannedReplyView:
    """Change the fields given (None leaves a field as it is); Conflict when the new shortcut is taken."""
    new_shortcut = validate_shortcut(shortcut) if shortcut is not None else None
    new_title = _text(title, "title", MAX_TITLE) if title is not None else None
    new_body = _text(body, "body", MAX_BODY) if body is not None else None
    tenant = await _tenant(db, actor, tenant_slug, Action.CANNED_REPLY_WRITE)
    async with db.session(tenant.scope, write=True) as session:
        reply = await _load(session, tenant, reply_id)
        if new_shortcut is not None and new_shortcut != reply.shortcut:
            await _check_free(session, tenant, new_shortcut, except_id=reply.id)
            reply.shortcut = new_shortcut
        if new_title is not None:
            reply.title = new_title
        if new_body is not None:
            reply.body = new_body
        await _flush(session, reply.shortcut)
        return _view(tenant, reply)


async def delete_canned_reply(db: Database, actor: Actor, reply_id: int, *, tenant_slug: str | None = None) -> None:
    """Delete a canned reply; NotFound when the workspace has none with this id."""
    tenant = await _tenant(db, actor, tenant_slug, Action.CANNED_REPLY_WRITE)
    async with db.session(tenant.scope, write=True) as session:
        await session.delete(await _load(session, tenant, reply_id))
        log.info("canned reply %s deleted in tenant %s", reply_id, tenant.slug)
