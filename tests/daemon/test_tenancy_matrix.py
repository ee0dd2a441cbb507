"""Every route of contacts, canned replies, templates, balance, usage and tenancy, called as each role of a tenant
against another tenant's resources (a sibling under the same reseller, and a workspace of another reseller):
404, or 403 where the role lacks the action — and nothing written. See ``matrix.py`` to add routes.
"""

from __future__ import annotations

from sqlalchemy import select

from aimstors.core.db import Scope
from aimstors.core.db.models import ApiKey, CannedReply, Contact, ContactTag, Conversation, Note
from aimstors.core.security import Action, Role

from .conftest import Daemon
from .matrix import Route, assert_isolated, callers
from .seed import seed_workspace

A = Action

CONTACT_ROUTES = [
    Route("GET", "/api/v1/contacts?tenant={tenant}", A.CONTACT_READ),
    Route("GET", "/api/v1/contacts/{contact}?tenant={tenant}", A.CONTACT_READ),
    Route("GET", "/api/v1/contacts/{contact}", A.CONTACT_READ),
    Route(
        "PATCH",
        "/api/v1/contacts/{contact}?tenant={tenant}",
        A.CONTACT_WRITE,
        {"add_tags": ["m"], "attributes": {"k": 1}},
    ),
    Route("PATCH", "/api/v1/contacts/{contact}", A.CONTACT_WRITE, {"remove_tags": ["vip"]}),
    Route("POST", "/api/v1/contacts/{contact}/optout?tenant={tenant}", A.CONTACT_OPTOUT),
    Route("POST", "/api/v1/contacts/{contact}/optin?tenant={tenant}", A.CONTACT_OPTOUT),
]
CANNED_REPLY_ROUTES = [
    Route("GET", "/api/v1/canned-replies?tenant={tenant}", A.CANNED_REPLY_READ),
    Route(
        "POST",
        "/api/v1/canned-replies?tenant={tenant}",
        A.CANNED_REPLY_WRITE,
        {"shortcut": "m", "title": "t", "body": "b"},
    ),
    Route("GET", "/api/v1/canned-replies/{reply}?tenant={tenant}", A.CANNED_REPLY_READ),
    Route("PATCH", "/api/v1/canned-replies/{reply}?tenant={tenant}", A.CANNED_REPLY_WRITE, {"body": "changed"}),
    Route("PATCH", "/api/v1/canned-replies/{reply}", A.CANNED_REPLY_WRITE, {"title": "changed"}),
]
TEMPLATE_ROUTES = [
    Route("GET", "/api/v1/templates?tenant={tenant}", A.TEMPLATE_READ),
    Route("GET", "/api/v1/templates/{template}?tenant={tenant}", A.TEMPLATE_READ),
    Route("GET", "/api/v1/templates/{template}", A.TEMPLATE_READ),
]
BILLING_ROUTES = [
    Route("GET", "/api/v1/tenants/{tenant}/balance", A.CREDITS_READ),
    Route("GET", "/api/v1/tenants/{tenant}/usage?since=2026-01-01&until=2026-01-31", A.USAGE_READ),
]
CONVERSATION_ROUTES = [
    Route("GET", "/api/v1/conversations?tenant={tenant}", A.CONVERSATION_READ),
    Route("GET", "/api/v1/conversations/{conversation}?tenant={tenant}", A.CONVERSATION_READ),
    Route("GET", "/api/v1/conversations/{conversation}", A.CONVERSATION_READ),
    Route("GET", "/api/v1/conversations/{conversation}/messages?tenant={tenant}", A.MESSAGE_READ),
    Route("GET", "/api/v1/conversations/{conversation}/notes?tenant={tenant}", A.CONVERSATION_READ),
    Route("POST", "/api/v1/conversations/{conversation}/notes?tenant={tenant}", A.NOTE_WRITE, {"body": "x"}),
    Route("POST", "/api/v1/conversations/{conversation}/labels", A.CONVERSATION_ASSIGN, {"add": ["m"]}),
    Route(
        "POST",
        "/api/v1/conversations/{conversation}/status?tenant={tenant}",
        A.CONVERSATION_RESOLVE,
        {"status": "pending"},
    ),
    Route(
        "POST", "/api/v1/conversations/{conversation}/assign?tenant={tenant}", A.CONVERSATION_ASSIGN, {"user_id": None}
    ),
    Route("GET", "/api/v1/tenants/{tenant}/whatsapp", A.WHATSAPP_ACCOUNT_READ),
]
# Sending (POST …/messages) reaches Meta, so its owner-side control lives in the end-to-end tests with the sandbox;
# the cross-tenant refusal of it is checked here without a positive control.
# Routes that were there before this matrix: tenants, their users and API keys.
TENANCY_ROUTES = [
    Route("GET", "/api/v1/tenants/{tenant}", A.TENANT_READ),
    Route("GET", "/api/v1/users?tenant={tenant}", A.USER_READ),
    Route("GET", "/api/v1/tenants/{tenant}/api-keys", A.APIKEY_READ),
    Route("POST", "/api/v1/tenants/{tenant}/api-keys", A.APIKEY_CREATE, {"name": "matrix"}),
]
# Deletes last: the positive controls run in this order.
DELETE_ROUTES = [Route("DELETE", "/api/v1/canned-replies/{reply}?tenant={tenant}", A.CANNED_REPLY_WRITE)]

ROUTES = (
    CONVERSATION_ROUTES
    + CONTACT_ROUTES
    + CANNED_REPLY_ROUTES
    + TEMPLATE_ROUTES
    + BILLING_ROUTES
    + TENANCY_ROUTES
    + DELETE_ROUTES
)


async def test_routes_never_cross_tenants(daemon: Daemon) -> None:
    db = daemon.services.db
    resources = {slug: (await seed_workspace(db, slug, contacts=1)).ids for slug in ["shop-a", "shop-b", "shop-x"]}
    people = await callers(daemon, api_keys=[("shop-b", Role.WORKSPACE_AGENT), ("shop-x", Role.WORKSPACE_ADMIN)])

    async def snapshot() -> object:
        async with db.session(Scope.system()) as session:
            contacts = (await session.execute(select(Contact).order_by(Contact.id))).scalars()
            rows = [(c.id, c.attributes, c.opted_out_at, c.updated_at) for c in contacts]
            tags = list(await session.execute(select(ContactTag.contact_id, ContactTag.tag).order_by("contact_id")))
            replies = list(await session.execute(select(CannedReply.id, CannedReply.shortcut, CannedReply.body)))
            keys = list(await session.scalars(select(ApiKey.prefix).order_by(ApiKey.id)))
            convs = list(
                await session.execute(
                    select(
                        Conversation.id, Conversation.status, Conversation.labels, Conversation.assignee_user_id
                    ).order_by(Conversation.id)
                )
            )
            notes = list(await session.scalars(select(Note.body).order_by(Note.id)))
        return rows, tags, sorted(replies), keys, convs, notes

    calls = await assert_isolated(daemon, ROUTES, people, resources, snapshot=snapshot)
    assert calls > 200
