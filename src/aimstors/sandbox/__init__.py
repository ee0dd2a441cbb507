"""A local, faithful emulator of Meta's WhatsApp Cloud API, plus Gemini and Google stand-ins (DESIGN §7).

A real HTTP server: Graph endpoints under ``/{version}`` validated against Meta's OpenAPI schemas, Meta's
rules and error envelopes, signed and batched webhooks, simulated users, fault injection, and an inspection
and control API under ``/_sandbox``. Production code talks to it unchanged; only base URLs differ.

    create_sandbox_app(config) -> Litestar       the app (composition root)
    serve(config)                                 run it in the foreground (``aimstors sandbox serve``)
    running_sandbox(config)                       async context manager: a task in this loop -> base URL
    SandboxThread(config)                         the same on a background thread, for sync code
    SandboxRemote(base_url)                       a small client of the control/inspection API

Files: ``config`` (settings), ``state`` (the in-memory world), ``validation``/``spec`` (Meta's schemas),
``messaging``/``templates``/``template_store``/``media``/``accounts``/``users`` (the Graph behaviour),
``limits`` (throughput, pair rate, histogram), ``callbacks``/``payloads`` (webhooks), ``faults``,
``gemini``/``google`` (stand-ins), ``routes/`` (HTTP), ``app``, ``runner``, ``remote``.
"""

from __future__ import annotations

from aimstors.sandbox.app import create_sandbox_app, sandbox_of
from aimstors.sandbox.config import (
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    DEFAULT_WABA_ID,
    AccountConfig,
    CallbackConfig,
    GoogleConfig,
    PhoneNumberConfig,
    SandboxConfig,
    SignupCodeConfig,
    TemplateSeed,
)
from aimstors.sandbox.faults import FaultConfig
from aimstors.sandbox.remote import SandboxRemote
from aimstors.sandbox.runner import RunningSandbox, SandboxThread, running_sandbox, serve
from aimstors.sandbox.runtime import Sandbox

__all__ = [
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_WABA_ID",
    "AccountConfig",
    "CallbackConfig",
    "FaultConfig",
    "GoogleConfig",
    "PhoneNumberConfig",
    "RunningSandbox",
    "Sandbox",
    "SandboxConfig",
    "SandboxRemote",
    "SandboxThread",
    "SignupCodeConfig",
    "TemplateSeed",
    "create_sandbox_app",
    "running_sandbox",
    "sandbox_of",
    "serve",
]
