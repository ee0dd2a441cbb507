"""Conversations of a workspace: list with filters, show, assign, resolve/reopen, labels, notes, messages.

Agents see the conversations assigned to them and the unassigned ones; ``conversation.read_all`` (admins) sees
all. Every call resolves the workspace from the actor's reach and runs in that tenant's scope.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aimstors.core.channel.messages import MessageContent
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Contact, Conversation, Membership, Message, Note, PhoneNumber
from aimstors.core.errors import InvalidInput, NotFound, PermissionDenied
from aimstors.core.events import DomainEvent, EventType
from aimstors.core.messaging.outbound import OutboundResult, send_message, window_open
from aimstors.core.pagination import Page
from aimstors.core.security import Action, Actor, has_permission
from aimstors.core.services import Services
from aimstors.core.tenancy.access import TenantRef, target_tenant

__all__ = [
    "ConversationView",
    "MessageView",
    "NoteView",
    "Page",
    "add_note",
    "assign",
    "get_conversation",
    "list_conversations",
    "list_messages",
    "send",
    "set_labels",
    "set_status",
]

Filter = Literal["all", "mine", "unassigned"]
WORKSPACE = frozenset({"workspace"})
STATUSES = ("open", "pending", "resolved")


@dataclass(frozen=True, slots=True)
class ConversationView:
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


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    created_at: dt.datetime
    direction: str
    type: str
    body: str | None
    status: str
    wamid: str | None
    error_code: int | None
    sent_by_user_id: int | None


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    author_user_id: int | None
    body: str
    created_at: dt.datetime


async def _workspace(db: Database, actor: Actor, slug: str | None, action: Action) -> TenantRef:
    """The workspace to act on: ``slug`` (within the actor's reach) or the actor's own, checked for ``action``."""
    return await target_tenant(db, actor, slug, action, kinds=WORKSPACE, what="conversation")


async def _publish(services: Services, kind: EventType, view: ConversationView, **extra: Any) -> None:
    """Tell live inboxes what changed (ids, status, assignee and labels: nothing an agent may not see)."""
    event = DomainEvent.create(
        view.tenant_id, kind,
        {"conversation_id": view.id, "status": view.status, "assignee_user_id": view.assignee_user_id,
         "labels": view.labels, **extra},
        conversation_id=view.id, assignee_user_id=view.assignee_user_id,
    )  # fmt: skip
    await services.events.publish([event])


def _visible(actor: Actor) -> Any:
    """Row filter for what the actor may see: everything, or own + unassigned for agents."""
    if has_permission(actor.role, Action.CONVERSATION_READ_ALL):
        return True
    return or_(Conversation.assignee_user_id == actor.user_id, Conversation.assignee_user_id.is_(None))


def _view(tenant: TenantRef, conv: Conversation, contact: Contact, number: PhoneNumber) -> ConversationView:
    return ConversationView(
        conv.id,
        tenant.slug,
        tenant.id,
        conv.status,
        conv.assignee_user_id,
        list(conv.labels or []),
        contact.id,
        contact.wa_id,
        contact.profile_name,
        number.phone_number_id,
        conv.last_inbound_at,
        conv.last_message_at,
        window_open(conv.last_inbound_at),
    )


def _encode_cursor(last_message_at: dt.datetime | None, conv_id: int) -> str:
    stamp = last_message_at.isoformat() if last_message_at else ""
    return base64.urlsafe_b64encode(f"{stamp}|{conv_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[dt.datetime | None, int]:
    try:
        stamp, conv_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return (dt.datetime.fromisoformat(stamp) if stamp else None), int(conv_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API returned") from None


async def list_conversations(
    db: Database,
    actor: Actor,
    *,
    tenant_slug: str | None = None,
    which: Filter = "all",
    status: str | None = None,
    label: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[ConversationView]:
    """Conversations, most recent activity first, with cursor paging."""
    tenant = await _workspace(db, actor, tenant_slug, Action.CONVERSATION_READ)
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    limit = max(1, min(limit, 200))
    stmt = (
        select(Conversation, Contact, PhoneNumber)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(PhoneNumber, PhoneNumber.id == Conversation.phone_number_id)
        .where(Conversation.tenant_id == tenant.id, _visible(actor))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(limit + 1)
    )
    if which == "mine":
        stmt = stmt.where(Conversation.assignee_user_id == actor.user_id)
    elif which == "unassigned":
        stmt = stmt.where(Conversation.assignee_user_id.is_(None))
    if status:
        stmt = stmt.where(Conversation.status == status)
    if cursor:
        stamp, conv_id = _decode_cursor(cursor)
        if stamp is None:
            stmt = stmt.where(Conversation.last_message_at.is_(None), Conversation.id < conv_id)
        else:
            stmt = stmt.where(
                or_(
                    Conversation.last_message_at < stamp,
                    and_(Conversation.last_message_at == stamp, Conversation.id < conv_id),
                    Conversation.last_message_at.is_(None),
                )
            )
    async with db.session(Scope.tenant(tenant.id)) as session:
        rows = list(await session.execute(stmt))
    views = [_view(tenant, c, ct, n) for c, ct, n in rows]
    if label:
        views = [v for v in views if label in v.labels]
    more = len(rows) > limit
    views = views[:limit]
    last = rows[limit - 1][0] if more else None
    return Page(views, _encode_cursor(last.last_message_at, last.id) if last else None)


async def _load(session: AsyncSession, actor: Actor, tenant: TenantRef, conversation_id: int) -> Conversation:
    conv = await session.scalar(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.tenant_id == tenant.id, _visible(actor)
        )
    )
    if conv is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conv


async def get_conversation(
    db: Database, actor: Actor, conversation_id: int, *, tenant_slug: str | None = None
) -> ConversationView:
    tenant = await _workspace(db, actor, tenant_slug, Action.CONVERSATION_READ)
    async with db.session(Scope.tenant(tenant.id)) as session:
        conv = await _load(session, actor, tenant, conversation_id)
        contact = await session.get(Contact, conv.contact_id)
        number = await session.get(PhoneNumber, conv.phone_number_id)
        assert contact is not None and number is not None
        return _view(tenant, conv, contact, number)


async def assign(
    services: Services,
    actor: Actor,
    conversation_id: int,
    assignee_user_id: int | None,
    *,
    tenant_slug: str | None = None,
) -> ConversationView:
    """Assign to a member of the workspace (or unassign with None). Agents may only take it themselves."""
    tenant = await target_tenant(
        services.db, actor, tenant_slug, Action.CONVERSATION_ASSIGN, kinds=WORKSPACE, what="conversation"
    )
    if not has_permission(actor.role, Action.CONVERSATION_READ_ALL) and assignee_user_id not in (actor.user_id, None):
        raise PermissionDenied("agents may assign conversations only to themselves")
    async with services.db.session(Scope.tenant(tenant.id), write=True) as session:
        conv = await _load(session, actor, tenant, conversation_id)
        if assignee_user_id is not None:
            member = await session.scalar(
                select(Membership.id).where(Membership.tenant_id == tenant.id, Membership.user_id == assignee_user_id)
            )
            if member is None:
                raise InvalidInput(f"user {assignee_user_id} is not a member of this workspace")
        conv.assignee_user_id = assignee_user_id
    view = await get_conversation(services.db, actor, conversation_id, tenant_slug=tenant.slug)
    await _publish(services, EventType.CONVERSATION_ASSIGNED, view, by_user_id=actor.user_id)
    return view


async def set_status(
    services: Services, actor: Actor, conversation_id: int, status: str, *, tenant_slug: str | None = None
) -> ConversationView:
    """Resolve, reopen or park a conversation (open | pending | resolved)."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    tenant = await target_tenant(
        services.db, actor, tenant_slug, Action.CONVERSATION_RESOLVE, kinds=WORKSPACE, what="conversation"
    )
    async with services.db.session(Scope.tenant(tenant.id), write=True) as session:
        conv = await _load(session, actor, tenant, conversation_id)
        conv.status = status
    view = await get_conversation(services.db, actor, conversation_id, tenant_slug=tenant.slug)
    await _publish(services, EventType.CONVERSATION_UPDATED, view, by_user_id=actor.user_id)
    return view


