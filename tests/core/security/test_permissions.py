from __future__ import annotations

import itertools

import pytest

from aimstors.core.errors import PermissionDenied
from aimstors.core.security import (
    PERMISSIONS,
    ROLE_TENANT_KINDS,
    SUPER_ADMIN_ONLY,
    Action,
    Actor,
    Role,
    authorize,
    can_grant,
    has_permission,
    is_authorized,
    matrix_rows,
    role_fits_tenant_kind,
)

# The tree used throughout: platform /1/, resellers /1/4/ and /1/5/, workspaces below them, and /1/40/ (a
# reseller whose path starts with the same characters as /1/4/).
ROOT, RESELLER_A, RESELLER_B, LOOKALIKE = "/1/", "/1/4/", "/1/5/", "/1/40/"
WORKSPACE_A, WORKSPACE_B, WORKSPACE_LOOKALIKE = "/1/4/9/", "/1/5/12/", "/1/40/41/"


def actor(role: Role, path: str, user_id: int = 100) -> Actor:
    tenant_id = int(path.strip("/").split("/")[-1])
    return Actor(user_id=user_id, role=role, tenant_id=tenant_id, tenant_path=path)


def test_an_agent_cannot_send_a_campaign() -> None:
    agent = actor(Role.WORKSPACE_AGENT, WORKSPACE_A)
    with pytest.raises(PermissionDenied) as excinfo:
        authorize(agent, Action.CAMPAIGN_SEND, WORKSPACE_A)
    assert str(excinfo.value) == "role workspace_agent may not campaign.send"
    authorize(agent, Action.MESSAGE_SEND, WORKSPACE_A)


@pytest.mark.parametrize(
    "action",
    [Action.CONTACT_EXPORT, Action.CONVERSATION_READ_ALL, Action.CONTACT_WRITE, Action.CAMPAIGN_READ,
     Action.CANNED_REPLY_WRITE, Action.USER_GRANT, Action.APIKEY_CREATE],
)  # fmt: skip
def test_an_agent_is_limited_to_the_inbox(action: Action) -> None:
    assert not is_authorized(actor(Role.WORKSPACE_AGENT, WORKSPACE_A), action, WORKSPACE_A)


def test_a_workspace_admin_cannot_reach_another_workspace() -> None:
    admin_b = actor(Role.WORKSPACE_ADMIN, WORKSPACE_B)
    authorize(admin_b, Action.CONTACT_READ, WORKSPACE_B)
    with pytest.raises(PermissionDenied) as excinfo:
        authorize(admin_b, Action.CONTACT_READ, WORKSPACE_A)
    message = str(excinfo.value)
    assert message == "role workspace_admin may not contact.read outside its own tenant"
    assert "9" not in message and "4" not in message  # nothing about the other tenant
    with pytest.raises(PermissionDenied):
        authorize(admin_b, Action.CONTACT_READ, RESELLER_B)  # nor its parent


def test_a_reseller_admin_acts_on_its_workspaces_not_a_siblings() -> None:
    reseller = actor(Role.RESELLER_ADMIN, RESELLER_A)
    for action in (
        Action.CAMPAIGN_SEND,
        Action.TENANT_SUSPEND,
        Action.CREDITS_ALLOCATE,
        Action.BRANDING_WRITE,
    ):
        authorize(reseller, action, WORKSPACE_A)
    authorize(reseller, Action.TENANT_CREATE, RESELLER_A)
    for target in (WORKSPACE_B, RESELLER_B, ROOT, LOOKALIKE, WORKSPACE_LOOKALIKE):
        with pytest.raises(PermissionDenied, match="outside its own tenant"):
            authorize(reseller, Action.CAMPAIGN_SEND, target)


def test_platform_admins_reach_everything_but_super_admin_only_actions() -> None:
    platform = actor(Role.PLATFORM_ADMIN, ROOT)
    for target in (ROOT, RESELLER_B, WORKSPACE_A, WORKSPACE_LOOKALIKE):
        authorize(platform, Action.CREDITS_TOPUP, target)
    for action in SUPER_ADMIN_ONLY:
        with pytest.raises(PermissionDenied, match=f"role platform_admin may not {action}"):
            authorize(platform, action, ROOT)
        authorize(actor(Role.SUPER_ADMIN, ROOT), action, ROOT)


def test_the_system_actor_may_do_anything_anywhere() -> None:
    system = Actor.system()
    assert system.is_system and system.user_id is None and system.tenant_id is None
    for action in Action:
        authorize(system, action, WORKSPACE_LOOKALIKE)


