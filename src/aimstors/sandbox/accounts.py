"""Phone numbers, WABAs and onboarding: number info, register/deregister, ``subscribed_apps``, and the
Embedded Signup code exchange (``GET /oauth/access_token``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.state import Account, PhoneNumber
from aimstors.sandbox.validation import validate_operation

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = [
    "account_info",
    "deregister",
    "exchange_code",
    "phone_info",
    "register",
    "subscribe",
    "subscriptions",
    "unsubscribe",
]

_DEFAULT_NUMBER_FIELDS = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
)
_REGISTER_LIMIT = 10
_REGISTER_WINDOW = 72 * 3600


def _fields(raw: str | None) -> list[str] | None:
    return [f.strip() for f in raw.split(",") if f.strip()] if raw else None


def phone_info(number: PhoneNumber, fields: str | None) -> dict[str, Any]:
    every: dict[str, Any] = {
        "verified_name": number.verified_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": number.display_phone_number,
        "quality_rating": number.quality_rating,
        "platform_type": "CLOUD_API" if number.registered else "NOT_APPLICABLE",
        "throughput": {"level": "HIGH" if number.throughput_mps >= 1000 else "STANDARD"},
        "messaging_limit_tier": number.messaging_limit_tier,
        "whatsapp_business_manager_messaging_limit": number.messaging_limit_tier,
        "name_status": "APPROVED",
        "account_mode": "LIVE",
        "is_official_business_account": False,
        "status": "CONNECTED" if number.registered else "PENDING",
        "id": number.id,
    }
    wanted = _fields(fields) or list(_DEFAULT_NUMBER_FIELDS)
    unknown = [f for f in wanted if f not in every]
    if unknown:
        raise GraphError(
            100,
            "",
            message=f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type "
            "(WhatsAppBusinessPhoneNumber)",
        )
    out = {f: every[f] for f in wanted}
    out["id"] = number.id
    return out


def account_info(account: Account) -> dict[str, Any]:
    return {
        "id": account.waba_id,
        "name": account.name,
        "timezone_id": "1",
        "message_template_namespace": f"sandbox_{account.waba_id[-8:]}",
        "currency": "USD",
    }


def register(sandbox: Sandbox, number: PhoneNumber, body: Any) -> dict[str, bool]:
    validate_operation("register", body)
    now = time.monotonic()
    calls = number.register_calls
    while calls and calls[0] < now - _REGISTER_WINDOW:
        calls.popleft()
    if len(calls) >= _REGISTER_LIMIT:
        raise GraphError(133016)
    calls.append(now)
    pin = body["pin"]
    if number.pin is not None and number.pin != pin:
        raise GraphError(133005)
    number.pin = pin
    number.registered = True
    return {"success": True}


def deregister(number: PhoneNumber) -> dict[str, bool]:
    number.registered = False
    return {"success": True}


async def subscribe(sandbox: Sandbox, account: Account, body: Any) -> dict[str, Any]:
    body = body if body is not None else {}
    validate_operation("subscribe_app", body)
    override = body.get("override_callback_uri")
    if override is not None:
        verify_token = body.get("verify_token")
        if not verify_token:
            raise GraphError(100, "Param verify_token is required with override_callback_uri.")
        result = await sandbox.dispatcher.verify(override, verify_token)
        if not result.ok:
            raise GraphError(
                2200, "", message=f"(#2200) Callback verification failed with the following errors: {result.detail}"
            )
    account.subscribed = True
    account.override_callback_uri = override
    out: dict[str, Any] = {"success": True}
    if override is not None:
        out["data"] = subscriptions(sandbox, account)["data"]
    return out


def subscriptions(sandbox: Sandbox, account: Account) -> dict[str, Any]:
    if not account.subscribed:
        return {"data": []}
    item: dict[str, Any] = {
        "whatsapp_business_api_data": {
            "id": sandbox.config.app_id,
            "link": f"https://www.facebook.com/games/?app_id={sandbox.config.app_id}",
            "name": sandbox.config.app_name,
        }
    }
    if account.override_callback_uri:
        item["override_callback_uri"] = account.override_callback_uri
    return {"data": [item]}


def unsubscribe(account: Account) -> dict[str, bool]:
    account.subscribed = False
    account.override_callback_uri = None
    return {"success": True}


def exchange_code(sandbox: Sandbox, query: dict[str, str]) -> dict[str, Any]:
    """Embedded Signup: a configured code (usable once) for its business token."""
    if query.get("client_id") != sandbox.config.app_id:
        raise GraphError(101, "", message="Error validating application. Invalid application ID.")
    if query.get("client_secret") != sandbox.config.app_secret:
        raise GraphError(1, "", message="Error validating client secret.")
    code = query.get("code", "")
    signup = sandbox.state.signup_codes.get(code)
    if signup is None:
        raise GraphError(100, "", message="Invalid verification code format.", subcode=36008)
    if code in sandbox.state.used_codes:
        raise GraphError(100, "", message="This authorization code has been used.", subcode=36009)
    sandbox.state.used_codes.add(code)
    sandbox.state.grant(signup.business_token, signup.account.waba_id)
    return {"access_token": signup.business_token, "token_type": "bearer"}