async def set_labels(
    services: Services,
    actor: Actor,
    conversation_id: int,
    *,
    add: list[str],
    remove: list[str],
    tenant_slug: str | None = None,
) -> ConversationView:
    tenant = await target_tenant(
        services.db, actor, tenant_slug, Action.CONVERSATION_ASSIGN, kinds=WORKSPACE, what="conversation"
    )
    for label in add:
        if not label.strip() or len(label) > 64:
            raise InvalidInput(f"label {label!r} must be 1-64 characters")
    async with services.db.session(Scope.tenant(tenant.id), write=True) as session:
        conv = await _load(session, actor, tenant, conversation_id)
        labels = [x for x in (conv.labels or []) if x not in remove]
        labels += [x.strip() for x in add if x.strip() not in labels]
        conv.labels = labels
    view = await get_conversation(services.db, actor, conversation_id, tenant_slug=tenant.slug)
    await _publish(services, EventType.CONVERSATION_UPDATED, view, by_user_id=actor.user_id)
    return view


async def add_note(
    services: Services, actor: Actor, conversation_id: int, body: str, *, tenant_slug: str | None = None
) -> NoteView:
    """An internal note on the conversation (never sent to the contact)."""
    if not body.strip():
        raise InvalidInput("a note needs some text")
    tenant = await _workspace(services.db, actor, tenant_slug, Action.NOTE_WRITE)
    async with services.db.session(Scope.tenant(tenant.id), write=True) as session:
        await _load(session, actor, tenant, conversation_id)
        note = Note(tenant_id=tenant.id, conversation_id=conversation_id, author_user_id=actor.user_id, body=body)
        session.add(note)
        await session.flush()
        return NoteView(note.id, note.author_user_id, note.body, note.created_at)