@pytest.mark.parametrize(
    ("role", "denied"),
    [
        (Role.WORKSPACE_ADMIN, {Action.TENANT_CREATE, Action.TENANT_SUSPEND, Action.CREDITS_TOPUP,
                                Action.CREDITS_ALLOCATE, Action.SECRETS_ROTATE, Action.JOBS_PURGE,
                                Action.RATE_CARD_WRITE}),
        (Role.RESELLER_ADMIN, {Action.CREDITS_TOPUP, Action.SECRETS_ROTATE, Action.JOBS_PURGE}),
        (Role.PLATFORM_ADMIN, {Action.SECRETS_ROTATE, Action.JOBS_PURGE}),
        (Role.SUPER_ADMIN, set()),
    ],
)  # fmt: skip
def test_what_each_admin_role_lacks(role: Role, denied: set[Action]) -> None:
    assert set(Action) - PERMISSIONS[role] == denied


def test_each_role_holds_everything_the_role_below_holds() -> None:
    roles = list(Role)  # highest first
    for higher, lower in itertools.pairwise(roles):
        assert PERMISSIONS[lower] < PERMISSIONS[higher], (higher, lower)


def test_matrix_rows_cover_every_action_in_order() -> None:
    rows = matrix_rows()
    assert [action for action, _ in rows] == list(Action)
    for action, allowed in rows:
        assert list(allowed) == list(Role)
        assert allowed == {role: has_permission(role, action) for role in Role}
    assert dict(rows)[Action.CAMPAIGN_SEND][Role.WORKSPACE_AGENT] is False


def test_action_values_are_noun_dot_verb() -> None:
    for action in Action:
        noun, verb = action.value.split(".")
        assert action.name == f"{noun}_{verb}".upper()


@pytest.mark.parametrize(
    ("granter", "role", "allowed"),
    [
        (Role.SUPER_ADMIN, Role.SUPER_ADMIN, True),
        (Role.SUPER_ADMIN, Role.PLATFORM_ADMIN, True),
        (Role.PLATFORM_ADMIN, Role.SUPER_ADMIN, False),
        (Role.PLATFORM_ADMIN, Role.PLATFORM_ADMIN, True),
        (Role.PLATFORM_ADMIN, Role.RESELLER_ADMIN, True),
        (Role.RESELLER_ADMIN, Role.PLATFORM_ADMIN, False),
        (Role.RESELLER_ADMIN, Role.RESELLER_ADMIN, True),
        (Role.RESELLER_ADMIN, Role.WORKSPACE_AGENT, True),
        (Role.WORKSPACE_ADMIN, Role.RESELLER_ADMIN, False),
        (Role.WORKSPACE_ADMIN, Role.WORKSPACE_ADMIN, True),
        (Role.WORKSPACE_ADMIN, Role.WORKSPACE_AGENT, True),
        (Role.WORKSPACE_AGENT, Role.WORKSPACE_AGENT, False),  # agents hold no user.grant
    ],
)
def test_can_grant(granter: Role, role: Role, allowed: bool) -> None:
    assert can_grant(granter, role) is allowed


def test_roles_sit_on_their_kind_of_tenant() -> None:
    assert role_fits_tenant_kind(Role.SUPER_ADMIN, "platform")
    assert role_fits_tenant_kind(Role.RESELLER_ADMIN, "reseller")
    assert not role_fits_tenant_kind(Role.RESELLER_ADMIN, "workspace")
    assert not role_fits_tenant_kind(Role.WORKSPACE_AGENT, "reseller")
    assert set(ROLE_TENANT_KINDS) == set(Role)


def test_actor_accepts_a_role_read_from_the_database() -> None:
    assert actor("workspace_agent", WORKSPACE_A).role is Role.WORKSPACE_AGENT  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        actor("root", WORKSPACE_A)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["", "1/", "/1", "/1/4", "/0/", "/1//4/", "/a/", "/", "/1/4/ "])
def test_malformed_paths_are_bugs_and_allow_nothing(path: str) -> None:
    with pytest.raises(ValueError):
        Actor(user_id=1, role=Role.SUPER_ADMIN, tenant_id=1, tenant_path=path)
    if path != "/":
        with pytest.raises(ValueError):
            authorize(Actor.system(), Action.TENANT_READ, path)


def test_api_key_actors_are_checked_like_users() -> None:
    key = Actor(user_id=None, role=Role.WORKSPACE_AGENT, tenant_id=9, tenant_path=WORKSPACE_A,
                api_key_id=3, kind="api_key")  # fmt: skip
    authorize(key, Action.MESSAGE_SEND, WORKSPACE_A)
    assert not is_authorized(key, Action.MESSAGE_SEND, WORKSPACE_B)
