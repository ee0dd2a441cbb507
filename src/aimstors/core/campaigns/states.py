"""The campaign state machine and the recipient states.

    draft ──▶ scheduled ──▶ running ⇄ paused
      │           │            │        │
      └───────────┴────────────┴────────┴──▶ completed | cancelled | failed

``running → completed`` happens when no recipient is left to send; ``failed`` when a start could not happen
(e.g. a scheduled start without enough credits). Completed, cancelled and failed are final.
"""

from __future__ import annotations

from typing import Final

from aimstors.core.errors import Conflict

__all__ = [
    "ACCEPTED",
    "CAMPAIGN_STATES",
    "FINAL",
    "RECIPIENT_STATES",
    "TRANSITIONS",
    "can_transition",
    "require_transition",
]

CAMPAIGN_STATES: Final = ("draft", "scheduled", "running", "paused", "completed", "cancelled", "failed")
FINAL: Final = frozenset({"completed", "cancelled", "failed"})
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "draft": frozenset({"scheduled", "running", "cancelled"}),
    "scheduled": frozenset({"running", "cancelled", "failed"}),
    "running": frozenset({"paused", "completed", "cancelled", "failed"}),
    "paused": frozenset({"running", "cancelled", "failed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "failed": frozenset(),
}

RECIPIENT_STATES: Final = ("pending", "sending", "sent", "delivered", "read", "failed", "skipped", "unknown")
ACCEPTED: Final = ("sent", "delivered", "read")
"""Recipient states that mean Meta accepted the message."""

_VERBS: Final = {
    "scheduled": "schedule",
    "running": "start",
    "paused": "pause",
    "completed": "complete",
    "cancelled": "cancel",
    "failed": "fail",
}
_HINTS: Final = {
    "draft": "schedule it with `campaign send ID --at TIME` or send it now with `campaign send ID`",
    "scheduled": "it starts on its own at the scheduled time; cancel it to stop that",
    "running": "pause or cancel it",
    "paused": "resume it with `campaign resume ID`, or cancel it",
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def require_transition(campaign_id: int, current: str, target: str) -> None:
    """Conflict naming the campaign, its state and what can be done from there, unless ``current → target``."""
    if can_transition(current, target):
        return
    verb = _VERBS.get(target, target)
    if current == target:
        raise Conflict(f"campaign {campaign_id} is already {current}")
    if current in FINAL:
        raise Conflict(f"campaign {campaign_id} is {current}; a finished campaign cannot {verb}")
    raise Conflict(f"campaign {campaign_id} is {current}; it cannot {verb} from there", hint=_HINTS.get(current))
