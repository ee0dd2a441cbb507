"""WhatsApp connections of a workspace: connect a WABA with its numbers, list numbers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from aimstors.core import whatsapp_accounts
from aimstors.core.security import Action
from aimstors.core.services import Services
from aimstors.daemon.auth import ActorDep


class ConnectRequest(msgspec.Struct, forbid_unknown_fields=True):
    waba_id: str
    access_token: str
    phone_number_ids: list[str]


class WhatsAppController(Controller):
    path = "/api/v1/tenants/{slug:str}/whatsapp"

    @get("/", opt={"action": Action.WHATSAPP_ACCOUNT_READ})
    async def accounts(
        self, request: Request[Any, Any, Any], actor: ActorDep, slug: FromPath[str]
    ) -> list[whatsapp_accounts.AccountInfo]:
        services: Services = request.app.state.services
        return await whatsapp_accounts.list_numbers(services.db, actor, tenant_slug=slug)

    @post("/", opt={"action": Action.WHATSAPP_ACCOUNT_CONNECT})
    async def connect(
        self, request: Request[Any, Any, Any], actor: ActorDep, slug: FromPath[str], data: JSONBody[ConnectRequest]
    ) -> whatsapp_accounts.AccountInfo:
        services: Services = request.app.state.services
        return await whatsapp_accounts.connect_account(
            services,
            actor,
            tenant_slug=slug,
            waba_id=data.waba_id,
            access_token=data.access_token,
            phone_number_ids=data.phone_number_ids,
        )
