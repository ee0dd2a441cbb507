"""Who may do what: roles, actions, the permission matrix, and :func:`authorize`.

Every action the product has is an :class:`Action`; every interface (daemon guards, CLI, TUI) asks
:func:`authorize` before calling a service. Two checks make a decision:

1. the actor's role holds the action in :data:`PERMISSIONS`, and
2. the target tenant lies in the actor's subtree: tenants form a tree stored as materialised paths of ids
   (``/1/`` is the platform root, ``/1/4/`` a reseller, ``/1/4/9/`` one of its workspaces), and a role held
   on a tenant extends to everything below it.

The matrix, role by role (each includes the one before it, except where said):

* ``workspace_agent`` answers chats in one workspace: reads contacts, conversations (the service shows only
  assigned and unassigned ones; ``conversation.read_all`` is for admins), messages, templates and canned
  replies; sends messages, writes notes, takes (``conversation.assign``) and resolves conversations. No
  campaigns, no exports, no contact changes.
* ``workspace_admin`` does everything inside one workspace, except what concerns the tenant tree or money:
  no ``tenant.create``/``tenant.suspend``, no ``credits.topup``/``credits.allocate``, no ``rate_card.write``,
  no ``secrets.rotate``, no ``jobs.purge``.
* ``reseller_admin`` adds the management of its subtree: creating, updating and suspending tenants,
  ``credits.allocate`` to its sub-tenants, ``rate_card.write`` (its plans and margins). Not ``credits.topup``
  (credits enter the system at the platform), not ``secrets.rotate``, not ``jobs.purge``.
* ``platform_admin`` holds everything except :data:`SUPER_ADMIN_ONLY`: ``secrets.rotate`` (re-encrypts
  every tenant's secrets under the install's keys) and ``jobs.purge`` (deletes dead jobs, install-wide, for
  good).
* ``super_admin`` holds every action, and alone may grant ``super_admin``.

``docs/permissions.md`` is generated from :func:`matrix_rows`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from aimstors.core.errors import PermissionDenied

__all__ = [
    "PERMISSIONS",
    "ROLE_RANK",
    "ROLE_TENANT_KINDS",
    "SUPER_ADMIN_ONLY",
    "Action",
    "Actor",
    "ActorKind",
    "Role",
    "authorize",
    "can_grant",
    "has_permission",
    "is_authorized",
    "matrix_rows",
    "role_fits_tenant_kind",
]


class Role(StrEnum):
    """A membership's role, highest first. The value is what the database and tokens store."""

    SUPER_ADMIN = "super_admin"
    PLATFORM_ADMIN = "platform_admin"
    RESELLER_ADMIN = "reseller_admin"
    WORKSPACE_ADMIN = "workspace_admin"
    WORKSPACE_AGENT = "workspace_agent"


class Action(StrEnum):
    """Everything an actor can ask for, as ``noun.verb``. Grouped by noun; the order is the docs' order."""

    TENANT_CREATE = "tenant.create"
    TENANT_READ = "tenant.read"
    TENANT_UPDATE = "tenant.update"
    TENANT_SUSPEND = "tenant.suspend"

    USER_CREATE = "user.create"
    USER_READ = "user.read"
    USER_GRANT = "user.grant"
    USER_REVOKE = "user.revoke"

    APIKEY_CREATE = "apikey.create"
    APIKEY_READ = "apikey.read"
    APIKEY_REVOKE = "apikey.revoke"

    CREDITS_TOPUP = "credits.topup"
    CREDITS_ALLOCATE = "credits.allocate"
    CREDITS_READ = "credits.read"

    SECRETS_ROTATE = "secrets.rotate"

    JOBS_READ = "jobs.read"
    JOBS_RETRY = "jobs.retry"
    JOBS_PURGE = "jobs.purge"

    WEBHOOKS_READ = "webhooks.read"
    WEBHOOKS_REPLAY = "webhooks.replay"

    WHATSAPP_ACCOUNT_CONNECT = "whatsapp_account.connect"
    WHATSAPP_ACCOUNT_READ = "whatsapp_account.read"
    WHATSAPP_ACCOUNT_UPDATE = "whatsapp_account.update"

    PHONE_NUMBER_READ = "phone_number.read"
    PHONE_NUMBER_UPDATE = "phone_number.update"

    CONTACT_READ = "contact.read"
    CONTACT_WRITE = "contact.write"
    CONTACT_IMPORT = "contact.import"
    CONTACT_EXPORT = "contact.export"
    CONTACT_OPTOUT = "contact.optout"

    AUDIENCE_READ = "audience.read"
    AUDIENCE_WRITE = "audience.write"

    TEMPLATE_READ = "template.read"
    TEMPLATE_WRITE = "template.write"
    TEMPLATE_SUBMIT = "template.submit"
    TEMPLATE_DELETE = "template.delete"

    CAMPAIGN_READ = "campaign.read"
    CAMPAIGN_WRITE = "campaign.write"
    CAMPAIGN_SEND = "campaign.send"
    CAMPAIGN_CANCEL = "campaign.cancel"

    CONVERSATION_READ = "conversation.read"
    CONVERSATION_READ_ALL = "conversation.read_all"
    CONVERSATION_ASSIGN = "conversation.assign"
    CONVERSATION_RESOLVE = "conversation.resolve"

    MESSAGE_READ = "message.read"
    MESSAGE_SEND = "message.send"

    NOTE_WRITE = "note.write"

    CANNED_REPLY_READ = "canned_reply.read"
    CANNED_REPLY_WRITE = "canned_reply.write"

    WORKFLOW_READ = "workflow.read"
    WORKFLOW_WRITE = "workflow.write"
    WORKFLOW_PUBLISH = "workflow.publish"
    WORKFLOW_RUN = "workflow.run"

    EXECUTION_READ = "execution.read"

    AGENT_READ = "agent.read"
    AGENT_WRITE = "agent.write"

    KNOWLEDGE_BASE_READ = "knowledge_base.read"
    KNOWLEDGE_BASE_WRITE = "knowledge_base.write"

    INTEGRATION_READ = "integration.read"
    INTEGRATION_WRITE = "integration.write"

    BRANDING_READ = "branding.read"
    BRANDING_WRITE = "branding.write"

    DOMAIN_READ = "domain.read"
    DOMAIN_WRITE = "domain.write"

    USAGE_READ = "usage.read"
    AUDIT_READ = "audit.read"

    RATE_CARD_READ = "rate_card.read"
    RATE_CARD_WRITE = "rate_card.write"


