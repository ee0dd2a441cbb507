"""The team inbox over HTTP: canned replies here; conversations, messages and notes belong beside them."""

from __future__ import annotations

import builtins
from typing import Any, Literal

from aimstors.client.connection import Connection
from aimstors.client.models import (
    CannedReply,
    Conversation,
    ConversationPage,
    MessagePage,
    Note,
    SentMessage,
)

__all__ = ["CannedRepliesAPI", "ConversationsAPI"]


class ConversationsAPI:
    """Conversations of a workspace (``client.conversations``): list, show, assign, status, labels, notes,
    messages and replies. ``tenant`` defaults to the client's tenant."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(
        self,
        *,
        filter: Literal["all", "mine", "unassigned"] = "all",
        status: str | None = None,
        label: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        tenant: str | None = None,
    ) -> ConversationPage:
        """One page, most recent activity first."""
        params = self._c.tenant_params(tenant, filter=filter, status=status, label=label, limit=limit, cursor=cursor)
        return await self._c.call("GET", "/api/v1/conversations", ConversationPage, params=params)

    async def get(self, conversation_id: int, *, tenant: str | None = None) -> Conversation:
        return await self._c.call(
            "GET", f"/api/v1/conversations/{conversation_id}", Conversation, params=self._c.tenant_params(tenant)
        )

    async def _post(self, conversation_id: int, what: str, body: dict[str, Any], tenant: str | None) -> Conversation:
        return await self._c.call(
            "POST",
            f"/api/v1/conversations/{conversation_id}/{what}",
            Conversation,
            json=body,
            params=self._c.tenant_params(tenant),
        )

    async def assign(self, conversation_id: int, user_id: int | None, *, tenant: str | None = None) -> Conversation:
        """Assign to a member (None unassigns); agents may only take a conversation themselves."""
        return await self._post(conversation_id, "assign", {"user_id": user_id}, tenant)

    async def set_status(self, conversation_id: int, status: str, *, tenant: str | None = None) -> Conversation:
        """``open``, ``pending`` or ``resolved``."""
        return await self._post(conversation_id, "status", {"status": status}, tenant)

    async def label(
        self,
        conversation_id: int,
        *,
        add: builtins.list[str] | None = None,
        remove: builtins.list[str] | None = None,
        tenant: str | None = None,
    ) -> Conversation:
        return await self._post(conversation_id, "labels", {"add": add or [], "remove": remove or []}, tenant)

    async def notes(self, conversation_id: int, *, tenant: str | None = None) -> builtins.list[Note]:
        path = f"/api/v1/conversations/{conversation_id}/notes"
        return await self._c.call("GET", path, builtins.list[Note], params=self._c.tenant_params(tenant))

    async def add_note(self, conversation_id: int, body: str, *, tenant: str | None = None) -> Note:
        return await self._c.call(
            "POST",
            f"/api/v1/conversations/{conversation_id}/notes",
            Note,
            json={"body": body},
            params=self._c.tenant_params(tenant),
        )

    async def messages(
        self, conversation_id: int, *, limit: int = 50, cursor: str | None = None, tenant: str | None = None
    ) -> MessagePage:
        """Messages, newest first."""
        return await self._c.call(
            "GET",
            f"/api/v1/conversations/{conversation_id}/messages",
            MessagePage,
            params=self._c.tenant_params(tenant, limit=limit, cursor=cursor),
        )

    async def send_text(
        self, conversation_id: int, text: str, *, reply_to: str | None = None, tenant: str | None = None
    ) -> SentMessage:
        """A free-form reply; refused (ConflictError) outside the 24-hour window — send a template then."""
        return await self.send(conversation_id, {"type": "text", "text": text, "reply_to": reply_to}, tenant=tenant)

    async def send_template(
        self,
        conversation_id: int,
        name: str,
        language: str,
        parameters: builtins.list[str] | None = None,
        *,
        tenant: str | None = None,
    ) -> SentMessage:
        body = {"type": "template", "name": name, "language": language, "parameters": parameters or []}
        return await self.send(conversation_id, body, tenant=tenant)

    async def send(self, conversation_id: int, body: dict[str, Any], *, tenant: str | None = None) -> SentMessage:
        """Send any message body the API accepts (``type`` text, media or template)."""
        return await self._c.call(
            "POST",
            f"/api/v1/conversations/{conversation_id}/messages",
            SentMessage,
            json=body,
            params=self._c.tenant_params(tenant),
        )


class CannedRepliesAPI:
    """Saved answers of a workspace (``client.canned_replies``); ``tenant`` defaults to the client's tenant."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    async def list(self, *, prefix: str | None = None, tenant: str | None = None) -> list[CannedReply]:
        """Canned replies by shortcut; ``prefix`` keeps those whose shortcut starts with it."""
        params = self._c.tenant_params(tenant, prefix=prefix)
        return await self._c.call("GET", "/api/v1/canned-replies", list[CannedReply], params=params)

    async def get(self, reply_id: int, *, tenant: str | None = None) -> CannedReply:
        params = self._c.tenant_params(tenant)
        return await self._c.call("GET", f"/api/v1/canned-replies/{reply_id}", CannedReply, params=params)

    async def create(self, shortcut: str, title: str, body: str, *, tenant: str | None = None) -> CannedReply:
        """Save a reply; ConflictError when the shortcut is taken in that workspace."""
        params = self._c.tenant_params(tenant)
        payload = {"shortcut": shortcut, "title": title, "body": body}
        return await self._c.call("POST", "/api/v1/canned-replies", CannedReply, json=payload, params=params)

    async def update(
        self,
        reply_id: int,
        *,
        shortcut: str | None = None,
        title: str | None = None,
        body: str | None = None,
        tenant: str | None = None,
    ) -> CannedReply:
        """Change the fields given; the others stay as they are."""
        params = self._c.tenant_params(tenant)
        payload = {k: v for k, v in {"shortcut": shortcut, "title": title, "body": body}.items() if v is not None}
        return await self._c.call(
            "PATCH", f"/api/v1/canned-replies/{reply_id}", CannedReply, json=payload, params=params
        )

    async def delete(self, reply_id: int, *, tenant: str | None = None) -> None:
        await self._c.request("DELETE", f"/api/v1/canned-replies/{reply_id}", params=self._c.tenant_params(tenant))
