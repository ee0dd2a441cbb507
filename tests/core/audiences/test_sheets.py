"""Google Sheet audiences through the Sheets client, against the sandbox's stand-in over real HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.contacts_world import Shops, add_contacts, resolved

from aimstors.core import audiences
from aimstors.core.audiences import SheetRules, TableMapping
from aimstors.core.db.base import utcnow
from aimstors.core.errors import NotFound, PermissionDenied
from aimstors.core.google import GoogleCredentials, GoogleSheets, store_google_credentials
from aimstors.core.security import Keyring
from aimstors.core.settings import Settings
from aimstors.sandbox import RunningSandbox

ROWS = [
    ["Phone", "Name", "Plan", "Notes"],
    ["+1 202 555 0123", "Ann", "gold"],  # Sheets trims empty trailing cells
    ["+44 7911 123456", "Bob", "", "call later"],
    ["not a phone", "Carl", "free"],
    [],
    ["+33 6 12 34 56 78", "Chloé", "free"],
]


@pytest.fixture
async def sheets(settings: Settings, sandbox: RunningSandbox, shops: Shops) -> AsyncIterator[GoogleSheets]:
    pointed = dataclasses.replace(settings, google_sheets_url=sandbox.base_url, google_oauth_url=sandbox.base_url)
    async with GoogleSheets(shops.db, pointed, Keyring.from_settings(pointed)) as client:
        yield client


async def _seed(sandbox: RunningSandbox, rows: list[list[str]]) -> str:
    sheet_id = "sheet-" + uuid.uuid4().hex[:10]
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post("/_sandbox/google/sheets", json={"id": sheet_id, "sheets": {"Leads 2025": rows}})
        response.raise_for_status()
    return sheet_id


async def test_a_sheet_audience_resolves_rows_through_the_workspace_token(
    shops: Shops, sheets: GoogleSheets, sandbox: RunningSandbox
) -> None:
    sheet_id = await _seed(sandbox, ROWS)
    rules = SheetRules(sheet_id, "'Leads 2025'!A:D", TableMapping(attributes={"Plan": "plan"}))
    with pytest.raises(PermissionDenied) as denied:  # no Google account connected yet
        await audiences.create_audience(shops.db, shops.system, "sheet", rules, tenant_slug="shop-a", sheets=sheets)
    assert denied.value.hint == "connect a Google account to this workspace first"
    assert sheets.keyring is not None
    await store_google_credentials(
        shops.db, sheets.keyring, shops.a, GoogleCredentials(access_token="sandbox-google-token")
    )
    await add_contacts(shops.db, shops.a, [{"wa_id": "447911123456", "opted_out_at": utcnow()}])
    view = await audiences.create_audience(shops.db, shops.system, "sheet", rules, tenant_slug="shop-a", sheets=sheets)
    got = await resolved(shops.db, shops.a, view.id, sheets=sheets)
    assert [(r.wa_id, r.contact_id, r.name, r.attributes) for r in got] == [
        ("12025550123", None, "Ann", {"plan": "gold"}),
        ("33612345678", None, "Chloé", {"plan": "free"}),
    ]
    totals = await audiences.count(shops.db, shops.a, view.id, sheets=sheets)
    assert (totals.matched, totals.opted_out, totals.invalid, totals.eligible) == (3, 1, 1, 2)
    preview = await audiences.preview_audience(shops.db, shops.system, "sheet", tenant_slug="shop-a", sheets=sheets)
    assert [r.wa_id for r in preview.sample] == ["12025550123", "33612345678"]


async def test_an_expired_token_is_refreshed_and_google_errors_are_clear(
    shops: Shops, sheets: GoogleSheets, sandbox: RunningSandbox
) -> None:
    assert sheets.keyring is not None
    expired = GoogleCredentials(
        access_token="ya29.stale", refresh_token="1//refresh", client_id="sandbox-client",
        client_secret="sandbox-client-secret", expires_at=utcnow() - dt.timedelta(minutes=5),
    )  # fmt: skip
    await store_google_credentials(shops.db, sheets.keyring, shops.a, expired)
    sheet_id = await _seed(sandbox, ROWS)
    values = await sheets.values(shops.a, sheet_id, "'Leads 2025'!A1:C2")
    assert values == [["Phone", "Name", "Plan"], ["+1 202 555 0123", "Ann", "gold"]]
    with pytest.raises(NotFound, match="no spreadsheet 'nope'"):
        await sheets.values(shops.a, "nope", "A:B")
    with pytest.raises(NotFound, match="no Google integration named 'other'"):
        await sheets.values(shops.a, sheet_id, "A:B", integration="other")
    bad_client = dataclasses.replace(expired, client_secret="wrong")
    await store_google_credentials(shops.db, sheets.keyring, shops.a, bad_client)
    with pytest.raises(PermissionDenied, match="refused to refresh"):
        await sheets.values(shops.a, sheet_id, "A:B")
    assert "1//refresh" not in repr(expired) and "ya29" not in repr(expired)
