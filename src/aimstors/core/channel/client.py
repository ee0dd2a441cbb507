"""The Cloud API client: send messages and mark them read; media, templates, numbers and signup as sections.

    async with CloudApiClient.from_settings(settings, access_token=token) as client:
        sent = await client.send_message(phone_number_id, OutgoingMessage("+16505551234", Text("Hi")))
        media_id = await client.media.upload(phone_number_id, data, "image/png")
        async for template in client.templates.list(waba_id): ...
        info = await client.phone_numbers.get(phone_number_id)
        result = await client.signup.complete(app_id=..., app_secret=..., code=..., waba_id=..., ...)

One client holds one connection pool sized for ~100+ sends in flight; share it across tasks and tenants
(pass ``token=`` per call when accounts differ). A 200 answer means Meta *accepted* the message; delivery is
reported later by status webhooks. When no answer comes (timeout, dropped connection) the call raises
:class:`SendOutcomeUnknown`: the message may or may not have been accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aimstors.core.channel.errors import InvalidResponse, SendOutcomeUnknown
from aimstors.core.channel.graph import GraphApi
from aimstors.core.channel.media import MediaApi
from aimstors.core.channel.messages import OutgoingMessage, mark_read_payload
from aimstors.core.channel.phone_numbers import PhoneNumbersApi
from aimstors.core.channel.signup import EmbeddedSignupApi
from aimstors.core.channel.templates_api import TemplatesApi
from aimstors.core.channel.transport import AiohttpTransport, Transport
from aimstors.core.settings import Settings

__all__ = ["CloudApiClient", "SendResult"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendResult:
    """Meta's answer to a send: the ``wamid`` of the accepted message and how Meta saw the recipient.

    ``message_status`` is ``accepted``, ``held_for_quality_assessment`` or ``paused`` (template pacing) when
    present; ``wa_id`` may be absent for business-scoped user ids (``user_id`` is then set).
    """

    message_id: str
    message_status: str | None
    input: str | None
    wa_id: str | None
    user_id: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SendResult:
        messages = data.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        if not isinstance(first, Mapping) or not first.get("id"):
            raise InvalidResponse("send answered without messages[0].id")
        contacts = data.get("contacts")
        contact = contacts[0] if isinstance(contacts, list) and contacts else {}
        contact = contact if isinstance(contact, Mapping) else {}
        return cls(
            message_id=str(first["id"]),
            message_status=first.get("message_status"),
            input=contact.get("input"),
            wa_id=contact.get("wa_id"),
            user_id=contact.get("user_id"),
            raw=data,
        )


class CloudApiClient:
    """Async client for the WhatsApp Cloud API (Graph ``{graph_url}/{api_version}``).

    ``access_token`` is the default bearer token; every method also takes ``token=`` for one call.
    ``timeout`` (seconds) bounds each request; pass ``transport`` to use another :class:`Transport`.
    """

    def __init__(
        self,
        *,
        graph_url: str = "https://graph.facebook.com",
        api_version: str = "v23.0",
        access_token: str | None = None,
        timeout: float = 30.0,
        max_connections: int = 256,
        transport: Transport | None = None,
    ) -> None:
        self._transport: Transport = transport or AiohttpTransport(timeout=timeout, max_connections=max_connections)
        self._graph = GraphApi(
            transport=self._transport, graph_url=graph_url, api_version=api_version, access_token=access_token
        )
        self.media = MediaApi(self._graph)
        self.templates = TemplatesApi(self._graph)
        self.phone_numbers = PhoneNumbersApi(self._graph)
        self.signup = EmbeddedSignupApi(self._graph)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        access_token: str | None = None,
        timeout: float = 30.0,
        max_connections: int = 256,
        transport: Transport | None = None,
    ) -> CloudApiClient:
        """A client for ``settings.meta_graph_url`` and ``settings.meta_api_version``."""
        return cls(
            graph_url=settings.meta_graph_url,
            api_version=settings.meta_api_version,
            access_token=access_token,
            timeout=timeout,
            max_connections=max_connections,
            transport=transport,
        )

    @property
    def graph(self) -> GraphApi:
        """The underlying Graph caller, for endpoints this client does not wrap."""
        return self._graph

    async def send_message(
        self,
        phone_number_id: str,
        message: OutgoingMessage | Mapping[str, Any],
        *,
        token: str | None = None,
        request_timeout: float | None = None,
    ) -> SendResult:
        """Send one message from ``phone_number_id``; ``message`` is an :class:`OutgoingMessage` or a raw body.

        Returns when Meta has *accepted* it. Raises a :class:`MetaApiError` subclass when Meta refuses it and
        :class:`SendOutcomeUnknown` when the outcome cannot be known (also for a 2xx answer without a message id).
        """
        payload = message.to_payload() if isinstance(message, OutgoingMessage) else dict(message)
        kind = payload.get("type", "?")
        try:
            data = await self._graph.call(
                "POST", f"{phone_number_id}/messages", token=token, json_body=payload, request_timeout=request_timeout
            )
            result = SendResult.from_dict(data)
        except InvalidResponse as exc:
            raise SendOutcomeUnknown(
                "Cloud API accepted the request but its answer has no message id", status=exc.status
            ) from exc
        log.debug("sent %s message %s from %s", kind, result.message_id, phone_number_id)
        return result

    async def mark_read(
        self,
        phone_number_id: str,
        message_id: str,
        *,
        typing_indicator: bool = False,
        token: str | None = None,
    ) -> bool:
        """Mark inbound ``message_id`` (and earlier ones) read, optionally showing a typing indicator."""
        data = await self._graph.call(
            "POST",
            f"{phone_number_id}/messages",
            token=token,
            json_body=mark_read_payload(message_id, typing_indicator=typing_indicator),
        )
        return bool(data.get("success"))

    async def close(self) -> None:
        """Close pooled connections."""
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
