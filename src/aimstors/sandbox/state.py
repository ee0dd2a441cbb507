"""The sandbox's in-memory world: accounts, numbers, templates, conversations, messages, media.

Plain mutable records, owned by one event loop (the server's); nothing here is shared across threads.
:class:`Clock` is the sandbox's wall clock, which tests may move forward (``POST /_sandbox/clock``) to expire
a customer-service window without waiting a day.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import msgspec

from aimstors.sandbox.config import AccountConfig, PhoneNumberConfig, SandboxConfig

__all__ = [
    "Account",
    "Clock",
    "Conversation",
    "InboundMessage",
    "Media",
    "PhoneNumber",
    "SandboxState",
    "SentMessage",
    "Template",
    "digits",
]

_NON_DIGITS = re.compile(r"\D")


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


class Clock:
    """Wall-clock seconds, plus an offset tests can advance."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(slots=True)
class PhoneNumber:
    id: str
    waba_id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str
    throughput_mps: int
    messaging_limit_tier: str
    registered: bool
    pin: str | None
    register_calls: deque[float] = field(default_factory=deque)

    @property
    def digits(self) -> str:
        return digits(self.display_phone_number)

    @classmethod
    def from_config(cls, waba_id: str, cfg: PhoneNumberConfig) -> PhoneNumber:
        return cls(
            id=cfg.phone_number_id,
            waba_id=waba_id,
            display_phone_number=cfg.display_phone_number,
            verified_name=cfg.verified_name,
            quality_rating=cfg.quality_rating,
            throughput_mps=cfg.throughput_mps,
            messaging_limit_tier=cfg.messaging_limit_tier,
            registered=cfg.registered,
            pin=cfg.pin,
        )


@dataclass(slots=True)
class Account:
    waba_id: str
    name: str
    tokens: set[str]
    number_ids: list[str]
    subscribed: bool
    override_callback_uri: str | None = None


@dataclass(slots=True)
class Template:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    status: str
    parameter_format: str = "positional"
    rejected_reason: str = "NONE"
    created_at: float = 0.0

    def to_graph(self, fields: set[str] | None = None) -> dict[str, Any]:
        """The template as ``GET /{template_id}`` and the list endpoint show it (``id`` always)."""
        full: dict[str, Any] = {
            "name": self.name,
            "parameter_format": self.parameter_format.upper(),
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
        }
        if self.status == "REJECTED":
            full["rejected_reason"] = self.rejected_reason
        if not fields:
            return full
        return {k: v for k, v in full.items() if k in fields or k == "id"}


@dataclass(slots=True)
class SentMessage:
    """One accepted send, as the inspection API lists it."""

    wamid: str
    phone_number_id: str
    waba_id: str
    to: str  # as given in the request
    wa_id: str
    type: str
    body: dict[str, Any]
    biz_opaque_callback_data: str | None
    template: str | None  # "name/language" for template sends
    category: str  # pricing category: service, marketing, utility, authentication
    free: bool  # not billable (service, or utility inside the window)
    version: str
    accepted_at: float
    failure: int | None = None  # error code of a failed status, if any
    statuses: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.wamid,
            "phone_number_id": self.phone_number_id,
            "to": self.to,
            "wa_id": self.wa_id,
            "type": self.type,
            "template": self.template,
            "category": self.category,
            "biz_opaque_callback_data": self.biz_opaque_callback_data,
            "accepted_at": self.accepted_at,
            "statuses": self.statuses,
            "error_code": self.failure,
            "body": self.body,
        }


@dataclass(slots=True)
class InboundMessage:
    wamid: str
    phone_number_id: str
    wa_id: str
    type: str
    at: float
    read: bool = False


@dataclass(slots=True)
class Conversation:
    phone_number_id: str
    wa_id: str
    name: str
    last_inbound_at: float | None = None
    inbound: int = 0
    outbound: int = 0

    def window_open(self, now: float, window_seconds: float) -> bool:
        return self.last_inbound_at is not None and now - self.last_inbound_at < window_seconds


@dataclass(slots=True)
class Media:
    id: str
    phone_number_id: str
    waba_id: str
    mime_type: str
    data: bytes
    sha256: str
    filename: str | None
    created_at: float


class SandboxState:
    """Everything the sandbox remembers; rebuilt from the config on :meth:`reset`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.numbers: dict[str, PhoneNumber] = {}
        self.token_wabas: dict[str, set[str]] = {}
        self.templates: dict[str, Template] = {}
        self.template_keys: dict[tuple[str, str, str], str] = {}  # (waba, name, language) -> id
        self.messages: dict[str, SentMessage] = {}
        self.inbound: dict[str, InboundMessage] = {}
        self.conversations: dict[tuple[str, str], Conversation] = {}
        self.media: dict[str, Media] = {}
        self.signup_codes = {c.code: c for c in self.config.signup_codes}
        self.used_codes: set[str] = set()
        self.undeliverable: set[str] = {digits(n) for n in self.config.undeliverable}
        self.recipients: dict[str, dict[str, int]] = {}  # wa_id -> {"accepted": n, "sent": n, ...}
        for account in self.config.accounts:
            self.add_account(account)
        for signup in self.config.signup_codes:
            # An Embedded Signup customer's assets: reachable once the code is exchanged, then subscribed and
            # registered by the integrator, as at Meta.
            numbers = tuple(msgspec.structs.replace(n, registered=False) for n in signup.account.phone_numbers)
            self.add_account(msgspec.structs.replace(signup.account, subscribed=False, phone_numbers=numbers))

    def add_account(self, cfg: AccountConfig) -> Account:
        account = Account(
            waba_id=cfg.waba_id,
            name=cfg.name,
            tokens=set(cfg.tokens),
            number_ids=[n.phone_number_id for n in cfg.phone_numbers],
            subscribed=cfg.subscribed,
        )
        self.accounts[cfg.waba_id] = account
        for number in cfg.phone_numbers:
            self.numbers[number.phone_number_id] = PhoneNumber.from_config(cfg.waba_id, number)
        for token in cfg.tokens:
            self.grant(token, cfg.waba_id)
        return account

    def grant(self, token: str, waba_id: str) -> None:
        self.token_wabas.setdefault(token, set()).add(waba_id)
        self.accounts[waba_id].tokens.add(token)

    def conversation(self, phone_number_id: str, wa_id: str) -> Conversation:
        key = (phone_number_id, wa_id)
        found = self.conversations.get(key)
        if found is None:
            found = self.conversations[key] = Conversation(phone_number_id, wa_id, name=f"User {wa_id[-4:]}")
        return found

    def count(self, wa_id: str, what: str) -> None:
        counts = self.recipients.get(wa_id)
        if counts is None:
            counts = self.recipients[wa_id] = {}
        counts[what] = counts.get(what, 0) + 1

    def add_template(self, template: Template) -> None:
        self.templates[template.id] = template
        self.template_keys[(template.waba_id, template.name, template.language)] = template.id

    def remove_template(self, template: Template) -> None:
        self.templates.pop(template.id, None)
        self.template_keys.pop((template.waba_id, template.name, template.language), None)

    def find_template(self, waba_id: str, name: str, language: str) -> Template | None:
        template_id = self.template_keys.get((waba_id, name, language))
        return None if template_id is None else self.templates.get(template_id)
