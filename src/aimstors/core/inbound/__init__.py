"""Inbound: Meta's webhooks from the raw bytes to contacts, conversations, messages, statuses and events.

    ingest = WebhookIngest(db)                   # the daemon: durable, group-committed storage + processing job
    receipt = await ingest.submit(raw_body)
    register(registry, services)                 # workers: the ``webhook.process`` handler
    await replay(db, processor_for(services), actor, since=…)   # `aimstors webhooks replay`

Files: ``ingest`` (group commit), ``jobs`` (the job payload), ``processor`` (one batch end to end), ``plan`` and
``routing`` (who gets what), ``contacts``, ``conversations``, ``messages``, ``statuses``, ``recipients``,
``usage``, ``templates``, ``consent`` (the rows each kind of update changes), ``locks`` (Postgres advisory locks),
``records`` (list/show/replay), ``handlers`` (queue registration).
"""

from __future__ import annotations

from aimstors.core.inbound.consent import KeywordMatcher
from aimstors.core.inbound.handlers import processor_for, register
from aimstors.core.inbound.ingest import MAX_BODY_BYTES, IngestUnavailable, Receipt, WebhookIngest
from aimstors.core.inbound.jobs import PROCESS_KIND, RECONCILE_DELAYS, WEBHOOK_QUEUE, EventRef
from aimstors.core.inbound.processor import InboundProcessor, ProcessReport
from aimstors.core.inbound.records import (
    EVENT_STATUSES,
    ReplayResult,
    WebhookEventDetail,
    WebhookEventInfo,
    get_event,
    list_events,
    replay,
)

__all__ = [
    "EVENT_STATUSES",
    "MAX_BODY_BYTES",
    "PROCESS_KIND",
    "RECONCILE_DELAYS",
    "WEBHOOK_QUEUE",
    "EventRef",
    "InboundProcessor",
    "IngestUnavailable",
    "KeywordMatcher",
    "ProcessReport",
    "Receipt",
    "ReplayResult",
    "WebhookEventDetail",
    "WebhookEventInfo",
    "WebhookIngest",
    "get_event",
    "list_events",
    "processor_for",
    "register",
    "replay",
]
