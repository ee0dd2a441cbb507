"""Template management endpoints (create, list with cursors, get, edit, delete) and template review.

New templates are PENDING until reviewed through the control API (approve/reject/pause/disable/unpause), or
APPROVED at once with ``auto_approve_templates``. Every status change posts a
``message_template_status_update`` webhook, as Meta does.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aimstors.sandbox import ids
from aimstors.sandbox.config import TemplateSeed
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.payloads import Event, template_update_value
from aimstors.sandbox.state import Template
from aimstors.sandbox.templates import check_definition
from aimstors.sandbox.validation import validate_operation

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["REVIEW_ACTIONS", "create", "delete", "delete_by_id", "edit", "get", "list_templates", "review", "seed"]

REVIEW_ACTIONS = {
    "approve": "APPROVED",
    "reject": "REJECTED",
    "pause": "PAUSED",
    "disable": "DISABLED",
    "unpause": "APPROVED",
}
_EDITABLE = {"APPROVED", "REJECTED", "PAUSED"}
_DEFAULT_LIMIT = 25


def seed(sandbox: Sandbox, seed_: TemplateSeed) -> Template:
    waba_id = seed_.waba_id or next(iter(sandbox.state.accounts))
    template = Template(
        id=ids.numeric_id(),
        waba_id=waba_id,
        name=seed_.name,
        language=seed_.language,
        category=seed_.category.upper(),
        components=[dict(c) for c in seed_.components],
        status=seed_.status.upper(),
        parameter_format=seed_.parameter_format,
        created_at=sandbox.clock.now(),
    )
    existing = sandbox.state.find_template(waba_id, template.name, template.language)
    if existing is not None:
        sandbox.state.remove_template(existing)
    sandbox.state.add_template(template)
    return template


def _notify(
    sandbox: Sandbox, template: Template, event: str, reason: str | None, other_title: str | None = None
) -> None:
    value = template_update_value(
        template.id, template.name, template.language, template.category, event, reason, other_title
    )

    def make(_now: int) -> Event:
        return Event("message_template_status_update", template.waba_id, None, None, value, "template")

    sandbox.dispatcher.schedule(make, 0.0)


def create(sandbox: Sandbox, waba_id: str, token: str | None, body: Any) -> dict[str, Any]:
    sandbox.account(waba_id, token)
    if not isinstance(body, dict):
        raise GraphError(100, "The request body must be a JSON object.")
    validate_operation("create_template", body)
    check_definition(body)
    name, language = body["name"], body["language"]
    if sandbox.state.find_template(waba_id, name, language) is not None:
        raise GraphError(
            100,
            f"Content in this language already exists for {name}.",
            subcode=2388024,
            user_title="Message template already exists",
            user_msg="Content in this language already exists.",
        )
    template = Template(
        id=ids.numeric_id(),
        waba_id=waba_id,
        name=name,
        language=language,
        category=str(body["category"]).upper(),
        components=list(body["components"]),
        status="PENDING",
        parameter_format=str(body.get("parameter_format", "positional")).lower(),
        created_at=sandbox.clock.now(),
    )
    sandbox.state.add_template(template)
    if sandbox.config.auto_approve_templates:
        template.status = "APPROVED"
        _notify(sandbox, template, "APPROVED", "NONE")
    return {"id": template.id, "status": template.status, "category": template.category}


def _encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, binascii.Error):
        raise GraphError(100, "Param after/before: invalid cursor.") from None


def list_templates(
    sandbox: Sandbox, waba_id: str, token: str | None, query: dict[str, str], base_url: str, version: str
) -> dict[str, Any]:
    sandbox.account(waba_id, token)
    fields = {f.strip() for f in query.get("fields", "").split(",") if f.strip()} or None
    name = query.get("name", "").lower()
    status = query.get("status", "").upper()
    category = query.get("category", "").upper()
    language = query.get("language", "")
    rows = [
        t
        for t in sandbox.state.templates.values()
        if t.waba_id == waba_id
        and (not name or name in t.name)
        and (not status or t.status == status)
        and (not category or t.category == category)
        and (not language or t.language == language)
    ]
    try:
        limit = max(1, min(int(query.get("limit", _DEFAULT_LIMIT)), 1000))
    except ValueError:
        raise GraphError(100, "Param limit must be an integer.") from None
    start = 0
    if "after" in query:
        start = _decode_cursor(query["after"]) + 1
    elif "before" in query:
        start = max(0, _decode_cursor(query["before"]) - limit)
    page = rows[start : start + limit]
    result: dict[str, Any] = {"data": [t.to_graph(fields) for t in page]}
    if page:
        end = start + len(page) - 1
        paging: dict[str, Any] = {"cursors": {"before": _encode_cursor(start), "after": _encode_cursor(end)}}
        keep = {k: v for k, v in query.items() if k not in {"after", "before", "access_token"}}
        if end + 1 < len(rows):
            paging["next"] = (
                f"{base_url}/{version}/{waba_id}/message_templates?{urlencode({**keep, 'after': _encode_cursor(end)})}"
            )
        if start > 0:
            paging["previous"] = (
                f"{base_url}/{version}/{waba_id}/message_templates?"
                f"{urlencode({**keep, 'before': _encode_cursor(start)})}"
            )
        result["paging"] = paging
    return result


def get(sandbox: Sandbox, template: Template, token: str | None, fields: str | None) -> dict[str, Any]:
    sandbox.authorize(token, template.waba_id)
    wanted = {f.strip() for f in (fields or "").split(",") if f.strip()} or None
    return template.to_graph(wanted)


def edit(sandbox: Sandbox, template: Template, token: str | None, body: Any) -> dict[str, Any]:
    sandbox.authorize(token, template.waba_id)
    if not isinstance(body, dict):
        raise GraphError(100, "The request body must be a JSON object.")
    validate_operation("edit_template", body)
    if template.status not in _EDITABLE:
        raise GraphError(
            100, f"A template with status {template.status} cannot be edited.", user_title="Template can't be edited"
        )
    category = body.get("category")
    if category is not None and template.status == "APPROVED" and str(category).upper() != template.category:
        raise GraphError(
            100, "The category of an approved template cannot be edited.", user_title="Template can't be edited"
        )
    check_definition({"parameter_format": template.parameter_format, **body}, creating=False)
    if category is not None:
        template.category = str(category).upper()
    if "components" in body:
        template.components = list(body["components"])  # replaced wholesale, as Meta does
    template.status = "APPROVED" if sandbox.config.auto_approve_templates else "PENDING"
    if template.status == "APPROVED":
        _notify(sandbox, template, "APPROVED", "NONE")
    return {"success": True}


def _delete(sandbox: Sandbox, templates: list[Template]) -> None:
    for template in templates:
        if template.status == "DISABLED":
            raise GraphError(100, "A disabled template cannot be deleted.", user_title="Template can't be deleted")
    for template in templates:
        sandbox.state.remove_template(template)
        _notify(sandbox, template, "PENDING_DELETION", None)


def delete(sandbox: Sandbox, waba_id: str, token: str | None, name: str | None, hsm_id: str | None) -> None:
    """``DELETE /{waba}/message_templates?name=`` (every language) or ``&hsm_id=`` (one template)."""
    sandbox.account(waba_id, token)
    if not name:
        raise GraphError(100, "Param name is required.")
    matches = [
        t
        for t in sandbox.state.templates.values()
        if t.waba_id == waba_id and t.name == name and (hsm_id is None or t.id == hsm_id)
    ]
    if not matches:
        raise GraphError(
            100, f'Message template "{name}" not found.', subcode=2593002, user_title="Message template not found"
        )
    _delete(sandbox, matches)


def delete_by_id(sandbox: Sandbox, template: Template, token: str | None) -> None:
    sandbox.authorize(token, template.waba_id)
    _delete(sandbox, [template])


def review(
    sandbox: Sandbox,
    name: str,
    action: str,
    *,
    language: str | None = None,
    reason: str | None = None,
    waba_id: str | None = None,
) -> list[Template]:
    """Move every matching template to the action's status and post the webhook; returns them."""
    status = REVIEW_ACTIONS.get(action)
    if status is None:
        raise ValueError(f"unknown review action {action!r} (one of {', '.join(REVIEW_ACTIONS)})")
    matches = [
        t
        for t in sandbox.state.templates.values()
        if t.name == name and (language is None or t.language == language) and (waba_id is None or t.waba_id == waba_id)
    ]
    if not matches:
        raise LookupError(f"no template named {name!r}")
    for template in matches:
        template.status = status
        event_reason: str | None = "NONE"
        if status == "REJECTED":
            template.rejected_reason = event_reason = (reason or "INVALID_FORMAT").upper()
        other = {"pause": "FIRST_PAUSE", "unpause": "UNPAUSE", "disable": "DISABLED"}.get(action)
        _notify(sandbox, template, status, event_reason, other)
    return matches
