"""In-memory stand-ins for the Google calls the product makes: OAuth tokens, Sheets values (read, append) and
Drive files (list with a subset of ``q``, metadata, download, export).

Seed data arrives through ``/_sandbox/google/...``. Sheets and Drive want ``Authorization: Bearer`` with a
token issued by the sandbox's ``POST /token`` or listed in the config. Errors have Google's shape
(:func:`google_error`).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from aimstors.sandbox.config import GoogleConfig

__all__ = ["A1Range", "DriveFile", "GoogleError", "GoogleState", "Spreadsheet", "google_error", "parse_a1"]

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential."
)


class GoogleError(Exception):
    def __init__(self, code: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


def google_error(error: GoogleError) -> dict[str, Any]:
    """Google's envelope: ``{"error": {"code", "message", "status", "details"?}}``."""
    body: dict[str, Any] = {"code": error.code, "message": error.message, "status": _STATUS.get(error.code, "UNKNOWN")}
    if error.reason:
        body["details"] = [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": error.reason, "domain": "googleapis.com"}
        ]
    return {"error": body}


# -- A1 notation -----------------------------------------------------------------------------------------------

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def _column(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - 64)
    return index


def _letters(index: int) -> str:
    out = ""
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclass(frozen=True, slots=True)
class A1Range:
    sheet: str | None
    first_col: int  # 1-based, inclusive
    first_row: int
    last_col: int | None  # None: unbounded
    last_row: int | None


def parse_a1(text: str) -> A1Range:
    sheet: str | None = None
    cells = text
    if "!" in text:
        sheet, cells = text.rsplit("!", 1)
        sheet = sheet.strip("'").replace("''", "'")
    elif not re.fullmatch(r"[A-Za-z]*\d*(:[A-Za-z]*\d*)?", text):
        return A1Range(text.strip("'"), 1, 1, None, None)  # a bare sheet name
    if not cells:
        return A1Range(sheet, 1, 1, None, None)
    start, _, end = cells.partition(":")
    m1, m2 = _CELL.match(start), _CELL.match(end or start)
    if m1 is None or m2 is None or not (m1.group(1) or m1.group(2)):
        raise GoogleError(400, f"Unable to parse range: {text}")
    first_col = _column(m1.group(1)) if m1.group(1) else 1
    first_row = int(m1.group(2)) if m1.group(2) else 1
    last_col = _column(m2.group(1)) if m2.group(1) else None
    last_row = int(m2.group(2)) if m2.group(2) else None
    return A1Range(sheet, first_col, first_row, last_col, last_row)


@dataclass(slots=True)
class Spreadsheet:
    id: str
    title: str
    sheets: dict[str, list[list[Any]]]  # sheet name -> rows


@dataclass(slots=True)
class DriveFile:
    id: str
    name: str
    mime_type: str
    data: bytes
    parents: list[str] = field(default_factory=list)
    trashed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": self.parents,
            "size": str(len(self.data)),
            "trashed": self.trashed,
        }


_Q_CLAUSE = re.compile(
    r"^\s*(?:(?P<field>name|mimeType|fullText)\s*(?P<op>contains|=|!=)\s*'(?P<value>(?:[^'\\]|\\.)*)'"
    r"|'(?P<parent>[^']+)'\s+in\s+parents"
    r"|trashed\s*=\s*(?P<trashed>true|false))\s*$",
    re.IGNORECASE,
)


