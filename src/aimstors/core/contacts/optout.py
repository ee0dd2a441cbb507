"""Opt-out and opt-in: whether a contact may receive marketing and campaign messages.

An opted-out contact is suppressed everywhere (campaigns, audiences). The state lives on the contact
(``opted_out_at``, ``opt_out_source``: ``manual`` | ``keyword`` | ``meta`` | ``import``); every manual change is
also written to the audit log, which is the consent trail (who, when, which way).
:func:`mark_opted_out` and :func:`mark_opted_in` are the session-level steps that keyword handling and imports
share with the API.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from aimstors.core.contacts.directory import contact_tenant, load_contact
from aimstors.core.contacts.views import ContactView, contact_views
from aimstors.core.db import Database
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Contact
from aimstors.core.events import DomainEvent, EventBus, EventType
from aimstors.core.security import Action, Actor
from aimstors.core.tenancy.audit import record

__all__ = ["OptOutSource", "mark_opted_in", "mark_opted_out", "opt_in", "opt_out"]

OptOutSource = Literal["manual", "keyword", "meta", "import"]

log = logging.getLogger(__name__)


def mark_opted_out(contact: Contact, source: OptOutSource, at: dt.datetime | None = None) -> bool:
    """Opt ``contact`` out; True if that changed it. An existing opt-out keeps its original time and source."""
    if contact.opted_out_at is not None:
        return False
    now = at or utcnow()
    contact.opted_out_at = now
    contact.opt_out_source = source
    contact.updated_at = now
    return True


def mark_opted_in(contact: Contact, at: dt.datetime | None = None) -> bool:
    """Opt ``contact`` back in; True if it was opted out."""
    if contact.opted_out_at is None:
        return False
    contact.opted_out_at = None
    contact.opt_out_source = None
    contact.updated_at = at or utcnow()
    return True


async def _set(
    db: Database, actor: Actor, contact_id: int, *, opted_out: bool, tenant_slug: str | None, events: EventBus | None
) -> ContactView:
    tenant = await contact_tenant(db, actor, tenant_slug, Action.CONTACT_OPTOUT)
    async with db.session(tenant.scope, write=True) as session:
        contact = await load_contact(session, tenant.id, contact_id, lock=True)
        changed = mark_opted_out(contact, "manual") if opted_out else mark_opted_in(contact)
        if changed:
            action = "contact.optout" if opted_out else "contact.optin"
            details = {"source": "manual"}
            await record(
                session, actor, tenant.id, action, target_type="contact", target_id=contact.id, details=details
            )
        await session.flush()
        view = (await contact_views(session, tenant.slug, [contact]))[0]
    if changed:
        log.info(
            "contact %s %s (manual) in tenant %s", contact.id, "opted out" if opted_out else "opted in", tenant.slug
        )
        if events is not None:  # the same event keyword and Meta opt-outs publish (core.inbound.consent)
            data = {"contact_id": contact.id, "opted_out": opted_out, "source": "manual"}
            await events.publish([DomainEvent.create(tenant.id, EventType.CONTACT_UPDATED, data)])
    return view


async def opt_out(
    db: Database, actor: Actor, contact_id: int, *, tenant_slug: str | None = None, events: EventBus | None = None
) -> ContactView:
    """Opt a contact out by hand (source ``manual``, now). Idempotent: an opted-out contact stays as it was.

    A real change is audited and published on ``events`` as ``contact.updated`` once committed.
    """
    return await _set(db, actor, contact_id, opted_out=True, tenant_slug=tenant_slug, events=events)


async def opt_in(
    db: Database, actor: Actor, contact_id: int, *, tenant_slug: str | None = None, events: EventBus | None = None
) -> ContactView:
    """Opt a contact back in by hand; audited and published like :func:`opt_out`. Idempotent."""
    return await _set(db, actor, contact_id, opted_out=False, tenant_slug=tenant_slug, events=events)
