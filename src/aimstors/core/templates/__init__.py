"""Message templates: the local copy of each template per (WhatsApp account, name, language).

    findings = TemplateLinter().lint(read_definition_file("promo.yaml"))    # Meta's rules, before anything
    await lifecycle.create_draft(services, actor, definition=…, tenant_slug="shop-a")
    await lifecycle.submit(services, actor, name="promo", tenant_slug="shop-a")      # PENDING at Meta
    await sync.sync_templates(services, actor, tenant_slug="shop-a")                  # status from Meta
    send = check_send(template_row, {"1": "Pablo"})                                   # before every send

Modules: ``definitions`` (files, placeholders), ``lint`` with ``placeholder_rules`` and ``button_rules`` (the
pre-flight linter, findings in ``findings``), ``sending`` (``check_send``: values for one send), ``preview``,
``lookup`` (accounts, names, tokens), ``lifecycle`` (draft, submit, delete), ``sync``, ``jobs`` (the periodic
``templates.sync`` job: :func:`register` it with the worker's registry) and ``catalog`` (read-only listing).
"""

from __future__ import annotations

from aimstors.core.templates.findings import Finding, Severity, TemplateLintFailed
from aimstors.core.templates.jobs import SYNC_KIND, SYNC_TICK, register
from aimstors.core.templates.lint import TemplateLinter
from aimstors.core.templates.sending import SendParameters, TemplateNotSendable, TemplateSend, check_send

__all__ = [
    "SYNC_KIND",
    "SYNC_TICK",
    "Finding",
    "SendParameters",
    "Severity",
    "TemplateLintFailed",
    "TemplateLinter",
    "TemplateNotSendable",
    "TemplateSend",
    "check_send",
    "register",
]
