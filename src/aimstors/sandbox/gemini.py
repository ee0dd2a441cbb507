"""A deterministic stand-in for Gemini's ``generateContent``.

Replies follow rules (``POST /_sandbox/gemini/rules``): the first rule whose regular expression matches the
last user text answers with its ``reply`` text or a ``function_call`` (name + args), so agent tools can be
exercised. Without a matching rule the model echoes: ``Echo: <last user text>``; after a function response it
summarises it: ``Tool <name> returned: <json>``. Token counts are ``ceil(characters / 4)`` of the prompt and
the reply, so usage metering is predictable.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from aimstors.sandbox.google import GoogleError

__all__ = ["GeminiRule", "GeminiRules"]


@dataclass(frozen=True, slots=True)
class GeminiRule:
    pattern: re.Pattern[str]
    reply: str | None = None
    function_call: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GeminiRule:
        if not isinstance(data.get("pattern"), str):
            raise ValueError("a rule needs a 'pattern' (regular expression)")
        if ("reply" in data) == ("function_call" in data):
            raise ValueError("a rule has exactly one of 'reply' or 'function_call'")
        call = data.get("function_call")
        if call is not None and not (isinstance(call, dict) and isinstance(call.get("name"), str)):
            raise ValueError("function_call needs a 'name'")
        try:
            pattern = re.compile(data["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"bad pattern: {exc}") from None
        return cls(pattern, data.get("reply"), call)


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


def _texts(node: Any) -> list[str]:
    """All prompt text: parts' text, function calls and responses as JSON."""
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                out.append(value)
            elif key in ("functionCall", "functionResponse"):
                out.append(json.dumps(value, sort_keys=True))
            else:
                out.extend(_texts(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_texts(value))
    return out


class GeminiRules:
    def __init__(self) -> None:
        self.rules: list[GeminiRule] = []
        self.calls = 0

    def set(self, rules: list[dict[str, Any]]) -> None:
        self.rules = [GeminiRule.from_json(r) for r in rules]

    def generate(self, model: str, body: Any) -> dict[str, Any]:
        if not model.startswith("gemini"):
            raise GoogleError(
                404,
                f"models/{model} is not found for API version v1, or is not supported for "
                "generateContent. Call ListModels to see the list of available models and their "
                "supported methods.",
            )
        if not isinstance(body, dict) or not isinstance(body.get("contents"), list) or not body["contents"]:
            raise GoogleError(400, "* GenerateContentRequest.contents: contents is not specified")
        self.calls += 1
        last = body["contents"][-1]
        parts = last.get("parts", []) if isinstance(last, dict) else []
        part: dict[str, Any]
        response = next((p["functionResponse"] for p in parts if isinstance(p, dict) and "functionResponse" in p), None)
        if response is not None:
            part = {
                "text": f"Tool {response.get('name')} returned: {json.dumps(response.get('response'), sort_keys=True)}"
            }
        else:
            user_text = " ".join(t for p in parts if isinstance(p, dict) for t in _texts(p)).strip()
            part = {"text": f"Echo: {user_text}"}
            for rule in self.rules:
                match = rule.pattern.search(user_text)
                if match is None:
                    continue
                if rule.function_call is not None:
                    part = {
                        "functionCall": {"name": rule.function_call["name"], "args": rule.function_call.get("args", {})}
                    }
                else:
                    part = {"text": match.expand(rule.reply or "")}  # \1 and \g<name> refer to the match
                break
        prompt = tokens(" ".join(_texts([body.get("systemInstruction"), body["contents"], body.get("tools")])))
        answer = tokens(" ".join(_texts(part)))
        return {
            "candidates": [{"content": {"parts": [part], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {
                "promptTokenCount": prompt,
                "candidatesTokenCount": answer,
                "totalTokenCount": prompt + answer,
            },
            "modelVersion": model,
            "responseId": f"sandbox-{self.calls}",
        }
