"""Two workspaces with a connected WhatsApp number each, and Meta-shaped webhook bodies for them.

``shop-a`` has the sandbox's default number (so sandbox webhooks route to it), ``shop-b`` another one. Bodies are
built the way Meta sends them (recorded shapes in ``tests/data/webhooks``) and signed with
:func:`signed`; statuses, messages and template updates each have a small builder.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import PhoneNumber, Template, WhatsAppAccount
from aimstors.core.security import Actor
from aimstors.core.security.webhook_signature import SIGNATURE_HEADER, meta_json_dumps, sign
from aimstors.core.tenancy import tenants

DATA = Path(__file__).with_name("data") / "webhooks"
PNID_A, WABA_A, DISPLAY_A = "106540352242922", "102290129340398", "15550783881"
PNID_B, WABA_B, DISPLAY_B = "206540352242922", "202290129340398", "15550783882"
UNKNOWN_PNID = "999999999999999"
USER = "16505551234"
APP_SECRET = "test-app-secret"  # the `settings` fixture's meta_app_secret

_seq = itertools.count(1)


@dataclass(frozen=True)
class World:
    tenant_a: int
    tenant_b: int
    number_a: int  # phone_numbers.id
    number_b: int
    account_a: int  # whatsapp_accounts.id
    account_b: int


async def build_world(db: Database) -> World:
    """Platform → shop-a, shop-b, each with one WABA and one number (straight rows: no Meta call needed)."""
    system = Actor.system()
    await tenants.ensure_platform_root(db)
    a = await tenants.create_tenant(db, system, slug="shop-a")
    b = await tenants.create_tenant(db, system, slug="shop-b")
    ids: list[int] = []
    for tenant_id, waba, pnid, display in ((a.id, WABA_A, PNID_A, DISPLAY_A), (b.id, WABA_B, PNID_B, DISPLAY_B)):
        async with db.session(Scope.tenant(tenant_id), write=True) as session:
            account = WhatsAppAccount(tenant_id=tenant_id, waba_id=waba)
            session.add(account)
            await session.flush()
            number = PhoneNumber(
                tenant_id=tenant_id, account_id=account.id, phone_number_id=pnid, display_number=display
            )
            session.add(number)
            await session.flush()
            ids += [account.id, number.id]
    return World(a.id, b.id, ids[1], ids[3], ids[0], ids[2])


async def add_template(db: Database, tenant_id: int, account_id: int, *, name: str, meta_id: str) -> int:
    async with db.session(Scope.tenant(tenant_id), write=True) as session:
        template = Template(
            tenant_id=tenant_id, account_id=account_id, name=name, language="en_US", category="MARKETING",
            status="PENDING", meta_id=meta_id,
            updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        )  # fmt: skip
        session.add(template)
        await session.flush()
        return template.id


def wamid() -> str:
    return f"wamid.TEST{next(_seq):08d}"


def now_ts() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def envelope(changes: list[dict[str, Any]], waba: str = WABA_A) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": waba, "changes": changes}]}


def messages_change(pnid: str, value: dict[str, Any], display: str = DISPLAY_A) -> dict[str, Any]:
    metadata = {"display_phone_number": display, "phone_number_id": pnid}
    return {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}


def text_message(
    text: str,
    *,
    pnid: str = PNID_A,
    user: str = USER,
    name: str = "Sheena Nelson",
    message_id: str | None = None,
    ts: int | None = None,
) -> dict[str, Any]:
    """One inbound text message, as Meta posts it."""
    message = {"from": user, "id": message_id or wamid(), "timestamp": str(ts or now_ts()), "type": "text",
               "text": {"body": text}}  # fmt: skip
    value = {"contacts": [{"profile": {"name": name}, "wa_id": user}], "messages": [message]}
    return envelope([messages_change(pnid, value)], WABA_A if pnid == PNID_A else WABA_B)


def status(
    message_id: str,
    kind: str,
    ts: int,
    *,
    user: str = USER,
    callback: str | None = None,
    pricing: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"id": message_id, "status": kind, "timestamp": str(ts), "recipient_id": user}
    if callback is not None:
        item["biz_opaque_callback_data"] = callback
    if pricing is not None:
        item["pricing"] = pricing
    if errors is not None:
        item["errors"] = errors
    return item


BILLABLE = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}


def statuses(items: list[dict[str, Any]], *, pnid: str = PNID_A) -> dict[str, Any]:
    return envelope([messages_change(pnid, {"statuses": items})], WABA_A if pnid == PNID_A else WABA_B)


def template_status(
    meta_id: str, name: str, event: str, *, waba: str = WABA_A, time: int | None = None
) -> dict[str, Any]:
    value = {"event": event, "message_template_id": int(meta_id), "message_template_name": name,
             "message_template_language": "en_US", "reason": "NONE"}  # fmt: skip
    body = envelope([{"field": "message_template_status_update", "value": value}], waba)
    body["entry"][0]["time"] = time or now_ts()
    return body


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def signed(payload: dict[str, Any] | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """Body bytes (Meta's escaping) and headers with a valid signature."""
    body = payload if isinstance(payload, bytes) else meta_json_dumps(payload)
    return body, {SIGNATURE_HEADER: sign(body, secret), "Content-Type": "application/json"}


async def count(db: Database, table: Any, *where: Any) -> int:
    async with db.connect(Scope.system()) as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())
