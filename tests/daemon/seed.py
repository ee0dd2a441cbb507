"""Rows the API tests read: contacts with tags, canned replies, templates and usage of a workspace.

Seeding goes straight to the database in the workspace's own scope (as the services would write it), so a test
can then look at it only through the API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import (
    CannedReply,
    Contact,
    ContactTag,
    Conversation,
    Note,
    PhoneNumber,
    Template,
    Tenant,
    UsageEvent,
    WhatsAppAccount,
)


@dataclass(frozen=True)
class Seeded:
    """Ids of what :func:`seed_workspace` made, by the names the tenancy matrix uses."""

    slug: str
    contacts: list[int]
    reply: int
    template: int
    conversation: int | None

    @property
    def ids(self) -> dict[str, int]:
        ids = {"reply": self.reply, "template": self.template}
        if self.contacts:
            ids["contact"] = self.contacts[0]
        if self.conversation is not None:
            ids["conversation"] = self.conversation
        return ids


async def tenant_id(db: Database, slug: str) -> int:
    async with db.session(Scope.system()) as session:
        found = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    assert found is not None, slug
    return found


async def seed_workspace(db: Database, slug: str, *, contacts: int = 3, prefix: str | None = None) -> Seeded:
    """``contacts`` contacts (wa_id ``1555<n><i>``, every other one tagged ``vip``), one canned reply, one template."""
    tid = await tenant_id(db, slug)
    digit = prefix or str(tid % 10)
    async with db.session(Scope.tenant(tid), write=True) as session:
        rows = [
            Contact(tenant_id=tid, wa_id=f"1555{digit}{i:06d}", profile_name=f"Person {i} of {slug}")
            for i in range(contacts)
        ]
        session.add_all(rows)
        await session.flush()
        session.add_all(ContactTag(tenant_id=tid, contact_id=c.id, tag="vip") for i, c in enumerate(rows) if i % 2 == 0)
        reply = CannedReply(tenant_id=tid, shortcut="thanks", title="Thanks", body=f"Thanks from {slug}!")
        account = WhatsAppAccount(tenant_id=tid, waba_id=f"waba-{slug}")
        session.add_all([reply, account])
        await session.flush()
        template = Template(
            tenant_id=tid,
            account_id=account.id,
            name="order_update",
            language="en_US",
            category="UTILITY",
            status="APPROVED",
            meta_id=f"meta-{slug}",
            components=[{"type": "BODY", "text": "Your order {{1}} has shipped"}],
        )
        number = PhoneNumber(
            tenant_id=tid, account_id=account.id, phone_number_id=f"pn-{slug}", display_number="+1 555 0100"
        )
        session.add_all([template, number])
        await session.flush()
        conversation_id = None
        if rows:  # a conversation (with a note) with the first contact
            conversation = Conversation(tenant_id=tid, phone_number_id=number.id, contact_id=rows[0].id)
            session.add(conversation)
            await session.flush()
            session.add(Note(tenant_id=tid, conversation_id=conversation.id, body=f"note in {slug}"))
            conversation_id = conversation.id
        return Seeded(slug, [c.id for c in rows], reply.id, template.id, conversation_id)


async def add_usage(
    db: Database,
    slug: str,
    when: dt.datetime,
    *,
    kind: str = "message",
    category: str = "",
    quantity: int = 1,
    cost: int = 0,
) -> None:
    tid = await tenant_id(db, slug)
    async with db.session(Scope.tenant(tid), write=True) as session:
        session.add(
            UsageEvent(tenant_id=tid, occurred_at=when, kind=kind, category=category, quantity=quantity, cost=cost)
        )