class GoogleState:
    def __init__(self, config: GoogleConfig) -> None:
        self.config = config
        self.tokens: set[str] = set(config.access_tokens)
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.files: dict[str, DriveFile] = {}
        self.used_codes: set[str] = set()
        self.revoked_refresh_tokens: set[str] = set()

    # -- OAuth -------------------------------------------------------------------------------------------------

    def check_token(self, authorization: str | None) -> None:
        token = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
        if token is None or token not in self.tokens:
            raise GoogleError(401, UNAUTHENTICATED, "ACCESS_TOKEN_TYPE_UNSUPPORTED" if token is None else None)

    def issue(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """``POST /token``: (HTTP status, body) per RFC 6749 as Google answers it."""
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            if not form.get("assertion"):  # the sandbox does not check the service account's signature
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            return 200, self._token(form.get("scope"), refresh=False)
        clients = self.config.clients
        if form.get("client_id") not in clients or clients[form["client_id"]] != form.get("client_secret"):
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            if not refresh or refresh in self.revoked_refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            return 200, self._token(form.get("scope"), refresh=False)
        if grant == "authorization_code":
            code = form.get("code", "")
            if not code or code in self.used_codes:
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            self.used_codes.add(code)
            return 200, self._token(form.get("scope"), refresh=True)
        return 400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}

    def _token(self, scope: str | None, *, refresh: bool) -> dict[str, Any]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        out: dict[str, Any] = {
            "access_token": token,
            "expires_in": 3599,
            "scope": scope or "https://www.googleapis.com/auth/spreadsheets https://www.googleapis.com/auth/drive",
            "token_type": "Bearer",
        }
        if refresh:
            out["refresh_token"] = "1//sandbox-" + secrets.token_urlsafe(24)
        return out

    # -- Sheets ------------------------------------------------------------------------------------------------

    def seed_spreadsheet(self, data: dict[str, Any]) -> Spreadsheet:
        sheets = data.get("sheets")
        if not isinstance(sheets, dict) or not sheets:
            raise ValueError("a spreadsheet needs 'sheets': {name: [[cell, ...], ...]}")
        sheet_id = str(data.get("id") or secrets.token_urlsafe(30))
        spreadsheet = Spreadsheet(
            sheet_id, str(data.get("title", "Sandbox sheet")), {str(k): [list(r) for r in v] for k, v in sheets.items()}
        )
        self.spreadsheets[sheet_id] = spreadsheet
        return spreadsheet

    def _sheet(self, spreadsheet_id: str, range_: str) -> tuple[A1Range, str, list[list[Any]]]:
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise GoogleError(404, "Requested entity was not found.")
        bare = range_.strip("'")
        # "Leads" is the sheet named Leads when there is one, as at Google, not the column range LEADS.
        a1 = A1Range(bare, 1, 1, None, None) if "!" not in range_ and bare in spreadsheet.sheets else parse_a1(range_)
        name = a1.sheet or next(iter(spreadsheet.sheets))
        if name not in spreadsheet.sheets:
            raise GoogleError(400, f"Unable to parse range: {name}")
        return a1, name, spreadsheet.sheets[name]

    def metadata(self, spreadsheet_id: str) -> dict[str, Any]:
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise GoogleError(404, "Requested entity was not found.")
        return {
            "spreadsheetId": spreadsheet.id,
            "properties": {"title": spreadsheet.title},
            "sheets": [
                {"properties": {"sheetId": i, "title": name, "index": i}} for i, name in enumerate(spreadsheet.sheets)
            ],
        }

    def values(self, spreadsheet_id: str, range_: str, render: str = "FORMATTED_VALUE") -> dict[str, Any]:
        a1, name, rows = self._sheet(spreadsheet_id, range_)
        last_row = a1.last_row or len(rows)
        out: list[list[Any]] = []
        for row in rows[a1.first_row - 1 : last_row]:
            cells = row[a1.first_col - 1 : a1.last_col]
            while cells and cells[-1] in ("", None):
                cells = cells[:-1]
            out.append([c if render == "UNFORMATTED_VALUE" else ("" if c is None else str(c)) for c in cells])
        while out and not out[-1]:
            out.pop()
        result: dict[str, Any] = {
            "range": f"{name}!{range_.rsplit('!', 1)[-1]}" if "!" in range_ else name,
            "majorDimension": "ROWS",
        }
        if out:
            result["values"] = out
        return result

    def append(self, spreadsheet_id: str, range_: str, body: Any, value_input_option: str | None) -> dict[str, Any]:
        if value_input_option not in ("RAW", "USER_ENTERED"):
            raise GoogleError(400, "'valueInputOption' is required but not specified")
        if not isinstance(body, dict) or not isinstance(body.get("values"), list):
            raise GoogleError(400, "Invalid JSON payload received. Expected 'values'.")
        new_rows = [list(r) for r in body["values"] if isinstance(r, list)]
        a1, name, rows = self._sheet(spreadsheet_id, range_)
        while rows and not any(c not in ("", None) for c in rows[-1]):
            rows.pop()
        start_row = max(len(rows) + 1, a1.first_row)
        while len(rows) < start_row - 1:
            rows.append([])
        offset = a1.first_col - 1
        for values in new_rows:
            rows.append([""] * offset + values)
        width = max((len(r) for r in new_rows), default=0)
        end_row = start_row + len(new_rows) - 1
        updated = f"{name}!{_letters(a1.first_col)}{start_row}:{_letters(a1.first_col + max(width, 1) - 1)}{end_row}"
        return {
            "spreadsheetId": spreadsheet_id,
            "tableRange": f"{name}!A1:{_letters(max((len(r) for r in rows), default=1))}{start_row - 1}",
            "updates": {
                "spreadsheetId": spreadsheet_id,
                "updatedRange": updated,
                "updatedRows": len(new_rows),
                "updatedColumns": width,
                "updatedCells": sum(len(r) for r in new_rows),
            },
        }

    # -- Drive -------------------------------------------------------------------------------------------------

    def seed_file(self, data: dict[str, Any]) -> DriveFile:
        if not isinstance(data.get("name"), str):
            raise ValueError("a file needs a 'name'")
        if "content_base64" in data:
            content = base64.b64decode(str(data["content_base64"]))
        else:
            content = str(data.get("content", "")).encode("utf-8")
        file = DriveFile(
            id=str(data.get("id") or secrets.token_urlsafe(24)),
            name=data["name"],
            mime_type=str(data.get("mimeType", "text/plain")),
            data=content,
            parents=[str(p) for p in data.get("parents", [])],
        )
        self.files[file.id] = file
        return file

    def _matches(self, file: DriveFile, clauses: list[re.Match[str]]) -> bool:
        for clause in clauses:
            if clause.group("parent"):
                ok = clause.group("parent") in file.parents
            elif clause.group("trashed"):
                ok = file.trashed == (clause.group("trashed").lower() == "true")
            else:
                value = clause.group("value").replace("\\'", "'")
                field_ = clause.group("field").lower()
                subject = file.name if field_ == "name" else file.mime_type
                if field_ == "fulltext":
                    subject = file.name + "\n" + file.data.decode("utf-8", "replace")
                op = clause.group("op").lower()
                ok = (
                    (value.lower() in subject.lower())
                    if op == "contains"
                    else ((subject == value) if op == "=" else (subject != value))
                )
            if not ok:
                return False
        return True

    def list_files(self, q: str | None, page_size: int, page_token: str | None) -> dict[str, Any]:
        clauses: list[re.Match[str]] = []
        for part in re.split(r"\s+and\s+", q or "", flags=re.IGNORECASE):
            if not part.strip():
                continue
            match = _Q_CLAUSE.match(part)
            if match is None:
                raise GoogleError(400, "Invalid Value", "invalid")
            clauses.append(match)
        files = [f for f in self.files.values() if self._matches(f, clauses)]
        start = int(base64.urlsafe_b64decode(page_token.encode()).decode()) if page_token else 0
        page = files[start : start + page_size]
        out: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [{"kind": "drive#file", "id": f.id, "name": f.name, "mimeType": f.mime_type} for f in page],
        }
        if start + page_size < len(files):
            out["nextPageToken"] = base64.urlsafe_b64encode(str(start + page_size).encode()).decode()
        return out

    def file(self, file_id: str) -> DriveFile:
        file = self.files.get(file_id)
        if file is None:
            raise GoogleError(404, f"File not found: {file_id}.", "notFound")
        return file
