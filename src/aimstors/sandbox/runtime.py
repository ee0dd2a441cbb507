"""The running sandbox: state, rules, faults and webhook delivery in one object, owned by the server's loop.

:class:`Sandbox` is what the HTTP routes call into (through the noun modules: ``messaging``, ``media``,
``template_store``, ``accounts``, ``users``, ``gemini``, ``google``), and what an in-process test can inspect.
"""

from __future__ import annotations

from typing import Any

from aimstors.sandbox.callbacks import Dispatcher
from aimstors.sandbox.config import SandboxConfig
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.faults import FaultConfig, Faults
from aimstors.sandbox.gemini import GeminiRules
from aimstors.sandbox.google import GoogleState
from aimstors.sandbox.limits import RateLimits
from aimstors.sandbox.state import Account, Clock, PhoneNumber, SandboxState

__all__ = ["Sandbox"]


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.state = SandboxState(config)
        self.faults = Faults(config.faults, config.seed)
        self.limits = RateLimits(config.pair_rate_limit, config.pair_rate_window)
        self.webhook_url = config.webhook_url
        self.failure_mode = config.failure_mode
        self.http_status_overrides: dict[int, int] = dict(config.http_status_overrides)
        self.dispatcher = Dispatcher(config.callbacks, config.app_secret, self.clock, self.faults, self.destination)
        self.google = GoogleState(config.google)
        self.gemini = GeminiRules()
        self._seed_templates()

    def _seed_templates(self) -> None:
        from aimstors.sandbox.template_store import seed

        for template in self.config.templates:
            seed(self, template)

    async def start(self) -> None:
        await self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()

    def reset(self) -> None:
        """Forget everything that happened; back to the config's accounts, templates and faults."""
        self.state.reset()
        self.limits.reset()
        self.dispatcher.reset()
        self.clock.offset = 0.0
        self.faults.set(self.config.faults)
        self.faults.injected.clear()
        self.webhook_url = self.config.webhook_url
        self.failure_mode = self.config.failure_mode
        self.http_status_overrides = dict(self.config.http_status_overrides)
        self.limits.pair_limit = self.config.pair_rate_limit
        self.limits.pair_window = self.config.pair_rate_window
        self.google = GoogleState(self.config.google)
        self.gemini = GeminiRules()
        self._seed_templates()

    def set_faults(self, faults: FaultConfig) -> None:
        self.faults.set(faults)

    # -- webhooks --------------------------------------------------------------------------------------------

    def destination(self, waba_id: str) -> str | None:
        """Where a WABA's webhooks go: its override callback, else the app's URL; None if not subscribed."""
        account = self.state.accounts.get(waba_id)
        if account is None or not account.subscribed:
            return None
        return account.override_callback_uri or self.webhook_url

    # -- access ----------------------------------------------------------------------------------------------

    def authorize(self, token: str | None, waba_id: str) -> None:
        """Raise 190 unless ``token`` is valid for the WABA."""
        if not token or token not in self.state.token_wabas:
            raise GraphError(190, message="Invalid OAuth access token - Cannot parse access token")
        if waba_id not in self.state.token_wabas[token]:
            raise GraphError(
                190,
                message="Error validating access token: the token does not grant access to "
                "this WhatsApp Business Account",
            )

    def check_token(self, token: str | None) -> None:
        if not token or token not in self.state.token_wabas:
            raise GraphError(190, message="Invalid OAuth access token - Cannot parse access token")

    def number(self, phone_number_id: str, token: str | None) -> PhoneNumber:
        self.check_token(token)
        number = self.state.numbers.get(phone_number_id)
        if number is None:
            raise unknown_object(phone_number_id)
        self.authorize(token, number.waba_id)
        return number

    def account(self, waba_id: str, token: str | None) -> Account:
        self.check_token(token)
        account = self.state.accounts.get(waba_id)
        if account is None:
            raise unknown_object(waba_id)
        self.authorize(token, waba_id)
        return account

    def default_number(self, phone_number_id: str | None = None) -> PhoneNumber:
        if phone_number_id is not None:
            number = self.state.numbers.get(phone_number_id)
            if number is None:
                raise KeyError(f"no phone number {phone_number_id} in the sandbox")
            return number
        if not self.state.numbers:
            raise KeyError("the sandbox has no phone number")
        return next(iter(self.state.numbers.values()))

    def summary(self) -> dict[str, Any]:
        return {
            "accounts": [
                {
                    "waba_id": a.waba_id,
                    "name": a.name,
                    "subscribed": a.subscribed,
                    "phone_numbers": a.number_ids,
                    "override_callback_uri": a.override_callback_uri,
                }
                for a in self.state.accounts.values()
            ],
            "webhook_url": self.webhook_url,
            "failure_mode": self.failure_mode,
        }


def unknown_object(object_id: str, method: str = "post") -> GraphError:
    return GraphError(
        100,
        "",
        subcode=33,
        message=f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        error_type="GraphMethodException",
    )