async def list_notes(
    db: Database, actor: Actor, conversation_id: int, *, tenant_slug: str | None = None
) -> list[NoteView]:
    tenant = await _workspace(db, actor, tenant_slug, Action.CONVERSATION_READ)
    async with db.session(Scope.tenant(tenant.id)) as session:
        await _load(session, actor, tenant, conversation_id)
        notes = await session.scalars(
            select(Note).where(Note.tenant_id == tenant.id, Note.conversation_id == conversation_id).order_by(Note.id)
        )
        return [NoteView(n.id, n.author_user_id, n.body, n.created_at) for n in notes]


async def list_messages(
    db: Database,
    actor: Actor,
    conversation_id: int,
    *,
    tenant_slug: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> Page[MessageView]:
    """Messages of a conversation, newest first; ``before`` is the ``next_cursor`` of the previous page."""
    tenant = await _workspace(db, actor, tenant_slug, Action.MESSAGE_READ)
    limit = max(1, min(limit, 200))
    stmt = (
        select(Message)
        .where(Message.tenant_id == tenant.id, Message.conversation_id == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit + 1)
    )
    if before:
        try:
            stamp, ident = before.split("~")
            stmt = stmt.where(
                or_(
                    Message.created_at < dt.datetime.fromisoformat(stamp),
                    and_(Message.created_at == dt.datetime.fromisoformat(stamp), Message.id < uuid.UUID(ident)),
                )
            )
        except ValueError:
            raise InvalidInput("the cursor is not one this API returned") from None
    async with db.session(Scope.tenant(tenant.id)) as session:
        await _load(session, actor, tenant, conversation_id)
        rows = list(await session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        MessageView(
            str(m.id), m.created_at, m.direction, m.type, m.body, m.status, m.wamid, m.error_code, m.sent_by_user_id
        )
        for m in rows
    ]
    cursor = f"{rows[-1].created_at.isoformat()}~{rows[-1].id}" if more and rows else None
    return Page(items, cursor)


async def send(
    services: Services,
    actor: Actor,
    conversation_id: int,
    content: MessageContent,
    *,
    tenant_slug: str | None = None,
    reply_to: str | None = None,
) -> OutboundResult:
    """Send a reply in a conversation through the shared sending path."""
    tenant = await target_tenant(
        services.db, actor, tenant_slug, Action.MESSAGE_SEND, kinds=WORKSPACE, what="conversation"
    )
    async with services.db.session(Scope.tenant(tenant.id)) as session:
        conv = await _load(session, actor, tenant, conversation_id)
        contact = await session.get(Contact, conv.contact_id)
    if contact is None or not contact.wa_id:
        raise InvalidInput("this contact has no WhatsApp number to send to")
    return await send_message(
        services,
        conversation=conv,
        to=contact.wa_id,
        content=content,
        sent_by_user_id=actor.user_id,
        reply_to=reply_to,
    )
