"""What :func:`~aimstors.core.audiences.resolve` takes: a spec, a saved audience, or the text that names either.

Text specs are what a campaign stores in ``campaigns.audience`` and what people type:

    all                      every contact of the workspace
    tag:NAME                 contacts carrying the tag
    audience:NAME            a saved audience of any kind (by name, or by id when no audience has that name)
    campaign:ID:STATUS[,…]   retargeting: recipients of campaign ID whose send reached a status
                             (sent, delivered, read, unread, replied, failed, unknown, skipped)

:func:`parse_audience` checks the text's shape only; whether a named audience or campaign exists is checked when it
is resolved (:func:`~aimstors.core.audiences.resolve.audience_spec`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from aimstors.core.audiences.definitions import (
    RETARGET_STATUSES,
    AudienceKind,
    RetargetRules,
    Rules,
    SegmentRules,
)
from aimstors.core.contacts.tags import validate_tags
from aimstors.core.errors import InvalidInput

__all__ = ["AudienceRef", "AudienceSpec", "SavedAudience", "parse_audience"]

_TEXT: Final = re.compile(
    r"(?P<all>all)|tag:(?P<tag>.+)|audience:(?P<audience>.+)|campaign:(?P<campaign>[0-9]{1,18}):(?P<statuses>[a-z,]+)"
)


@dataclass(frozen=True, slots=True)
class AudienceSpec:
    """An audience to resolve: its rules and, for a saved one, its id and name (a static list's members are
    found by its id)."""

    rules: Rules
    audience_id: int | None = None
    name: str | None = None

    @property
    def kind(self) -> AudienceKind:
        return self.rules.kind

    @property
    def text(self) -> str:
        """The canonical text spec (see the module docstring); a saved audience is named by its name."""
        if self.name is not None:
            return f"audience:{self.name}"
        rules = self.rules
        if isinstance(rules, RetargetRules):
            return f"campaign:{rules.campaign_id}:{','.join(rules.statuses)}"
        if isinstance(rules, SegmentRules) and rules == SegmentRules(tags=rules.tags) and len(rules.tags) == 1:
            return f"tag:{rules.tags[0]}"
        if isinstance(rules, SegmentRules) and rules == SegmentRules():
            return "all"
        raise InvalidInput("this audience has no short text form; save it and name it (audience:NAME)")

    @classmethod
    def everyone(cls) -> AudienceSpec:
        """Every contact of the workspace (after suppression)."""
        return cls(SegmentRules())

    @classmethod
    def tagged(cls, *tags: str) -> AudienceSpec:
        """Contacts carrying all of ``tags``."""
        return cls(SegmentRules(tags=tuple(validate_tags(tags))))

    @classmethod
    def retarget(cls, campaign_id: int, statuses: Sequence[str]) -> AudienceSpec:
        """Recipients of a campaign whose send reached any of ``statuses`` (ad hoc; not saved)."""
        return cls(RetargetRules(campaign_id, tuple(dict.fromkeys(statuses))).check())


@dataclass(frozen=True, slots=True)
class SavedAudience:
    """A saved audience named by its name (or its id), to be looked up in the tenant when resolved."""

    ref: str

    @property
    def text(self) -> str:
        return f"audience:{self.ref}"


AudienceRef = AudienceSpec | SavedAudience | int | str  # what resolve() and count() accept


def parse_audience(text: str) -> AudienceSpec | SavedAudience:
    """The audience a text spec names; InvalidInput saying what is understood otherwise."""
    spec = (text or "").strip()
    match = _TEXT.fullmatch(spec)
    if match is None:
        raise InvalidInput(
            f"audience {text!r} is not understood",
            hint="use all, tag:NAME, audience:NAME or campaign:ID:STATUS (e.g. campaign:12:read)",
        )
    if match["all"]:
        return AudienceSpec.everyone()
    if match["tag"] is not None:
        return AudienceSpec.tagged(match["tag"])
    if match["audience"] is not None:
        ref = match["audience"].strip()
        if not ref:
            raise InvalidInput("audience: needs the audience's name")
        return SavedAudience(ref)
    statuses = [s for s in match["statuses"].split(",") if s]
    unknown = [s for s in statuses if s not in RETARGET_STATUSES]
    if unknown or not statuses:
        raise InvalidInput(
            f"retargeting status {(unknown or [''])[0]!r} is unknown", hint=f"use one of {', '.join(RETARGET_STATUSES)}"
        )
    return AudienceSpec.retarget(int(match["campaign"]), statuses)
