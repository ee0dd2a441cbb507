"""The offline stand-ins: Gemini generateContent, Google OAuth tokens, Sheets values, Drive files."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from tests.sandbox.conftest import http

from aimstors.sandbox import SandboxRemote

KEY = {"x-goog-api-key": "sandbox-gemini-key"}
GOOGLE = {"Authorization": "Bearer sandbox-google-token"}


def prompt(text: str, **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


@pytest.fixture
async def api(running: Any) -> Any:
    async with http(running.base_url) as client:
        yield client


@pytest.mark.parametrize("version", ["v1", "v1beta"])
async def test_gemini_echoes_with_usage(api: httpx.AsyncClient, version: str) -> None:
    response = await api.post(
        f"/{version}/models/gemini-2.0-flash:generateContent", headers=KEY, json=prompt("What are your opening hours?")
    )
    assert response.status_code == 200
    body = response.json()
    candidate = body["candidates"][0]
    assert candidate["content"] == {"parts": [{"text": "Echo: What are your opening hours?"}], "role": "model"}
    assert candidate["finishReason"] == "STOP"
    usage = body["usageMetadata"]
    assert usage["promptTokenCount"] == 7 and usage["candidatesTokenCount"] == 9
    assert usage["totalTokenCount"] == 16


async def test_gemini_rules_and_function_calls(api: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote._call(
        "POST",
        "/gemini/rules",
        {
            "rules": [
                {"pattern": r"order (\w+)", "function_call": {"name": "lookup_order", "args": {"id": "A-1"}}},
                {"pattern": r"hours", "reply": "We open at 9."},
                {"pattern": r"my name is (?P<name>\w+)", "reply": r"Hello \g<name>!"},
            ]
        },
    )
    url = "/v1/models/gemini-2.5-flash:generateContent"
    call = (await api.post(url, headers=KEY, json=prompt("where is order A1?"))).json()
    assert call["candidates"][0]["content"]["parts"][0]["functionCall"] == {
        "name": "lookup_order",
        "args": {"id": "A-1"},
    }
    hours = (await api.post(url, headers=KEY, json=prompt("hours?"))).json()
    assert hours["candidates"][0]["content"]["parts"][0]["text"] == "We open at 9."
    named = (await api.post(url, headers=KEY, json=prompt("hi, my name is Ana"))).json()
    assert named["candidates"][0]["content"]["parts"][0]["text"] == "Hello Ana!"
    tool_result = {
        "contents": [
            {"role": "user", "parts": [{"text": "where is order A1?"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "lookup_order", "args": {"id": "A-1"}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "lookup_order", "response": {"status": "shipped"}}}],
            },
        ]
    }
    answer = (await api.post(url, headers=KEY, json=tool_result)).json()
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == 'Tool lookup_order returned: {"status": "shipped"}'


async def test_gemini_errors(api: httpx.AsyncClient, remote: SandboxRemote) -> None:
    url = "/v1/models/gemini-2.0-flash:generateContent"
    no_key = await api.post(url, json=prompt("x"))
    assert no_key.status_code == 403 and no_key.json()["error"]["status"] == "PERMISSION_DENIED"
    bad_key = await api.post(url, headers={"x-goog-api-key": "nope"}, json=prompt("x"))
    assert bad_key.status_code == 400 and bad_key.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    unknown = await api.post("/v1/models/gpt-4:generateContent", headers=KEY, json=prompt("x"))
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    empty = await api.post(url, headers=KEY, json={"contents": []})
    assert empty.status_code == 400 and empty.json()["error"]["status"] == "INVALID_ARGUMENT"
    await remote.set_faults(gemini_rate_limit_burst=1)
    limited = await api.post(url, params={"key": "sandbox-gemini-key"}, json=prompt("x"))
    assert limited.status_code == 429 and limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert (await api.post(url, headers=KEY, json=prompt("x"))).status_code == 200


async def test_oauth_token_endpoint(api: httpx.AsyncClient, remote: SandboxRemote) -> None:
    client = {"client_id": "sandbox-client", "client_secret": "sandbox-client-secret"}
    code = (await api.post("/token", data={"grant_type": "authorization_code", "code": "4/abc", **client})).json()
    assert code["token_type"] == "Bearer" and code["access_token"].startswith("ya29.") and code["refresh_token"]
    reused = await api.post("/token", data={"grant_type": "authorization_code", "code": "4/abc", **client})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    refresh = {"grant_type": "refresh_token", "refresh_token": code["refresh_token"]}
    basic = base64.b64encode(b"sandbox-client:sandbox-client-secret").decode()
    refreshed = await api.post("/token", data=refresh, headers={"Authorization": f"Basic {basic}"})
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] == 3599
    bad_client = await api.post("/token", data={**refresh, "client_id": "x", "client_secret": "y"})
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    await remote._call("POST", "/google/revoke", {"refresh_token": code["refresh_token"]})
    revoked = await api.post("/token", data={**refresh, **client})
    assert revoked.json()["error"] == "invalid_grant"
    token = refreshed.json()["access_token"]
    await remote._call("POST", "/google/sheets", {"id": "s1", "sheets": {"Leads": [["name"]]}})
    assert (await api.get("/v4/spreadsheets/s1", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_sheets_read_and_append(api: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote._call(
        "POST",
        "/google/sheets",
        {
            "id": "sheet-1",
            "title": "CRM",
            "sheets": {
                "Leads": [["name", "phone", "score"], ["Ana", "+15550001111", 7], ["Bo", "+15550002222", 9]],
                "Other": [["x"]],
            },
        },
    )
    assert (await api.get("/v4/spreadsheets/sheet-1/values/Leads!A1:C3")).status_code == 401
    values = (await api.get("/v4/spreadsheets/sheet-1/values/Leads!A2:B3", headers=GOOGLE)).json()
    assert values == {
        "range": "Leads!A2:B3",
        "majorDimension": "ROWS",
        "values": [["Ana", "+15550001111"], ["Bo", "+15550002222"]],
    }
    whole = (await api.get("/v4/spreadsheets/sheet-1/values/Leads", headers=GOOGLE)).json()
    assert whole["values"][1] == ["Ana", "+15550001111", "7"]  # formatted values are strings
    appended = await api.post(
        "/v4/spreadsheets/sheet-1/values/Leads!A1:C1:append",
        headers=GOOGLE,
        params={"valueInputOption": "RAW"},
        json={"values": [["Cy", "+15550003333", 5]]},
    )
    assert appended.status_code == 200
    assert appended.json()["updates"] == {
        "spreadsheetId": "sheet-1",
        "updatedRange": "Leads!A4:C4",
        "updatedRows": 1,
        "updatedColumns": 3,
        "updatedCells": 3,
    }
    column = (await api.get("/v4/spreadsheets/sheet-1/values/Leads!A:A", headers=GOOGLE)).json()
    assert column["values"] == [["name"], ["Ana"], ["Bo"], ["Cy"]]
    meta = (await api.get("/v4/spreadsheets/sheet-1", headers=GOOGLE)).json()
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Leads", "Other"]
    missing = await api.get("/v4/spreadsheets/nope/values/A1", headers=GOOGLE)
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
    no_option = await api.post("/v4/spreadsheets/sheet-1/values/Leads:append", headers=GOOGLE, json={"values": []})
    assert no_option.status_code == 400


async def test_drive_list_download_export(api: httpx.AsyncClient, remote: SandboxRemote) -> None:
    await remote._call(
        "POST",
        "/google/drive/files",
        {
            "id": "f1",
            "name": "Price list.txt",
            "mimeType": "text/plain",
            "content": "Tea: 3 €",
            "parents": ["folder-1"],
        },
    )
    await remote._call(
        "POST",
        "/google/drive/files",
        {
            "id": "f2",
            "name": "logo.png",
            "mimeType": "image/png",
            "content_base64": base64.b64encode(b"\x89PNG").decode(),
        },
    )
    await remote._call(
        "POST",
        "/google/drive/files",
        {"id": "d1", "name": "FAQ", "mimeType": "application/vnd.google-apps.document", "content": "Q: hours? A: 9-5"},
    )
    listed = (await api.get("/drive/v3/files", headers=GOOGLE, params={"q": "name contains 'price'"})).json()
    assert [f["id"] for f in listed["files"]] == ["f1"] and listed["kind"] == "drive#fileList"
    in_folder = await api.get(
        "/drive/v3/files", headers=GOOGLE, params={"q": "'folder-1' in parents and trashed = false"}
    )
    assert [f["id"] for f in in_folder.json()["files"]] == ["f1"]
    paged = (await api.get("/drive/v3/files", headers=GOOGLE, params={"pageSize": 2})).json()
    assert len(paged["files"]) == 2 and "nextPageToken" in paged
    rest = await api.get("/drive/v3/files", headers=GOOGLE, params={"pageSize": 2, "pageToken": paged["nextPageToken"]})
    assert [f["id"] for f in rest.json()["files"]] == ["d1"]
    download = await api.get("/drive/v3/files/f2", headers=GOOGLE, params={"alt": "media"})
    assert download.content == b"\x89PNG" and download.headers["content-type"].startswith("image/png")
    meta = (await api.get("/drive/v3/files/f1", headers=GOOGLE)).json()
    assert meta["name"] == "Price list.txt" and meta["size"] == str(len("Tea: 3 €".encode()))
    export = await api.get("/drive/v3/files/d1/export", headers=GOOGLE, params={"mimeType": "text/plain"})
    assert export.text == "Q: hours? A: 9-5"
    bad_query = await api.get("/drive/v3/files", headers=GOOGLE, params={"q": "owner is me"})
    assert bad_query.status_code == 400
    assert (await api.get("/drive/v3/files/zzz", headers=GOOGLE)).status_code == 404