A = Action

_WORKSPACE_AGENT = frozenset({
    A.CONTACT_READ,
    A.CONVERSATION_READ, A.CONVERSATION_ASSIGN, A.CONVERSATION_RESOLVE,
    A.MESSAGE_READ, A.MESSAGE_SEND,
    A.NOTE_WRITE,
    A.CANNED_REPLY_READ,
    A.TEMPLATE_READ,
})  # fmt: skip

_WORKSPACE_ADMIN = _WORKSPACE_AGENT | {
    A.TENANT_READ, A.TENANT_UPDATE,
    A.USER_CREATE, A.USER_READ, A.USER_GRANT, A.USER_REVOKE,
    A.APIKEY_CREATE, A.APIKEY_READ, A.APIKEY_REVOKE,
    A.CREDITS_READ,
    A.JOBS_READ, A.JOBS_RETRY,
    A.WEBHOOKS_READ, A.WEBHOOKS_REPLAY,
    A.WHATSAPP_ACCOUNT_CONNECT, A.WHATSAPP_ACCOUNT_READ, A.WHATSAPP_ACCOUNT_UPDATE,
    A.PHONE_NUMBER_READ, A.PHONE_NUMBER_UPDATE,
    A.CONTACT_WRITE, A.CONTACT_IMPORT, A.CONTACT_EXPORT, A.CONTACT_OPTOUT,
    A.AUDIENCE_READ, A.AUDIENCE_WRITE,
    A.TEMPLATE_WRITE, A.TEMPLATE_SUBMIT, A.TEMPLATE_DELETE,
    A.CAMPAIGN_READ, A.CAMPAIGN_WRITE, A.CAMPAIGN_SEND, A.CAMPAIGN_CANCEL,
    A.CONVERSATION_READ_ALL,
    A.CANNED_REPLY_WRITE,
    A.WORKFLOW_READ, A.WORKFLOW_WRITE, A.WORKFLOW_PUBLISH, A.WORKFLOW_RUN,
    A.EXECUTION_READ,
    A.AGENT_READ, A.AGENT_WRITE,
    A.KNOWLEDGE_BASE_READ, A.KNOWLEDGE_BASE_WRITE,
    A.INTEGRATION_READ, A.INTEGRATION_WRITE,
    A.BRANDING_READ, A.BRANDING_WRITE,
    A.DOMAIN_READ, A.DOMAIN_WRITE,
    A.USAGE_READ, A.AUDIT_READ,
    A.RATE_CARD_READ,
}  # fmt: skip

_RESELLER_ADMIN = _WORKSPACE_ADMIN | {
    A.TENANT_CREATE, A.TENANT_SUSPEND,
    A.CREDITS_ALLOCATE,
    A.RATE_CARD_WRITE,
}  # fmt: skip

SUPER_ADMIN_ONLY: frozenset[Action] = frozenset({A.SECRETS_ROTATE, A.JOBS_PURGE})
"""Actions only ``super_admin`` holds: install-wide and not undoable."""

_EVERYTHING = frozenset(Action)

