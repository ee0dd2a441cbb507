"""Conversations, their messages and notes: what the team inbox and scripts use."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from aimstors.core.channel import Audio, Document, Image, Template, Text, TextParam, Video
from aimstors.core.channel.messages import MessageContent
from aimstors.core.inbox import conversations as inbox
from aimstors.core.messaging.outbound import OutboundResult
from aimstors.core.pagination import Page
from aimstors.core.security import Action
from aimstors.daemon.auth import ActorDep
from aimstors.daemon.routes.deps import services_of


class SendText(msgspec.Struct, tag="text", tag_field="type", forbid_unknown_fields=True):
    text: str
    preview_url: bool = False
    reply_to: str | None = None


class SendMedia(msgspec.Struct, tag="media", tag_field="type", forbid_unknown_fields=True):
    kind: Literal["image", "video", "document", "audio"]
    link: str | None = None
    media_id: str | None = None
    caption: str | None = None
    filename: str | None = None
    reply_to: str | None = None


class SendTemplate(msgspec.Struct, tag="template", tag_field="type", forbid_unknown_fields=True):
    name: str
    language: str
    parameters: list[str] = []
    named_parameters: dict[str, str] = {}
    reply_to: str | None = None


SendRequest = SendText | SendMedia | SendTemplate


class AssignRequest(msgspec.Struct, forbid_unknown_fields=True):
    user_id: int | None


class StatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["open", "pending", "resolved"]


class LabelsRequest(msgspec.Struct, forbid_unknown_fields=True):
    add: list[str] = []
    remove: list[str] = []


class NoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    body: str


def to_content(data: SendRequest) -> MessageContent:
    """The channel content for an API send request (the channel's builders validate Meta's limits)."""
    if isinstance(data, SendText):
        return Text(data.text, preview_url=data.preview_url)
    if isinstance(data, SendMedia):
        if data.kind == "audio":
            return Audio(id=data.media_id, link=data.link)
        if data.kind == "document":
            return Document(id=data.media_id, link=data.link, caption=data.caption, filename=data.filename)
        cls = Image if data.kind == "image" else Video
        return cls(id=data.media_id, link=data.link, caption=data.caption)
    if data.parameters and data.named_parameters:
        from aimstors.core.errors import InvalidInput

        raise InvalidInput("use either 'parameters' or 'named_parameters', not both")
    body = tuple(TextParam(p) for p in data.parameters) + tuple(
        TextParam(v, name=k) for k, v in data.named_parameters.items()
    )
    return Template(data.name, data.language, body=body)


class ConversationController(Controller):
    path = "/api/v1/conversations"

    @get("/", opt={"action": Action.CONVERSATION_READ})
    async def list_conversations(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        tenant: FromQuery[str | None] = None,
        filter: FromQuery[Literal["all", "mine", "unassigned"]] = "all",
        status: FromQuery[str | None] = None,
        label: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> Page[inbox.ConversationView]:
        return await inbox.list_conversations(
            services_of(request).db,
            actor,
            tenant_slug=tenant,
            which=filter,
            status=status,
            label=label,
            limit=limit,
            cursor=cursor,
        )

    @get("/{conversation_id:int}", opt={"action": Action.CONVERSATION_READ})
    async def show(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> inbox.ConversationView:
        return await inbox.get_conversation(services_of(request).db, actor, conversation_id, tenant_slug=tenant)

    @post("/{conversation_id:int}/assign", opt={"action": Action.CONVERSATION_ASSIGN}, status_code=200)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        data: JSONBody[AssignRequest],
        tenant: FromQuery[str | None] = None,
    ) -> inbox.ConversationView:
        return await inbox.assign(services_of(request), actor, conversation_id, data.user_id, tenant_slug=tenant)

    @post("/{conversation_id:int}/status", opt={"action": Action.CONVERSATION_RESOLVE}, status_code=200)
    async def set_status(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        data: JSONBody[StatusRequest],
        tenant: FromQuery[str | None] = None,
    ) -> inbox.ConversationView:
        return await inbox.set_status(services_of(request), actor, conversation_id, data.status, tenant_slug=tenant)

    @post("/{conversation_id:int}/labels", opt={"action": Action.CONVERSATION_ASSIGN}, status_code=200)
    async def labels(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        data: JSONBody[LabelsRequest],
        tenant: FromQuery[str | None] = None,
    ) -> inbox.ConversationView:
        return await inbox.set_labels(
            services_of(request), actor, conversation_id, add=data.add, remove=data.remove, tenant_slug=tenant
        )

    @get("/{conversation_id:int}/notes", opt={"action": Action.CONVERSATION_READ})
    async def notes(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
    ) -> list[inbox.NoteView]:
        return await inbox.list_notes(services_of(request).db, actor, conversation_id, tenant_slug=tenant)

    @post("/{conversation_id:int}/notes", opt={"action": Action.NOTE_WRITE})
    async def add_note(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        data: JSONBody[NoteRequest],
        tenant: FromQuery[str | None] = None,
    ) -> inbox.NoteView:
        return await inbox.add_note(services_of(request), actor, conversation_id, data.body, tenant_slug=tenant)

    @get("/{conversation_id:int}/messages", opt={"action": Action.MESSAGE_READ})
    async def messages(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        tenant: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> Page[inbox.MessageView]:
        return await inbox.list_messages(
            services_of(request).db, actor, conversation_id, tenant_slug=tenant, limit=limit, before=cursor
        )

    @post("/{conversation_id:int}/messages", opt={"action": Action.MESSAGE_SEND})
    async def send(
        self,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        conversation_id: FromPath[int],
        data: JSONBody[SendRequest],
        tenant: FromQuery[str | None] = None,
    ) -> OutboundResult:
        return await inbox.send(
            services_of(request), actor, conversation_id, to_content(data), tenant_slug=tenant, reply_to=data.reply_to
        )
