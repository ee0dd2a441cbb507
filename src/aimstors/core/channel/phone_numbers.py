"""Business phone numbers and WABA subscriptions: number info, registration, ``subscribed_apps``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aimstors.core.channel.graph import GraphApi
from aimstors.core.errors import InvalidInput

__all__ = ["PhoneNumberInfo", "PhoneNumbersApi"]

DEFAULT_FIELDS = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "throughput",
    "messaging_limit_tier",
    "whatsapp_business_manager_messaging_limit",
    "code_verification_status",
    "name_status",
)


@dataclass(frozen=True, slots=True)
class PhoneNumberInfo:
    """What Meta says about a business number.

    ``throughput_level`` is ``STANDARD`` (80 messages/s) or ``HIGH`` (up to 1,000); ``messaging_limit_tier``
    prefers the portfolio-wide ``whatsapp_business_manager_messaging_limit`` (e.g. ``TIER_2K``) over the
    deprecated per-number ``messaging_limit_tier``.
    """

    id: str
    display_phone_number: str | None
    verified_name: str | None
    quality_rating: str | None
    throughput_level: str | None
    messaging_limit_tier: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhoneNumberInfo:
        throughput = data.get("throughput")
        level = throughput.get("level") if isinstance(throughput, Mapping) else throughput
        limit = data.get("whatsapp_business_manager_messaging_limit") or data.get("messaging_limit_tier")
        return cls(
            id=str(data.get("id", "")),
            display_phone_number=data.get("display_phone_number"),
            verified_name=data.get("verified_name"),
            quality_rating=data.get("quality_rating"),
            throughput_level=str(level) if level is not None else None,
            messaging_limit_tier=str(limit) if limit is not None else None,
            raw=data,
        )


class PhoneNumbersApi:
    """Phone-number and subscription endpoints; ``token`` on each call overrides the client's access token."""

    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph

    async def get(
        self, phone_number_id: str, *, fields: Sequence[str] = DEFAULT_FIELDS, token: str | None = None
    ) -> PhoneNumberInfo:
        """Quality rating, throughput level and messaging-limit tier of ``phone_number_id``."""
        data = await self._graph.call("GET", phone_number_id, token=token, params={"fields": ",".join(fields)})
        return PhoneNumberInfo.from_dict(data)

    async def register(
        self,
        phone_number_id: str,
        pin: str,
        *,
        data_localization_region: str | None = None,
        token: str | None = None,
    ) -> bool:
        """Register the number for Cloud API use with its 6-digit two-step PIN (set here if none exists).

        Meta allows 10 registrations per number per 72 hours.
        """
        if not (len(pin) == 6 and pin.isdigit()):
            raise InvalidInput("pin: must be exactly 6 digits")
        body: dict[str, Any] = {"messaging_product": "whatsapp", "pin": pin}
        if data_localization_region is not None:
            body["data_localization_region"] = data_localization_region
        data = await self._graph.call("POST", f"{phone_number_id}/register", token=token, json_body=body)
        return bool(data.get("success"))

    async def subscribe_app(
        self,
        waba_id: str,
        *,
        override_callback_uri: str | None = None,
        verify_token: str | None = None,
        token: str | None = None,
    ) -> bool:
        """Subscribe our app to the WABA's webhooks (``POST /{waba-id}/subscribed_apps``); an override URI
        sends this WABA's webhooks elsewhere (Meta then runs the verification handshake with ``verify_token``)."""
        body: dict[str, Any] | None = None
        if override_callback_uri is not None:
            if verify_token is None:
                raise InvalidInput("verify_token: required with override_callback_uri")
            body = {"override_callback_uri": override_callback_uri, "verify_token": verify_token}
        data = await self._graph.call("POST", f"{waba_id}/subscribed_apps", token=token, json_body=body)
        return bool(data.get("success"))

    async def subscribed_apps(self, waba_id: str, *, token: str | None = None) -> list[Mapping[str, Any]]:
        """The apps subscribed to the WABA (``data[].whatsapp_business_api_data``)."""
        data = await self._graph.call("GET", f"{waba_id}/subscribed_apps", token=token)
        items = data.get("data")
        return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []
