"""Every table of aimstors. Importing this package registers all models on ``Base.metadata``."""

from __future__ import annotations

from aimstors.core.db.models.ai import Agent, AgentKnowledgeBase, Chunk, Document, Integration, KnowledgeBase
from aimstors.core.db.models.automation import Execution, ExecutionStep, Workflow, WorkflowVersion
from aimstors.core.db.models.billing import (
    DailyMetric,
    LedgerAccount,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerTransaction,
    UsageEvent,
)
from aimstors.core.db.models.campaigns import Campaign, CampaignRecipient
from aimstors.core.db.models.channel import PhoneNumber, WhatsAppAccount
from aimstors.core.db.models.contacts import Audience, AudienceMember, Contact, ContactTag
from aimstors.core.db.models.inbox import CannedReply, Conversation, Message, Note
from aimstors.core.db.models.jobs import Job
from aimstors.core.db.models.templates import Template
from aimstors.core.db.models.tenancy import (
    ApiKey,
    AuditEntry,
    Branding,
    Domain,
    Membership,
    Plan,
    RateCard,
    Tenant,
    TenantPlan,
    User,
)
from aimstors.core.db.models.webhooks import WebhookEvent

__all__ = [
    "Agent",
    "AgentKnowledgeBase",
    "ApiKey",
    "Audience",
    "AudienceMember",
    "AuditEntry",
    "Branding",
    "Campaign",
    "CampaignRecipient",
    "CannedReply",
    "Chunk",
    "Contact",
    "ContactTag",
    "Conversation",
    "DailyMetric",
    "Document",
    "Domain",
    "Execution",
    "ExecutionStep",
    "Integration",
    "Job",
    "KnowledgeBase",
    "LedgerAccount",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerTransaction",
    "Membership",
    "Message",
    "Note",
    "PhoneNumber",
    "Plan",
    "RateCard",
    "Template",
    "Tenant",
    "TenantPlan",
    "UsageEvent",
    "User",
    "WebhookEvent",
    "WhatsAppAccount",
    "Workflow",
    "WorkflowVersion",
]

# Tables partitioned by month on Postgres, with their partition column.
PARTITIONED_TABLES: dict[str, str] = {
    "messages": "created_at",
    "webhook_events": "received_at",
    "usage_events": "occurred_at",
    "execution_steps": "created_at",
}

# Tables NOT under row-level security: global rows (users), system tables read only in the system scope.
NON_TENANT_TABLES: frozenset[str] = frozenset({"users", "jobs", "webhook_events", "alembic_version"})
