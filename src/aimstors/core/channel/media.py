"""Media: upload (multipart), metadata, download and delete.

Uploaded media ids live 30 days; ids from webhooks 7 days. A media URL from :meth:`MediaApi.get` is valid for
5 minutes and must be fetched with the same bearer token (:meth:`MediaApi.download`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.errors import InvalidResponse
from aimstors.core.channel.graph import GraphApi
from aimstors.core.channel.transport import MultipartField
from aimstors.core.errors import InvalidInput

__all__ = ["DownloadedMedia", "MediaApi", "MediaInfo"]

DEFAULT_MAX_DOWNLOAD = 100 * 1024 * 1024  # documents may be 100 MB, the largest kind Meta accepts


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """``GET /{media-id}``: where to download the file and what it is."""

    id: str
    url: str | None
    mime_type: str | None
    sha256: str | None
    file_size: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MediaInfo:
        size = data.get("file_size")
        return cls(
            id=str(data.get("id", "")),
            url=data.get("url"),
            mime_type=data.get("mime_type"),
            sha256=data.get("sha256"),
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class DownloadedMedia:
    content: bytes
    mime_type: str | None


class MediaApi:
    """Media endpoints; ``token`` on each call overrides the client's access token."""

    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph

    async def upload(
        self,
        phone_number_id: str,
        content: bytes,
        mime_type: str,
        *,
        filename: str = "file",
        token: str | None = None,
    ) -> str:
        """Upload ``content`` for ``phone_number_id`` and return the new media id."""
        if not content:
            raise InvalidInput("media: the file is empty")
        parts = [
            MultipartField("messaging_product", "whatsapp"),
            MultipartField("type", mime_type),
            MultipartField("file", content, filename=filename, content_type=mime_type),
        ]
        data = await self._graph.call("POST", f"{phone_number_id}/media", token=token, multipart=parts)
        media_id = data.get("id")
        if not media_id:
            raise InvalidResponse("media upload answered without an id")
        return str(media_id)

    async def get(self, media_id: str, *, phone_number_id: str | None = None, token: str | None = None) -> MediaInfo:
        """Metadata and a short-lived download URL; ``phone_number_id`` makes Meta check the media is its."""
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        return MediaInfo.from_dict(await self._graph.call("GET", media_id, token=token, params=params))

    async def download(
        self, url: str, *, token: str | None = None, max_bytes: int = DEFAULT_MAX_DOWNLOAD
    ) -> DownloadedMedia:
        """Fetch a media URL (from :meth:`get` or a webhook) with the bearer token Meta requires."""
        response = await self._graph.fetch(url, token=token)
        if len(response.body) > max_bytes:
            raise InvalidInput(f"media: {len(response.body)} bytes exceeds the {max_bytes}-byte limit")
        return DownloadedMedia(content=response.body, mime_type=response.headers.get("content-type"))

    async def delete(self, media_id: str, *, phone_number_id: str | None = None, token: str | None = None) -> bool:
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        data = await self._graph.call("DELETE", media_id, token=token, params=params)
        return bool(data.get("success"))
