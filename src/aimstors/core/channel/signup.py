"""Embedded Signup, server side: code → business token, subscribe our app to the WABA, register the number.

The browser part (Facebook JS SDK, ``FB.login`` with the configuration id) hands the page a ``code`` valid for
30 seconds plus the customer's ``waba_id`` and ``phone_number_id``. :meth:`EmbeddedSignupApi.complete` then
does, server to server and in this order:

1. ``GET /oauth/access_token?client_id=<app id>&client_secret=<app secret>&code=<code>`` → business token;
2. ``POST /{waba-id}/subscribed_apps`` with that token, so the WABA's webhooks reach us;
3. ``POST /{phone-number-id}/register`` with the two-step PIN.

The business token is a secret: store it encrypted (the keyring) and never log it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aimstors.core.channel.errors import InvalidResponse
from aimstors.core.channel.graph import GraphApi
from aimstors.core.channel.phone_numbers import PhoneNumbersApi
from aimstors.core.errors import InvalidInput

__all__ = ["BusinessToken", "EmbeddedSignupApi", "SignupResult"]


@dataclass(frozen=True, slots=True)
class BusinessToken:
    """The customer-scoped token from the code exchange. ``access_token`` is kept out of ``repr``."""

    access_token: str = field(repr=False)
    token_type: str | None = None
    expires_in: int | None = None


@dataclass(frozen=True, slots=True)
class SignupResult:
    token: BusinessToken
    waba_id: str
    phone_number_id: str
    subscribed: bool
    registered: bool


class EmbeddedSignupApi:
    """Server-side Embedded Signup calls."""

    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph
        self._phone_numbers = PhoneNumbersApi(graph)

    async def exchange_code(self, *, app_id: str, app_secret: str, code: str) -> BusinessToken:
        """Trade the browser's short-lived ``code`` for a business token (no bearer token is sent)."""
        if not (app_id and app_secret and code):
            raise InvalidInput("app_id, app_secret and code are all required for the code exchange")
        data = await self._graph.call(
            "GET",
            "oauth/access_token",
            params={"client_id": app_id, "client_secret": app_secret, "code": code},
            authenticated=False,
        )
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise InvalidResponse("the code exchange answered without an access_token")
        expires = data.get("expires_in")
        return BusinessToken(
            access_token=token,
            token_type=data.get("token_type"),
            expires_in=int(expires) if isinstance(expires, int | str) and str(expires).isdigit() else None,
        )

    async def complete(
        self,
        *,
        app_id: str,
        app_secret: str,
        code: str,
        waba_id: str,
        phone_number_id: str,
        pin: str,
    ) -> SignupResult:
        """Exchange the code, subscribe the app to ``waba_id`` and register ``phone_number_id``.

        Stops at the first failing step with its typed error; the steps before it stay done (Meta has no
        undo for a subscription or registration, and repeating them is harmless).
        """
        token = await self.exchange_code(app_id=app_id, app_secret=app_secret, code=code)
        subscribed = await self._phone_numbers.subscribe_app(waba_id, token=token.access_token)
        registered = await self._phone_numbers.register(phone_number_id, pin, token=token.access_token)
        return SignupResult(
            token=token,
            waba_id=waba_id,
            phone_number_id=phone_number_id,
            subscribed=subscribed,
            registered=registered,
        )
