"""What a failure or a skip means, in words an operator can act on (Meta's error table, DESIGN §3).

Reports and exports show these next to each error code and skip reason; :func:`explain` falls back to Meta's own
title (kept on the recipient) for codes not listed here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ERRORS", "SKIPS", "UNKNOWN_EXPLANATION", "explain", "explain_skip"]

ERRORS: Final[dict[int, str]] = {
    0: "Meta could not authenticate the app (the access token expired or was invalidated); reconnect the account",
    2: "Meta's service was temporarily down or overloaded; retried with backoff",
    3: "the token lacks a capability or permission for this call",
    4: "the app hit Meta's API call rate limit; retried after backing off",
    10: "permission denied: the token cannot send for this number",
    33: "the business phone number was deleted",
    100: "Meta refused a parameter of the request (unsupported, misspelled or too long)",
    190: "the access token expired; reconnect the WhatsApp account",
    368: "the account is temporarily blocked for a policy violation",
    80007: "the WhatsApp Business Account hit its rate limit; retried after backing off",
    130429: "the number's throughput (messages per second) was reached; sending slowed down and retried",
    130472: "the user is part of a Meta marketing-message experiment and was not sent to",
    130497: "the business may not message users in this country",
    131000: "Meta failed with an unknown error; retried with backoff",
    131005: "access denied by Meta",
    131008: "a required parameter is missing",
    131009: "a parameter value is not valid",
    131016: "Meta's service was unavailable; retried with backoff",
    131021: "the recipient is the sending number itself",
    131026: "the message could not be delivered: the number is not on WhatsApp, has not accepted the terms, "
    "or runs a very old WhatsApp",
    131030: "the recipient is not in the test number's allowed list",
    131031: "the business account is locked (policy, or a wrong two-step PIN)",
    131042: "a payment or eligibility problem on the business account (check billing in Business Manager)",
    131047: "more than 24 hours since the user last wrote; only templates can be sent",
    131048: "the number is restricted for spam (too many blocks or reports)",
    131049: "Meta chose not to deliver this marketing message (the user's per-user marketing limit); "
    "the contact is held from marketing for 24 hours",
    131050: "the user stopped marketing messages from this business",
    131051: "the message type is not supported",
    131052: "the user's media could not be downloaded",
    131053: "the media could not be uploaded (size or type)",
    131056: "too many messages to this user in a short time (pair rate limit); deferred and retried later",
    131057: "the business account is in maintenance (e.g. a throughput upgrade); retried later",
    132000: "the number of parameters does not match the template's placeholders",
    132001: "the template does not exist in this language, or is not approved",
    132005: "the template's text is too long once the parameters are filled in",
    132007: "the template's content breaks WhatsApp's policy",
    132008: "a parameter value has the wrong format",
    132012: "a parameter value has the wrong format for its placeholder",
    132015: "the template is paused for low quality; resume the campaign once Meta unpauses it",
    132016: "the template is disabled for low quality; create a new one",
    132068: "the flow is blocked",
    132069: "the flow is throttled (10 messages an hour); retried later",
    133010: "the phone number is not registered with the Cloud API",
}

SKIPS: Final[dict[str, str]] = {
    "opted_out": "the contact opted out of marketing",
    "marketing_limited": "Meta's per-user marketing limit (131049) holds this contact for a while",
    "cancelled": "the campaign was cancelled before this recipient was sent",
    "invalid_message": "the message for this recipient could not be built (see the detail)",
}

UNKNOWN_EXPLANATION: Final = (
    "the send's answer was lost (timeout or dropped connection): Meta may or may not have accepted it; it is never "
    "resent blindly, and a status webhook carrying its callback data settles it"
)


def explain(code: int | None, title: str | None = None) -> str:
    """An explanation of Meta error ``code`` (Meta's own title when the code is not in :data:`ERRORS`)."""
    if code is not None and code in ERRORS:
        return ERRORS[code]
    if title:
        return title
    return "Meta reported an error without a known code" if code is None else f"Meta error {code}"


def explain_skip(reason: str | None) -> str:
    return SKIPS.get(reason or "", reason or "skipped")
