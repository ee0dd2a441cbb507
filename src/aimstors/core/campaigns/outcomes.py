"""What one send attempt came to, decided from the Cloud API's answer (typed errors, never message text).

=============  ==========================================================  ===================================
kind           when                                                        the recipient
=============  ==========================================================  ===================================
accepted       Meta answered 200 with a wamid                              sent; charged once
failed         Meta refused this recipient for good (131026, 131049, …)    failed with the code
retry          a transient error (5xx, 131000, 131016, 2, 131057, …)       pending again after a backoff
throttled      130429 and the other throughput limits                      pending again; the pacer slows down
deferred       131056 pair rate                                            pending again after 4^n seconds
unknown        no answer (timeout, dropped connection)                     unknown: settled by a status webhook
unreachable    no connection could be made: nothing was sent               pending again; the number backs off
halt           the campaign itself cannot go on (template paused, token    pending again; the campaign pauses
               expired, number not registered, account locked)             with the reason shown
invalid        the message could not be built for this recipient           skipped
=============  ==========================================================  ===================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aimstors.core.campaigns.explanations import explain
from aimstors.core.channel import (
    AuthenticationError,
    CloudApiError,
    CloudApiUnreachable,
    InvalidResponse,
    PairRateLimited,
    SendOutcomeUnknown,
    TemplateError,
    ThrottlingError,
)
from aimstors.core.channel.errors import PhoneRegistrationError, PolicyViolation
from aimstors.core.errors import AimstorsError, ConfigError

__all__ = ["HALT_CODES", "Classified", "classify", "halt_reason"]

# Template errors that concern one recipient's values rather than the template itself.
_RECIPIENT_TEMPLATE_CODES: Final = frozenset({132005, 132008, 132012})
# Codes outside the typed classes that stop a whole campaign.
HALT_CODES: Final = frozenset({33, 131005, 131031, 131037, 131042, 131045, 131048, 368})
_DETAIL_CHARS: Final = 500


@dataclass(frozen=True, slots=True)
class Classified:
    kind: str
    code: int | None = None
    detail: str | None = None


def _detail(exc: CloudApiError) -> str:
    parts = [exc.message]
    if exc.details and exc.details not in exc.message:
        parts.append(exc.details)
    return ": ".join(parts)[:_DETAIL_CHARS]


def classify(exc: BaseException) -> Classified:
    """The outcome kind of a failed send (an accepted one is simply ``accepted``)."""
    if isinstance(exc, SendOutcomeUnknown | InvalidResponse):
        return Classified("unknown", None, str(exc)[:_DETAIL_CHARS])
    if isinstance(exc, CloudApiUnreachable):
        return Classified("unreachable", None, exc.message[:_DETAIL_CHARS])
    if isinstance(exc, CloudApiError):
        code = exc.error_code
        detail = _detail(exc)
        if isinstance(exc, PairRateLimited):
            return Classified("deferred", code, detail)
        if isinstance(exc, ThrottlingError):
            return Classified("throttled", code, detail)
        if isinstance(exc, TemplateError) and code not in _RECIPIENT_TEMPLATE_CODES:
            return Classified("retry" if exc.retryable else "halt", code, detail)
        if isinstance(exc, AuthenticationError | PhoneRegistrationError) or code in HALT_CODES:
            return Classified("halt", code, detail)
        if isinstance(exc, PolicyViolation) and code != 130497:
            return Classified("halt", code, detail)
        if exc.retryable:
            return Classified("retry", code, detail)
        return Classified("failed", code, detail)
    if isinstance(exc, ConfigError):
        return Classified("halt", None, exc.message)
    if isinstance(exc, AimstorsError):
        return Classified("invalid", None, exc.message[:_DETAIL_CHARS])
    # Anything else failed somewhere between us and Meta: the message may have gone out.
    return Classified("unknown", None, f"unexpected {type(exc).__name__} while sending")


def halt_reason(classified: Classified) -> str:
    """The pause reason shown for a campaign-level refusal."""
    code = f" ({classified.code})" if classified.code is not None else ""
    return f"Meta refused the send{code}: {explain(classified.code, classified.detail)}"
