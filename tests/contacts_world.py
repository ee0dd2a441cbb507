"""A small world for contacts and audiences tests: two workspaces with an admin each, and direct row helpers.

platform ─ shop-a (admin@shop-a.test, agent@shop-a.test)
         └ shop-b (admin@shop-b.test)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from aimstors.core.audiences import Recipient, resolve
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    PhoneNumber,
    Template,
    Tenant,
    WhatsAppAccount,
)
from aimstors.core.security import Actor, Role
from aimstors.core.setup import initialise
from aimstors.core.tenancy import tenants, users
from aimstors.core.tenancy.actors import actor_for_user

PASSWORD = "long enough pw"


@dataclass
class Shops:
    db: Database
    a: int  # tenant ids
    b: int

    @property
    def system(self) -> Actor:
        return Actor.system()

    async def actor(self, email: str) -> Actor:
        return await actor_for_user(self.db, email)


async def make_shops(db: Database) -> Shops:
    system = Actor.system()
    await initialise(db, admin_email="root@example.com", admin_password="correct horse battery")
    for slug in ("shop-a", "shop-b"):
        await tenants.create_tenant(db, system, slug=slug)
    people = [
        ("admin@shop-a.test", "shop-a", Role.WORKSPACE_ADMIN),
        ("agent@shop-a.test", "shop-a", Role.WORKSPACE_AGENT),
        ("admin@shop-b.test", "shop-b", Role.WORKSPACE_ADMIN),
    ]
    for email, slug, role in people:
        await users.create_user(db, system, email=email, password=PASSWORD, tenant_slug=slug, role=role)
    async with db.session(Scope.system()) as session:
        ids = {slug: id_ for slug, id_ in await session.execute(select(Tenant.slug, Tenant.id))}
    return Shops(db, ids["shop-a"], ids["shop-b"])


def write_csv(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


async def contact_rows(db: Database, tenant_id: int) -> list[Any]:
    """(wa_id, profile_name, attributes, opted_out_at) of the tenant's contacts, by wa_id."""
    async with db.session(Scope.tenant(tenant_id)) as session:
        stmt = select(Contact.wa_id, Contact.profile_name, Contact.attributes, Contact.opted_out_at)
        return list((await session.execute(stmt.where(Contact.tenant_id == tenant_id).order_by(Contact.wa_id))).all())


async def contact_count(db: Database, tenant_id: int | None = None) -> int:
    async with db.session(Scope.system()) as session:
        stmt = select(func.count()).select_from(Contact)
        if tenant_id is not None:
            stmt = stmt.where(Contact.tenant_id == tenant_id)
        return int(await session.scalar(stmt) or 0)


async def add_contacts(db: Database, tenant_id: int, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert contacts (each a dict with at least ``wa_id``); returns their ids by wa_id."""
    now = dt.datetime.now(dt.UTC)
    values = [{"tenant_id": tenant_id, "attributes": {}, "created_at": now, "updated_at": now, **r} for r in rows]
    async with db.session(Scope.tenant(tenant_id), write=True) as session:
        await session.execute(insert(Contact), values)
        found = await session.execute(
            select(Contact.wa_id, Contact.id).where(
                Contact.tenant_id == tenant_id, Contact.wa_id.in_([r["wa_id"] for r in rows])
            )
        )
        return {wa_id: id_ for wa_id, id_ in found}


async def set_contact(db: Database, tenant_id: int, wa_id: str, **values: Any) -> None:
    async with db.session(Scope.tenant(tenant_id), write=True) as session:
        await session.execute(
            update(Contact).where(Contact.tenant_id == tenant_id, Contact.wa_id == wa_id).values(**values)
        )


async def add_campaign(db: Database, tenant_id: int, recipients: Sequence[dict[str, Any]], **fields: Any) -> int:
    """A campaign (with the account, number and template it needs) and its recipient rows; returns its id."""
    async with db.session(Scope.tenant(tenant_id), write=True) as session:
        account = WhatsAppAccount(tenant_id=tenant_id, waba_id=f"waba-{tenant_id}")
        session.add(account)
        await session.flush()
        number = PhoneNumber(
            tenant_id=tenant_id, account_id=account.id, phone_number_id=f"pn-{tenant_id}-{account.id}",
            display_number="+1 555 000 0000",
        )  # fmt: skip
        template = Template(
            tenant_id=tenant_id, account_id=account.id, name="promo", language="en", category="MARKETING"
        )
        session.add_all([number, template])
        await session.flush()
        campaign = Campaign(
            tenant_id=tenant_id, name="June", phone_number_id=number.id, template_id=template.id,
            **{"state": "completed", **fields},
        )  # fmt: skip
        session.add(campaign)
        await session.flush()
        for i, row in enumerate(recipients):
            session.add(CampaignRecipient(tenant_id=tenant_id, campaign_id=campaign.id, attempt_id=f"a{i}", **row))
        return campaign.id


async def set_campaign(db: Database, tenant_id: int, campaign_id: int, **values: Any) -> None:
    async with db.session(Scope.tenant(tenant_id), write=True) as session:
        await session.execute(update(Campaign).where(Campaign.id == campaign_id).values(**values))


async def resolved(db: Database, tenant_id: int, audience: Any, **kwargs: Any) -> list[Recipient]:
    """Every recipient ``resolve`` yields, in order."""
    out: list[Recipient] = []
    async for batch in resolve(db, tenant_id, audience, **kwargs):
        out.extend(batch)
    return out
