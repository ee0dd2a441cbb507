"""Audiences: who a campaign goes to. The one place audiences are defined, saved and resolved.

Kinds (``definitions``): static lists (``audience_members``), segments (saved contact filters on tags, attributes,
last inbound time and opt-out), CSV files and Google Sheet ranges read at send time, and retargeting (recipients
of a campaign by status). Opted-out contacts are always suppressed, and so are contacts cooling down after Meta's
per-user marketing limit (131049) until ``marketing_limited_until``.

    resolve(db, tenant_id, audience, ...)   async iterator of Recipient batches (contact_id, wa_id, attributes, name)
    count(db, tenant_id, audience, ...)     AudienceCount: matched, opted_out, marketing_limited, invalid, eligible
    audience_spec(db, tenant_id, audience)  the reference checked and made concrete (NotFound / InvalidInput)

``audience`` is a text spec (``all``, ``tag:NAME``, ``audience:NAME``, ``campaign:ID:STATUS[,STATUS]``), a saved
audience's id, or an AudienceSpec (``AudienceSpec.everyone()``, ``.tagged("vip")``, ``.retarget(12, ["read"])``).

Services for interfaces (actor-checked, in ``service``): create_audience, create_static_from_csv, list_audiences,
get_audience, preview_audience, delete_audience, add_members, remove_members.

Files: ``definitions`` (kinds and their JSON), ``specs`` (what resolve takes; text specs), ``recipients``
(Recipient, AudienceCount, suppression), ``stored`` (database kinds as keyset queries), ``tables`` (CSV and sheet
kinds), ``resolve``, ``members`` (static list membership), ``views``, ``service``.
"""

from __future__ import annotations

from aimstors.core.audiences.definitions import (
    RETARGET_STATUSES,
    AudienceKind,
    CsvFileRules,
    RetargetRules,
    Rules,
    SegmentRules,
    SheetRules,
    StaticRules,
    TableMapping,
)
from aimstors.core.audiences.recipients import AudienceCount, Recipient
from aimstors.core.audiences.resolve import audience_spec, count, resolve
from aimstors.core.audiences.service import (
    add_members,
    create_audience,
    create_static_from_csv,
    delete_audience,
    get_audience,
    list_audiences,
    preview_audience,
    remove_members,
)
from aimstors.core.audiences.specs import AudienceRef, AudienceSpec, SavedAudience, parse_audience
from aimstors.core.audiences.views import AudiencePreview, AudienceView

__all__ = [
    "RETARGET_STATUSES",
    "AudienceCount",
    "AudienceKind",
    "AudiencePreview",
    "AudienceRef",
    "AudienceSpec",
    "AudienceView",
    "CsvFileRules",
    "Recipient",
    "RetargetRules",
    "Rules",
    "SavedAudience",
    "SegmentRules",
    "SheetRules",
    "StaticRules",
    "TableMapping",
    "add_members",
    "audience_spec",
    "count",
    "create_audience",
    "create_static_from_csv",
    "delete_audience",
    "get_audience",
    "list_audiences",
    "parse_audience",
    "preview_audience",
    "remove_members",
    "resolve",
]
