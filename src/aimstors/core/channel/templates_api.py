"""Message template management: create, list (all pages), get, edit, delete.

Templates belong to a WhatsApp Business Account (WABA). A created template starts ``PENDING``; its status
then follows Meta's review (``message_template_status_update`` webhooks). Deleting by name removes every
language of that name; pass ``template_id`` to delete one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.errors import InvalidResponse
from aimstors.core.channel.graph import GraphApi

__all__ = ["CreatedTemplate", "TemplateInfo", "TemplatesApi"]

DEFAULT_FIELDS = ("id", "name", "language", "status", "category", "components", "quality_score")


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """A template as Meta lists it; fields not requested are ``None``."""

    id: str
    name: str | None
    language: str | None
    status: str | None
    category: str | None
    components: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TemplateInfo:
        components = data.get("components")
        return cls(
            id=str(data.get("id", "")),
            name=data.get("name"),
            language=data.get("language"),
            status=data.get("status"),
            category=data.get("category"),
            components=tuple(c for c in components if isinstance(c, Mapping)) if isinstance(components, list) else (),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class CreatedTemplate:
    id: str
    status: str | None
    category: str | None


class TemplatesApi:
    """Template endpoints; ``token`` on each call overrides the client's access token."""

    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph

    async def create(
        self,
        waba_id: str,
        *,
        name: str,
        language: str,
        category: str,
        components: Sequence[Mapping[str, Any]],
        parameter_format: str | None = None,
        token: str | None = None,
    ) -> CreatedTemplate:
        """Submit a template for review; ``parameter_format`` is ``"named"`` or ``"positional"`` (default)."""
        body: dict[str, Any] = {
            "name": name,
            "language": language,
            "category": category,
            "components": [dict(c) for c in components],
        }
        if parameter_format is not None:
            body["parameter_format"] = parameter_format
        data = await self._graph.call("POST", f"{waba_id}/message_templates", token=token, json_body=body)
        if not data.get("id"):
            raise InvalidResponse("template creation answered without an id")
        return CreatedTemplate(id=str(data["id"]), status=data.get("status"), category=data.get("category"))

    async def list(
        self,
        waba_id: str,
        *,
        fields: Sequence[str] = DEFAULT_FIELDS,
        status: str | None = None,
        name: str | None = None,
        page_size: int = 100,
        token: str | None = None,
    ) -> AsyncIterator[TemplateInfo]:
        """Every template of the WABA, page after page (following ``paging.cursors.after``)."""
        params: dict[str, str] = {"fields": ",".join(fields), "limit": str(page_size)}
        if status is not None:
            params["status"] = status
        if name is not None:
            params["name"] = name
        seen_cursors: set[str] = set()
        while True:
            page = await self._graph.call("GET", f"{waba_id}/message_templates", token=token, params=params)
            items = page.get("data")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, Mapping):
                    yield TemplateInfo.from_dict(item)
            after = _next_cursor(page)
            # Stop on the last page (no "next" link) and never loop on a cursor already followed.
            if after is None or after in seen_cursors or not items:
                return
            seen_cursors.add(after)
            params["after"] = after

    async def get(
        self, template_id: str, *, fields: Sequence[str] = DEFAULT_FIELDS, token: str | None = None
    ) -> TemplateInfo:
        data = await self._graph.call("GET", template_id, token=token, params={"fields": ",".join(fields)})
        return TemplateInfo.from_dict(data)

    async def edit(
        self,
        template_id: str,
        *,
        components: Sequence[Mapping[str, Any]] | None = None,
        category: str | None = None,
        token: str | None = None,
    ) -> bool:
        """Replace the components (wholesale) and/or the category of a template."""
        body: dict[str, Any] = {}
        if components is not None:
            body["components"] = [dict(c) for c in components]
        if category is not None:
            body["category"] = category
        data = await self._graph.call("POST", template_id, token=token, json_body=body)
        return bool(data.get("success"))

    async def delete(
        self, waba_id: str, name: str, *, template_id: str | None = None, token: str | None = None
    ) -> bool:
        """Delete every language of template ``name``, or only the one with ``template_id``."""
        params = {"name": name}
        if template_id is not None:
            params["hsm_id"] = template_id
        data = await self._graph.call("DELETE", f"{waba_id}/message_templates", token=token, params=params)
        return bool(data.get("success"))


def _next_cursor(page: Mapping[str, Any]) -> str | None:
    paging = page.get("paging")
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    return str(after) if after else None
