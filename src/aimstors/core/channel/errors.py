"""Errors of the WhatsApp Cloud API, typed by Meta's error code.

Meta answers a failed call with one envelope::

    {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
               "error_subcode": 2494055, "error_data": {"messaging_product": "whatsapp", "details": "..."},
               "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam", "is_transient": true}}

:func:`error_from_response` turns it into an instance of the class registered for ``code`` in
:data:`ERROR_CLASSES` (codes 200-299 are permission errors). Build handling on the class and on
:attr:`CloudApiError.retryable`, never on the message text: Meta advises the same. Every error keeps the HTTP
status, code, subcode, ``error_data.details`` and ``fbtrace_id`` for support requests.

    CloudApiError                     root; ``retryable`` says whether the same request may be sent again
    ├── SendOutcomeUnknown            timeout or dropped connection: Meta may or may not have accepted it
    ├── CloudApiUnreachable           no connection could be made: nothing was sent        (retryable)
    ├── InvalidResponse               Meta answered 2xx with a body that is not the expected JSON
    └── MetaApiError                  Meta's error envelope (or an HTTP error without one)
        ├── AuthenticationError       0, 190: token expired or invalid
        │   └── MissingPermission     3, 10, 200-299: the token lacks a permission or asset access
        ├── ThrottlingError           4, 17, 80007, 130429: back off                    (retryable)
        │   └── PairRateLimited       131056: too many messages to one user            (retryable)
        ├── TransientError            1, 2, 131000, 131016, 131057, 133004             (retryable)
        ├── InvalidParameter          100, 131008, 131009, 131021, 135000, 33
        ├── ReengagementRequired      131047: outside the 24-hour window, send a template
        ├── Undeliverable             131026
        ├── MarketingLimitReached     131049: Meta chose not to deliver (per-user marketing limit)
        ├── UserOptedOut              131050: user stopped marketing messages
        ├── PolicyViolation           368, 130497, 131031, 131048
        ├── MediaError                131052, 131053
        ├── PhoneRegistrationError    133005, 133006, 133008, 133009, 133010, 133015, 133016
        ├── TemplateError             132xxx
        │   ├── TemplateParameterCountMismatch   132000
        │   ├── TemplateNotFound                 132001
        │   ├── TemplateTextTooLong              132005
        │   ├── TemplatePolicyViolation          132007
        │   ├── TemplateParameterFormatMismatch  132008, 132012
        │   ├── TemplatePaused                   132015
        │   ├── TemplateDisabled                 132016
        │   ├── FlowBlocked                      132068
        │   └── FlowThrottled                    132069                             (retryable)
        └── UnknownApiError           any other code: retryable if HTTP 5xx or 429, or Meta says ``is_transient``

Messages never contain tokens, phone numbers or message bodies; Meta's own error text does not either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from aimstors.core.errors import AimstorsError

__all__ = [
    "ERROR_CLASSES",
    "AuthenticationError",
    "CloudApiError",
    "CloudApiUnreachable",
    "FlowBlocked",
    "FlowThrottled",
    "InvalidParameter",
    "InvalidResponse",
    "MarketingLimitReached",
    "MediaError",
    "MetaApiError",
    "MissingPermission",
    "PairRateLimited",
    "PhoneRegistrationError",
    "PolicyViolation",
    "ReengagementRequired",
    "SendOutcomeUnknown",
    "TemplateDisabled",
    "TemplateError",
    "TemplateNotFound",
    "TemplateParameterCountMismatch",
    "TemplateParameterFormatMismatch",
    "TemplatePaused",
    "TemplatePolicyViolation",
    "TemplateTextTooLong",
    "ThrottlingError",
    "TransientError",
    "Undeliverable",
    "UnknownApiError",
    "UserOptedOut",
    "error_class_for",
    "error_from_response",
]


class CloudApiError(AimstorsError):
    """Base of every error raised while talking to the Cloud API.

    ``status`` is the HTTP status Meta answered with (``None`` when there was no answer); ``error_code``,
    ``error_subcode``, ``error_type``, ``details`` and ``fbtrace_id`` come from Meta's envelope.
    ``retryable`` is True when sending the same request again later can succeed.
    """

    code = "cloud_api_error"
    exit_code = 11
    http_status = 502  # for our own API: the upstream failed, not the caller
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: int | None = None,
        error_subcode: int | None = None,
        error_type: str | None = None,
        details: str | None = None,
        fbtrace_id: str | None = None,
        is_transient: bool | None = None,
        raw: Mapping[str, Any] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.error_code = error_code
        self.error_subcode = error_subcode
        self.error_type = error_type
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.is_transient = is_transient
        self.raw: Mapping[str, Any] = raw or {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, error_code={self.error_code}, "
            f"error_subcode={self.error_subcode}, retryable={self.retryable}, fbtrace_id={self.fbtrace_id!r})"
        )


class SendOutcomeUnknown(CloudApiError):
    """The request may have reached Meta, but no answer came back (timeout, dropped connection, unreadable
    success body). A message may or may not have been accepted: never report it as sent or failed, and do
    not repeat it blindly; wait for the status webhook carrying its ``biz_opaque_callback_data``."""

    code = "cloud_api_outcome_unknown"
    http_status = 504
    retryable = False


class CloudApiUnreachable(CloudApiError):
    """No connection to the Cloud API could be made; the request was never sent, so repeating it is safe."""

    code = "cloud_api_unreachable"
    http_status = 503
    retryable = True


class InvalidResponse(CloudApiError):
    """Meta answered, but not with the JSON this call expects."""

    code = "cloud_api_invalid_response"


class MetaApiError(CloudApiError):
    """Meta rejected the request with its error envelope. Subclasses are picked by ``error_code``."""

    codes: ClassVar[tuple[int, ...]] = ()


class AuthenticationError(MetaApiError):
    """The access token is expired, revoked or not valid for this app: get a new token."""

    codes: ClassVar[tuple[int, ...]] = (0, 190)


class MissingPermission(AuthenticationError):
    """The token lacks a permission (``whatsapp_business_messaging``/``_management``) or asset access."""

    codes = (3, 10)


class ThrottlingError(MetaApiError):
    """A rate limit was hit (app, WABA or per-number throughput): back off and retry."""

    codes: ClassVar[tuple[int, ...]] = (4, 17, 80007, 130429)
    retryable = True


class PairRateLimited(ThrottlingError):
    """Too many messages to the same user in a short time; retry that recipient later (4^n seconds)."""

    codes = (131056,)


class TransientError(MetaApiError):
    """Meta had a temporary problem; the request may succeed later."""

    codes = (1, 2, 131000, 131016, 131057, 133004)
    retryable = True


class InvalidParameter(MetaApiError):
    """A parameter is missing, misspelled or has a value Meta does not accept: fix the request."""

    codes = (33, 100, 131008, 131009, 131021, 135000)


class ReengagementRequired(MetaApiError):
    """More than 24 hours since the user's last message: only a template can be sent."""

    codes = (131047,)


