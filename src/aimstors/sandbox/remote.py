"""A small async client of a running sandbox's control and inspection API (``/_sandbox``), used by tests,
benchmarks and ``aimstors sandbox ...`` commands. Errors answered by the sandbox raise :class:`RemoteError`."""

from __future__ import annotations

import asyncio
import ssl
import time
from functools import cache
from types import TracebackType
from typing import Any

import httpx

__all__ = ["RemoteError", "SandboxRemote"]


@cache
def _tls() -> ssl.SSLContext:
    # httpx builds a new context (~50 ms, loading CA certificates) per client unless given one; tests and the
    # CLI make many short-lived clients.
    return ssl.create_default_context()


class RemoteError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox answered {status}: {message}")
        self.status = status
        self.message = message


class SandboxRemote:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, verify=_tls())

    async def __aenter__(self) -> SandboxRemote:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = await self._client.request(method, f"/_sandbox{path}", json=json, params=params)
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text
            raise RemoteError(response.status_code, message)
        return response.json()

    # -- simulated users ---------------------------------------------------------------------------------------

    async def say(self, sender: str, text: str, *, phone_number_id: str | None = None, name: str | None = None) -> str:
        """The user ``sender`` sends ``text``; returns the inbound wamid (the webhook follows)."""
        body = {"from": sender, "text": text, "phone_number_id": phone_number_id, "name": name}
        result = await self._call("POST", "/say", {k: v for k, v in body.items() if v is not None})
        return str(result["id"])

    async def reply(
        self, sender: str, choice: str, *, message_id: str | None = None, phone_number_id: str | None = None
    ) -> str:
        body = {"from": sender, "choice": choice, "message_id": message_id, "phone_number_id": phone_number_id}
        result = await self._call("POST", "/reply", {k: v for k, v in body.items() if v is not None})
        return str(result["id"])

    # -- templates, faults, settings -----------------------------------------------------------------------

    async def add_template(self, **template: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/templates", template)
        return result

    async def review_template(
        self, name: str, action: str, *, language: str | None = None, reason: str | None = None
    ) -> list[dict[str, Any]]:
        body = {k: v for k, v in {"language": language, "reason": reason}.items() if v is not None}
        result = await self._call("POST", f"/templates/{name}/{action}", body)
        return list(result["templates"])

    async def set_faults(self, **faults: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/faults", faults)
        return result

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def settings(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/settings", settings)
        return result

    async def number(self, phone_number_id: str, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/numbers/{phone_number_id}", changes)
        return result

    async def advance_clock(self, seconds: float) -> None:
        await self._call("POST", "/clock", {"advance": seconds})

    async def verify_webhook(self, url: str | None = None, verify_token: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in {"url": url, "verify_token": verify_token}.items() if v is not None}
        result: dict[str, Any] = await self._call("POST", "/verify-webhook", body)
        return result

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    # -- inspection ------------------------------------------------------------------------------------------

    async def messages(
        self, *, to: str | None = None, phone_number_id: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        params = {
            k: v for k, v in {"to": to, "phone_number_id": phone_number_id, "limit": limit}.items() if v is not None
        }
        result = await self._call("GET", "/messages", params=params)
        return list(result["data"])

    async def recipients(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = await self._call("GET", "/recipients")
        return result

    async def histogram(self, phone_number_id: str | None = None) -> dict[str, Any]:
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        result: dict[str, Any] = await self._call("GET", "/histogram", params=params)
        return result

    async def webhooks(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/webhooks")
        return result

    async def templates(self) -> list[dict[str, Any]]:
        result = await self._call("GET", "/templates")
        return list(result["data"])

    async def conversations(self) -> list[dict[str, Any]]:
        result = await self._call("GET", "/conversations")
        return list(result["data"])

    async def wait_idle(self, within: float = 10.0, poll: float = 0.02) -> dict[str, Any]:
        """Wait until no webhook is pending or in flight; returns the webhook counters."""
        deadline = time.monotonic() + within
        while True:
            stats = await self.webhooks()
            if stats["pending"] == 0 and stats["in_flight"] == 0:
                return stats
            if time.monotonic() > deadline:
                raise TimeoutError(f"webhooks still pending after {within} s: {stats}")
            await asyncio.sleep(poll)
