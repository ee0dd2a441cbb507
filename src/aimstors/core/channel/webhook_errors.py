"""Errors reported inside webhooks: on a failed status, an unsupported inbound message, or a whole change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.json_fields import integer, items, mapping, text

__all__ = ["ErrorInfo", "error_infos"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """One ``errors[]`` item: ``code`` (e.g. 131026), ``title``/``message`` and ``error_data.details``."""

    code: int | None
    title: str | None
    message: str | None
    details: str | None
    href: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorInfo:
        return cls(
            code=integer(data, "code"),
            title=text(data, "title"),
            message=text(data, "message"),
            details=text(mapping(data, "error_data"), "details"),
            href=text(data, "href"),
            raw=data,
        )


def error_infos(data: Mapping[str, Any]) -> tuple[ErrorInfo, ...]:
    """The ``errors`` list of ``data`` as :class:`ErrorInfo` values."""
    return tuple(ErrorInfo.from_dict(item) for item in items(data, "errors"))
