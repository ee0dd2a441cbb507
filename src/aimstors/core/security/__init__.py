"""Security primitives: secrets at rest, passwords, session tokens, API keys, webhook signatures, permissions.

Each module is small and stands alone; import from here::

    keyring        Keyring (AES-256-GCM, versioned keys), generate_key_entry
    passwords      hash_password, verify_password, needs_rehash (+ *_async: argon2 runs in a thread)
    tokens         issue_token, verify_token, check_token_version, TokenClaims (JWT, HS256)
    api_keys       generate_api_key, parse_api_key, verify_api_key, NewApiKey
    permissions    Role, Action, PERMISSIONS, Actor, authorize, can_grant, matrix_rows
    webhook_signature   sign / verify X-Hub-Signature-256 (used as ``webhook_signature.verify(...)``)

Errors come from :mod:`aimstors.core.errors`: ``ConfigError`` for bad keys or secrets in settings,
``AuthenticationFailed`` (and its subclasses ``SignatureMissing``/``SignatureInvalid``) for anything presented
by a caller that does not check out, ``PermissionDenied`` from :func:`authorize`. No message ever contains a
key, a secret or a plaintext.
"""

from __future__ import annotations

from aimstors.core.security import webhook_signature
from aimstors.core.security.api_keys import (
    NewApiKey,
    generate_api_key,
    hash_api_key,
    parse_api_key,
    verify_api_key,
)
from aimstors.core.security.keyring import Keyring, generate_key_entry
from aimstors.core.security.passwords import (
    hash_password,
    hash_password_async,
    needs_rehash,
    verify_password,
    verify_password_async,
)
from aimstors.core.security.permissions import (
    PERMISSIONS,
    ROLE_RANK,
    ROLE_TENANT_KINDS,
    SUPER_ADMIN_ONLY,
    Action,
    Actor,
    ActorKind,
    Role,
    authorize,
    can_grant,
    has_permission,
    is_authorized,
    matrix_rows,
    role_fits_tenant_kind,
)
from aimstors.core.security.tokens import (
    TokenClaims,
    check_token_version,
    generate_token_secret,
    issue_token,
    verify_token,
)
from aimstors.core.security.webhook_signature import (
    SIGNATURE_HEADER,
    SignatureInvalid,
    SignatureMissing,
    meta_escape_json,
    meta_json_dumps,
)

__all__ = [
    "PERMISSIONS",
    "ROLE_RANK",
    "ROLE_TENANT_KINDS",
    "SIGNATURE_HEADER",
    "SUPER_ADMIN_ONLY",
    "Action",
    "Actor",
    "ActorKind",
    "Keyring",
    "NewApiKey",
    "Role",
    "SignatureInvalid",
    "SignatureMissing",
    "TokenClaims",
    "authorize",
    "can_grant",
    "check_token_version",
    "generate_api_key",
    "generate_key_entry",
    "generate_token_secret",
    "has_permission",
    "hash_api_key",
    "hash_password",
    "hash_password_async",
    "is_authorized",
    "issue_token",
    "matrix_rows",
    "meta_escape_json",
    "meta_json_dumps",
    "needs_rehash",
    "parse_api_key",
    "role_fits_tenant_kind",
    "verify_api_key",
    "verify_password",
    "verify_password_async",
    "verify_token",
    "webhook_signature",
]