class Undeliverable(MetaApiError):
    """The message cannot be delivered to this user (not on WhatsApp, old client, terms not accepted)."""

    codes = (131026,)


class MarketingLimitReached(MetaApiError):
    """Meta chose not to deliver, e.g. the user's marketing-message limit; wait at least 24 hours."""

    codes = (131049,)


class UserOptedOut(MetaApiError):
    """The user stopped marketing messages from this business."""

    codes = (131050,)


class PolicyViolation(MetaApiError):
    """The account or number is blocked, restricted or locked by policy enforcement."""

    codes = (368, 130497, 131031, 131048)


class MediaError(MetaApiError):
    """The media could not be downloaded or uploaded (size, MIME type)."""

    codes = (131052, 131053)


class PhoneRegistrationError(MetaApiError):
    """Registering or verifying the business phone number failed (PIN, verification, limits)."""

    codes = (133005, 133006, 133008, 133009, 133010, 133015, 133016)


class TemplateError(MetaApiError):
    """The template or its parameters were rejected."""


class TemplateParameterCountMismatch(TemplateError):
    codes = (132000,)


class TemplateNotFound(TemplateError):
    """No approved template with that name in that language."""

    codes = (132001,)


class TemplateTextTooLong(TemplateError):
    codes = (132005,)


class TemplatePolicyViolation(TemplateError):
    codes = (132007,)


class TemplateParameterFormatMismatch(TemplateError):
    codes = (132008, 132012)


class TemplatePaused(TemplateError):
    """The template is paused for low quality; it can be sent again once unpaused."""

    codes = (132015,)


class TemplateDisabled(TemplateError):
    codes = (132016,)


class FlowBlocked(TemplateError):
    codes = (132068,)


class FlowThrottled(TemplateError):
    codes = (132069,)
    retryable = True


class UnknownApiError(MetaApiError):
    """A code not in :data:`ERROR_CLASSES`, or an HTTP error without Meta's envelope."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        status = self.status or 0
        self.retryable = status >= 500 or status == 429 or bool(self.is_transient)


def _registry() -> dict[int, type[MetaApiError]]:
    registry: dict[int, type[MetaApiError]] = {}
    pending: list[type[MetaApiError]] = [MetaApiError]
    while pending:
        cls = pending.pop()
        for code in cls.__dict__.get("codes", ()):
            if code in registry:
                raise RuntimeError(f"Meta error code {code} registered twice")
            registry[code] = cls
        pending.extend(cls.__subclasses__())
    return registry


ERROR_CLASSES: dict[int, type[MetaApiError]] = _registry()
"""Meta error code → exception class. Codes 200-299 map to :class:`MissingPermission` in :func:`error_class_for`."""


def error_class_for(code: int | None) -> type[MetaApiError]:
    """The class registered for Meta error ``code``; :class:`UnknownApiError` when none is."""
    if code is None:
        return UnknownApiError
    found = ERROR_CLASSES.get(code)
    if found is not None:
        return found
    if 200 <= code <= 299:
        return MissingPermission
    return UnknownApiError


def error_from_response(status: int, body: bytes | Mapping[str, Any] | None) -> MetaApiError:
    """Build the typed error for an HTTP error answer (``status`` >= 400) from its raw body or parsed JSON."""
    payload: Any = body
    if isinstance(body, bytes | bytearray):
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
    envelope = payload.get("error") if isinstance(payload, Mapping) else None
    if not isinstance(envelope, Mapping):
        return UnknownApiError(f"Cloud API answered HTTP {status} without an error envelope", status=status)
    code = _as_int(envelope.get("code"))
    data = envelope.get("error_data")
    # Template endpoints sometimes send error_data as a plain string.
    details = data.get("details") if isinstance(data, Mapping) else data
    message = envelope.get("message")
    text = str(message) if message else "no message"
    transient = envelope.get("is_transient")
    return error_class_for(code)(
        f"Cloud API error {code if code is not None else '?'}: {text}",
        status=status,
        error_code=code,
        error_subcode=_as_int(envelope.get("error_subcode")),
        error_type=str(envelope["type"]) if envelope.get("type") is not None else None,
        details=str(details) if details is not None else None,
        fbtrace_id=str(envelope["fbtrace_id"]) if envelope.get("fbtrace_id") is not None else None,
        is_transient=transient if isinstance(transient, bool) else None,
        raw=envelope,
    )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