PERMISSIONS: Mapping[Role, frozenset[Action]] = {
    Role.SUPER_ADMIN: _EVERYTHING,
    Role.PLATFORM_ADMIN: _EVERYTHING - SUPER_ADMIN_ONLY,
    Role.RESELLER_ADMIN: _RESELLER_ADMIN,
    Role.WORKSPACE_ADMIN: _WORKSPACE_ADMIN,
    Role.WORKSPACE_AGENT: _WORKSPACE_AGENT,
}
"""The permission matrix: the actions each role holds on its tenant and every tenant below it."""

ROLE_RANK: Mapping[Role, int] = {
    Role.SUPER_ADMIN: 4,
    Role.PLATFORM_ADMIN: 3,
    Role.RESELLER_ADMIN: 2,
    Role.WORKSPACE_ADMIN: 1,
    Role.WORKSPACE_AGENT: 0,
}
"""Higher outranks lower; nobody grants a role that outranks their own."""

ROLE_TENANT_KINDS: Mapping[Role, frozenset[str]] = {
    Role.SUPER_ADMIN: frozenset({"platform"}),
    Role.PLATFORM_ADMIN: frozenset({"platform"}),
    Role.RESELLER_ADMIN: frozenset({"reseller"}),
    Role.WORKSPACE_ADMIN: frozenset({"workspace"}),
    Role.WORKSPACE_AGENT: frozenset({"workspace"}),
}
"""The kinds of tenant (``tenants.kind``) a membership with each role may be held on."""


def has_permission(role: Role, action: Action) -> bool:
    """True when ``role`` holds ``action`` (the matrix alone, without the tenant check)."""
    return action in PERMISSIONS[role]


def matrix_rows() -> list[tuple[Action, dict[Role, bool]]]:
    """One row per action, in declaration order: ``(action, {role: allowed})``, roles highest first."""
    return [(action, {role: action in PERMISSIONS[role] for role in Role}) for action in Action]


def can_grant(granter_role: Role, role: Role) -> bool:
    """True when a holder of ``granter_role`` may give someone ``role``.

    The granter's role must hold ``user.grant``, and may not grant a role that outranks its own;
    ``super_admin`` is granted only by a ``super_admin``. Where the membership goes is checked by
    :func:`authorize` and :func:`role_fits_tenant_kind`.
    """
    if not has_permission(granter_role, Action.USER_GRANT):
        return False
    if role == Role.SUPER_ADMIN:
        return granter_role == Role.SUPER_ADMIN
    return ROLE_RANK[role] <= ROLE_RANK[granter_role]


def role_fits_tenant_kind(role: Role, tenant_kind: str) -> bool:
    """True when a membership with ``role`` may be held on a tenant of ``tenant_kind``."""
    return tenant_kind in ROLE_TENANT_KINDS[role]


ActorKind = Literal["user", "api_key", "system"]

# A materialised path: "/" (everything; the system actor only) or "/1/", "/1/4/", ... with the trailing slash
# that keeps "/1/4/" from matching "/1/40/".
_PATH = re.compile(r"/(?:[1-9][0-9]*/)*")


def _check_path(path: str, what: str) -> None:
    if not _PATH.fullmatch(path):
        raise ValueError(f"{what} {path!r} is not a tenant path like '/1/4/'")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: a user (through a session token), an API key, or the system itself.

    ``tenant_id`` and ``tenant_path`` are those of the membership (or API key) the request runs under, not of
    the target. The system actor (the local operator at the shell, workers, the scheduler) holds every action
    everywhere.
    """

    user_id: int | None
    role: Role
    tenant_id: int | None
    tenant_path: str
    api_key_id: int | None = None
    kind: ActorKind = "user"

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))  # a role read from the database arrives as str
        _check_path(self.tenant_path, "actor tenant path")
        if self.tenant_path == "/" and self.kind != "system":
            raise ValueError("only the system actor stands above the platform root")

    @classmethod
    def system(cls) -> Actor:
        """The actor for the local operator and background work: every action, on every tenant."""
        return cls(user_id=None, role=Role.SUPER_ADMIN, tenant_id=None, tenant_path="/", kind="system")

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


def authorize(actor: Actor, action: Action, target_tenant_path: str) -> None:
    """Return if ``actor`` may do ``action`` on the tenant at ``target_tenant_path``; else PermissionDenied.

    The message names the action and the actor's role, never the target tenant. ``ValueError`` for a malformed
    path: that is a bug in the caller, and nothing is allowed.
    """
    _check_path(target_tenant_path, "target tenant path")
    if action not in PERMISSIONS[actor.role]:
        raise PermissionDenied(f"role {actor.role} may not {action}")
    if not target_tenant_path.startswith(actor.tenant_path):
        raise PermissionDenied(f"role {actor.role} may not {action} outside its own tenant")


def is_authorized(actor: Actor, action: Action, target_tenant_path: str) -> bool:
    """:func:`authorize` as a boolean, for interfaces that hide what an actor cannot do."""
    try:
        authorize(actor, action, target_tenant_path)
    except PermissionDenied:
        return False
    return True
