"""Media: upload (multipart), metadata with a short-lived download URL, download with the token, delete.

As at Meta: supported MIME types and sizes are checked on upload; ``GET /{media_id}`` answers a URL valid for
five minutes that must be fetched with ``Authorization: Bearer`` (a token of the owning WABA); an optional
``phone_number_id`` makes the call fail unless the media belongs to that number.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aimstors.sandbox import ids
from aimstors.sandbox.errors import GraphError
from aimstors.sandbox.state import Media

if TYPE_CHECKING:
    from aimstors.sandbox.runtime import Sandbox

__all__ = ["DOWNLOAD_PATH", "MAX_BYTES", "delete", "download", "metadata", "upload"]

DOWNLOAD_PATH = "/whatsapp_business/attachments/"
URL_SECONDS = 300
_MB = 1024 * 1024
MAX_BYTES: dict[str, int] = {
    "audio/aac": 16 * _MB,
    "audio/amr": 16 * _MB,
    "audio/mpeg": 16 * _MB,
    "audio/mp4": 16 * _MB,
    "audio/ogg": 16 * _MB,
    "text/plain": 100 * _MB,
    "application/pdf": 100 * _MB,
    "application/vnd.ms-excel": 100 * _MB,
    "application/msword": 100 * _MB,
    "application/vnd.ms-powerpoint": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * _MB,
    "image/jpeg": 5 * _MB,
    "image/png": 5 * _MB,
    "image/webp": 500 * 1024,  # stickers: 100 KB static, 500 KB animated
    "video/mp4": 16 * _MB,
    "video/3gpp": 16 * _MB,
}


def upload(sandbox: Sandbox, phone_number_id: str, token: str | None, form: dict[str, Any]) -> dict[str, str]:
    """``form``: ``messaging_product``, ``type`` (MIME, optional), ``file`` as (filename, content_type, bytes)."""
    number = sandbox.number(phone_number_id, token)
    if form.get("messaging_product") != "whatsapp":
        raise GraphError(100, "Param messaging_product must be 'whatsapp'.")
    file = form.get("file")
    if file is None:
        raise GraphError(100, "Param file is required.")
    filename, content_type, data = file
    mime = _mime(str(form.get("type") or content_type or ""), filename)
    limit = MAX_BYTES.get(mime)
    if limit is None:
        raise GraphError(
            100,
            f"Param file must be a file with one of the following types: "
            f"{', '.join(sorted(MAX_BYTES))}. Received file of type '{mime}'.",
        )
    if not data:
        raise GraphError(100, "Param file is empty.")
    if len(data) > limit:
        raise GraphError(100, f"Param file is larger than {limit} bytes for {mime}.")
    media = Media(
        id=ids.numeric_id(),
        phone_number_id=number.id,
        waba_id=number.waba_id,
        mime_type=mime,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename,
        created_at=sandbox.clock.now(),
    )
    sandbox.state.media[media.id] = media
    return {"id": media.id}


# curl's ``-F file=@x.ogg;type=ogg`` (as in Meta's own examples) sends a bare subtype; like Meta, the sandbox
# takes the media type from it, or from the file name when the part says nothing useful.
_ALIASES = {
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "m4a": "audio/mp4",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "3gp": "video/3gpp",
    "pdf": "application/pdf",
    "txt": "text/plain",
}


def _mime(declared: str, filename: str | None) -> str:
    mime = declared.split(";", 1)[0].strip().lower()
    if mime in _ALIASES:
        return _ALIASES[mime]
    if (not mime or mime == "application/octet-stream") and filename:
        guessed = mimetypes.guess_type(filename)[0]
        return _ALIASES.get(filename.rsplit(".", 1)[-1].lower(), guessed or mime)
    return mime


def _signature(sandbox: Sandbox, media_id: str, expires: int) -> str:
    key = sandbox.config.app_secret.encode()
    return hmac.new(key, f"{media_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def _owned(sandbox: Sandbox, media: Media, token: str | None, phone_number_id: str | None) -> None:
    sandbox.check_token(token)
    sandbox.authorize(token, media.waba_id)
    if phone_number_id is not None and phone_number_id != media.phone_number_id:
        raise GraphError(100, "The media does not belong to this phone number.")


def metadata(
    sandbox: Sandbox, media: Media, token: str | None, phone_number_id: str | None, base_url: str
) -> dict[str, Any]:
    _owned(sandbox, media, token, phone_number_id)
    expires = int(sandbox.clock.now()) + URL_SECONDS
    query = urlencode({"mid": media.id, "ext": expires, "hash": _signature(sandbox, media.id, expires)})
    return {
        "messaging_product": "whatsapp",
        "url": f"{base_url}{DOWNLOAD_PATH}?{query}",
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": str(len(media.data)),
        "id": media.id,
    }


def delete(sandbox: Sandbox, media: Media, token: str | None, phone_number_id: str | None) -> dict[str, bool]:
    _owned(sandbox, media, token, phone_number_id)
    del sandbox.state.media[media.id]
    return {"success": True}


def download(sandbox: Sandbox, query: dict[str, str], token: str | None) -> Media:
    """The media a download URL points at; 190 without a valid token, 404-style 100 when expired or forged."""
    media = sandbox.state.media.get(query.get("mid", ""))
    try:
        expires = int(query.get("ext", "0"))
    except ValueError:
        expires = 0
    valid = (
        media is not None
        and expires >= int(sandbox.clock.now())
        and hmac.compare_digest(query.get("hash", ""), _signature(sandbox, media.id, expires))
    )
    sandbox.check_token(token)
    if not valid or media is None:
        raise GraphError(100, "The media URL is invalid or has expired; fetch a new one with GET /{media_id}.")
    sandbox.authorize(token, media.waba_id)
    return media
