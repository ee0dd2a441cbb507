"""The sandbox's configuration: accounts, numbers, tokens, rules, callbacks and faults.

Everything has a default, so ``SandboxConfig()`` is a working sandbox with one WABA, one registered number,
one token (``sandbox-token``) and an approved ``hello_world`` template. :meth:`SandboxConfig.from_dict` reads
the same structure from TOML/JSON data (unknown keys are an error).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from aimstors.core.errors import ConfigError
from aimstors.sandbox.faults import FaultConfig

__all__ = [
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_WABA_ID",
    "AccountConfig",
    "CallbackConfig",
    "GoogleConfig",
    "PhoneNumberConfig",
    "SandboxConfig",
    "SignupCodeConfig",
    "TemplateSeed",
]

DEFAULT_WABA_ID = "102290129340398"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - a well-known sandbox credential, not a secret
MAX_THROUGHPUT = 1000


class PhoneNumberConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    phone_number_id: str
    display_phone_number: str  # as Meta shows it, e.g. "+1 555-078-3881"; webhooks carry its digits
    verified_name: str = "Aimstors Sandbox"
    quality_rating: str = "GREEN"
    throughput_mps: int = 80  # Meta's default; up to 1,000 after the automatic upgrade
    messaging_limit_tier: str = "TIER_250"
    registered: bool = True  # numbers from Embedded Signup start unregistered
    pin: str | None = None  # two-step verification PIN, once set


class AccountConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A WhatsApp Business Account: its tokens are valid for it and its numbers."""

    waba_id: str
    name: str = "Aimstors Sandbox WABA"
    tokens: tuple[str, ...] = ()
    phone_numbers: tuple[PhoneNumberConfig, ...] = ()
    subscribed: bool = True  # the app receives this WABA's webhooks (Embedded Signup ones start False)


class SignupCodeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An Embedded Signup code: ``GET /oauth/access_token?code=`` exchanges it (once) for ``business_token``,
    which then grants access to ``account`` (added to the sandbox at start, unsubscribed, number unregistered)."""

    code: str
    business_token: str
    account: AccountConfig


class TemplateSeed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    language: str = "en_US"
    category: str = "UTILITY"
    components: tuple[dict[str, Any], ...] = ()
    status: str = "APPROVED"
    parameter_format: Literal["positional", "named"] = "positional"
    waba_id: str | None = None  # default: the first account


class CallbackConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How webhooks are delivered: batching, concurrency, retries and the simulated status timeline."""

    batch_size: int = 100  # statuses/messages per POST (Meta batches up to 1,000)
    flush_interval: float = 0.05  # seconds a partial batch waits for company
    concurrency: int = 8  # POSTs in flight at once
    timeout: float = 20.0  # Meta gives up on a webhook request after ~20 s
    max_attempts: int = 6  # then the batch is dropped (counted in /_sandbox/webhooks)
    retry_initial: float = 0.5  # first retry delay; doubles each attempt
    retry_max: float = 30.0
    sent_after: float = 0.0  # seconds after acceptance
    delivered_after: float = 0.05
    read_after: float = 0.1
    read: bool = True  # simulated users read what they receive


class GoogleConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Google stand-ins: OAuth clients and keys. Seed data comes via ``/_sandbox/google/...``."""

    clients: dict[str, str] = msgspec.field(default_factory=lambda: {"sandbox-client": "sandbox-client-secret"})
    gemini_api_keys: tuple[str, ...] = ("sandbox-gemini-key",)  # empty: any key is accepted
    access_tokens: tuple[str, ...] = ("sandbox-google-token",)  # always valid for Sheets/Drive


def _default_accounts() -> tuple[AccountConfig, ...]:
    return (
        AccountConfig(
            waba_id=DEFAULT_WABA_ID,
            tokens=(DEFAULT_TOKEN,),
            phone_numbers=(
                PhoneNumberConfig(phone_number_id=DEFAULT_PHONE_NUMBER_ID, display_phone_number="+1 555-078-3881"),
            ),
        ),
    )


def _default_templates() -> tuple[TemplateSeed, ...]:
    return (
        TemplateSeed(
            name="hello_world",
            category="UTILITY",
            components=(
                {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                {
                    "type": "BODY",
                    "text": "Welcome and congratulations!! This message demonstrates your ability to "
                    "send a WhatsApp message notification from the Cloud API, hosted by Meta.",
                },
                {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
            ),
        ),
    )


class SandboxConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8790
    app_id: str = "1234567890123456"
    app_name: str = "Aimstors Sandbox App"
    app_secret: str = "sandbox-app-secret"  # noqa: S105 - signs webhooks; tests pass their own
    verify_token: str = "sandbox-verify-token"  # noqa: S105
    webhook_url: str | None = None  # None: statuses are simulated and counted but not POSTed
    accounts: tuple[AccountConfig, ...] = msgspec.field(default_factory=_default_accounts)
    signup_codes: tuple[SignupCodeConfig, ...] = ()
    templates: tuple[TemplateSeed, ...] = msgspec.field(default_factory=_default_templates)
    auto_approve_templates: bool = False  # True: created/edited templates are APPROVED at once (with webhook)
    undeliverable: tuple[str, ...] = ()  # wa_ids (digits) whose messages fail with 131026
    window_hours: float = 24.0  # customer-service window
    pair_rate_limit: int = 45  # messages to one user within pair_rate_window before 131056
    pair_rate_window: float = 6.0
    failure_mode: Literal["webhook", "response"] = "webhook"  # 131047/131026: failed status (Meta) or sync error
    http_status_overrides: dict[int, int] = msgspec.field(default_factory=dict)  # e.g. {130429: 429}
    callbacks: CallbackConfig = msgspec.field(default_factory=CallbackConfig)
    faults: FaultConfig = msgspec.field(default_factory=FaultConfig)
    google: GoogleConfig = msgspec.field(default_factory=GoogleConfig)
    seed: int | None = None  # seeds fault decisions, for reproducible runs

    def __post_init__(self) -> None:
        for account in self.accounts:
            for number in account.phone_numbers:
                if not 1 <= number.throughput_mps <= MAX_THROUGHPUT:
                    raise ConfigError(f"throughput_mps of number {number.phone_number_id} must be 1..{MAX_THROUGHPUT}")
        if self.callbacks.batch_size < 1 or self.callbacks.concurrency < 1:
            raise ConfigError("callbacks.batch_size and callbacks.concurrency must be at least 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SandboxConfig:
        """Build from TOML/JSON-shaped data; raises :class:`ConfigError` naming a wrong or unknown key."""
        try:
            return msgspec.convert(data, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"sandbox config: {exc}") from None

    def replace(self, **changes: Any) -> SandboxConfig:
        return msgspec.structs.replace(self, **changes)
