"""Meta's Graph API errors as the sandbox raises them, and the envelope they are answered with.

Every rule the sandbox enforces raises :class:`GraphError` with Meta's code; the app turns it into Meta's
envelope (``{"error": {"message": "(#code) title", "type", "code", "error_data", "error_subcode"?,
"fbtrace_id", "is_transient"?}}``) with the HTTP status of Meta's error table, which a config may override per
code (Meta's table and its OpenAPI spec disagree on 400 vs 429 for the rate limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from aimstors.sandbox.ids import fbtrace_id

__all__ = ["CATALOGUE", "ErrorInfo", "GraphError", "error_object", "graph_error"]


class ErrorInfo(NamedTuple):
    title: str
    http_status: int
    details: str
    transient: bool = False


# code -> Meta's title, HTTP status (Meta's error-code table) and a default error_data.details.
CATALOGUE: dict[int, ErrorInfo] = {
    1: ErrorInfo("An unknown error occurred", 400, "An unknown error occurred.", True),
    2: ErrorInfo("Service temporarily unavailable", 503, "Temporary due to downtime or due to being overloaded.", True),
    100: ErrorInfo("Invalid parameter", 400, "Invalid parameter."),
    131000: ErrorInfo("Something went wrong", 500, "Message failed to send due to an unknown error.", True),
    131008: ErrorInfo("Required parameter is missing", 400, "A required parameter is missing."),
    131009: ErrorInfo("Parameter value is not valid", 400, "One or more parameter values are invalid."),
    131016: ErrorInfo("Service unavailable", 500, "A service is temporarily unavailable.", True),
    131026: ErrorInfo("Message undeliverable", 400, "Unable to deliver message."),
    131047: ErrorInfo(
        "Re-engagement message",
        400,
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    ),
    131053: ErrorInfo("Media upload error", 400, "Unable to download the media sent by the business."),
    131056: ErrorInfo(
        "(Business Account, Consumer Account) pair rate limit hit",
        400,
        "Too many messages sent from the sender phone number to the same recipient phone number in a short "
        "period of time.",
        True,
    ),
    130429: ErrorInfo("Rate limit hit", 400, "Cloud API message throughput has been reached.", True),
    132000: ErrorInfo(
        "Number of parameters does not match the expected number of params",
        400,
        "The number of variable parameter values included in the request did not match the number of variable "
        "parameters defined in the template.",
    ),
    132001: ErrorInfo(
        "Template name does not exist in the translation",
        404,
        "The template does not exist in the specified language or the template has not been approved.",
    ),
    132012: ErrorInfo(
        "Parameter format does not match format in the created template",
        400,
        "Variable parameter values formatted incorrectly.",
    ),
    132015: ErrorInfo("Template is Paused", 400, "Template is paused due to low quality so it cannot be sent."),
    132016: ErrorInfo(
        "Template is Disabled",
        400,
        "Template has been paused too many times due to low quality and is now permanently disabled.",
    ),
    133005: ErrorInfo("Two step verification PIN Mismatch", 400, "Two-step verification PIN incorrect."),
    133010: ErrorInfo(
        "Phone number Not Registered", 400, "Phone number is not registered on the WhatsApp Business Platform."
    ),
    133016: ErrorInfo(
        "Account register deregister rate limit exceeded",
        400,
        "Registration or deregistration failed because there were too many attempts for this phone "
        "number in a short period of time.",
    ),
    190: ErrorInfo("Invalid OAuth access token", 401, ""),  # Meta's 190 carries no error_data
}


@dataclass(slots=True)
class GraphError(Exception):
    """A Graph API error: code, optional subcode and details; HTTP status from :data:`CATALOGUE`."""

    code: int
    details: str | None = None
    subcode: int | None = None
    message: str | None = None  # overrides "(#code) title"
    error_type: str = "OAuthException"
    user_title: str | None = None
    user_msg: str | None = None

    def __str__(self) -> str:
        return f"Graph error {self.code}"

    @property
    def info(self) -> ErrorInfo:
        return CATALOGUE.get(self.code, ErrorInfo("Error", 400, ""))

    def http_status(self, overrides: dict[int, int] | None = None) -> int:
        if overrides and self.code in overrides:
            return overrides[self.code]
        return self.info.http_status

    def envelope(self) -> dict[str, Any]:
        """Meta's ``{"error": {...}}`` body for this error (a fresh fbtrace_id each time)."""
        info = self.info
        error: dict[str, Any] = {
            "message": self.message or f"(#{self.code}) {info.title}",
            "type": self.error_type,
            "code": self.code,
        }
        details = self.details if self.details is not None else info.details
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if info.transient:
            error["is_transient"] = True
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def graph_error(code: int, details: str | None = None, **kwargs: Any) -> GraphError:
    """Shorthand used by the rules: ``raise graph_error(131047)``."""
    return GraphError(code, details, **kwargs)


def error_object(code: int, details: str | None = None) -> dict[str, Any]:
    """The error as it appears inside webhooks (``statuses[].errors[]``): title and message are identical."""
    info = CATALOGUE.get(code, ErrorInfo("Error", 400, ""))
    return {
        "code": code,
        "title": info.title,
        "message": info.title,
        "error_data": {"details": details if details is not None else info.details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
