"""One settings object for the whole system.

Values come, lowest precedence first, from the defaults below, an optional ``aimstors.toml`` and ``AIMSTORS_*``
environment variables. They are loaded once at an entry point (CLI, daemon) and passed down: core never reads
``os.environ`` itself. Each field is declared with its documentation, so ``docs/configuration.md`` can be checked
against this file (``tests/test_docs.py``).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from aimstors.core.errors import ConfigError

__all__ = ["CONFIG_FILE_NAME", "ENV_PREFIX", "Settings", "default_database_url", "load_settings"]

ENV_PREFIX = "AIMSTORS_"
CONFIG_FILE_NAME = "aimstors.toml"


# STOP/START in English, French, Spanish, Portuguese, German and Italian (Meta's opt-out button is "Stop promotions").
OPTOUT_KEYWORDS = (
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOP PROMOTIONS",
    "ARRET", "DESABONNER", "ALTO", "BAJA", "PARAR", "CANCELAR", "SAIR", "STOPP", "ABMELDEN", "BASTA", "DISISCRIVITI",
)  # fmt: skip
OPTIN_KEYWORDS = (
    "START", "UNSTOP", "SUBSCRIBE", "RESUME", "DEMARRER", "REPRENDRE", "ALTA", "INICIAR", "COMENZAR", "ANMELDEN",
    "STARTEN", "RIPRENDI",
)  # fmt: skip


def _doc(text: str, *, secret: bool = False) -> dict[str, Any]:
    return {"doc": text, "secret": secret}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("aimstors", appauthor=False))


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{default_data_dir() / 'aimstors.db'}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting aimstors reads. Field names are the TOML keys; ``AIMSTORS_<NAME>`` overrides each."""

    database_url: str = field(
        default_factory=default_database_url,
        metadata=_doc(
            "SQLAlchemy URL. SQLite (`sqlite+aiosqlite:///path.db`) or Postgres "
            "(`postgresql+asyncpg://user@host/db`). Default: a SQLite file in the user's data directory."
        ),
    )
    database_pool_size: int = field(default=10, metadata=_doc("Connections kept per process (Postgres)."))
    database_echo: bool = field(default=False, metadata=_doc("Log every SQL statement (DEBUG only)."))
    secret_keys: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Keyring for secrets at rest: `KEY_ID:BASE64_32_BYTES` entries, comma separated; "
            "the first is used to encrypt, all are tried to decrypt.",
            secret=True,
        ),
    )
    jwt_secret: str = field(default="", metadata=_doc("HMAC key for API session tokens.", secret=True))
    jwt_ttl_seconds: int = field(default=12 * 3600, metadata=_doc("Lifetime of an API session token."))
    meta_app_secret: str = field(
        default="", metadata=_doc("Meta app secret: verifies `X-Hub-Signature-256` on webhooks.", secret=True)
    )
    meta_verify_token: str = field(
        default="", metadata=_doc("Token Meta echoes in the webhook verification handshake.", secret=True)
    )
    meta_graph_url: str = field(
        default="https://graph.facebook.com",
        metadata=_doc("Base URL of Meta's Graph API (the sandbox in tests)."),
    )
    meta_api_version: str = field(default="v23.0", metadata=_doc("Graph API version used for every call."))
    gemini_base_url: str = field(
        default="https://generativelanguage.googleapis.com", metadata=_doc("Base URL of the Gemini API.")
    )
    google_sheets_url: str = field(
        default="https://sheets.googleapis.com", metadata=_doc("Base URL of the Google Sheets API.")
    )
    google_drive_url: str = field(
        default="https://www.googleapis.com", metadata=_doc("Base URL of the Google Drive API.")
    )
    google_oauth_url: str = field(
        default="https://oauth2.googleapis.com", metadata=_doc("Base URL of Google's OAuth token endpoint.")
    )
    daemon_roles: tuple[str, ...] = field(
        default=("api", "worker", "scheduler"),
        metadata=_doc(
            "What `aimstors serve` runs: `api` (REST API, webhook ingest, live events), `worker` (the job queue), "
            "`scheduler` (periodic jobs; elected by an advisory lock on Postgres). Comma separated."
        ),
    )
    worker_queues: tuple[str, ...] = field(
        default=("default", "webhooks"),
        metadata=_doc("Queues a worker serves (`webhooks` holds inbound processing). Comma separated."),
    )
    worker_concurrency: int = field(default=10, metadata=_doc("Jobs a worker runs at once."))
    webhook_ingest_batch: int = field(
        default=256, metadata=_doc("Most webhook deliveries committed in one transaction (group commit); 1-1000.")
    )
    webhook_ingest_wait_ms: int = field(
        default=5,
        metadata=_doc("Milliseconds the ingest waits for more deliveries before committing a partial batch."),
    )
    webhook_dedupe_hours: int = field(
        default=168,
        metadata=_doc("A delivery whose body equals one received within this many hours is a duplicate."),
    )
    optout_keywords: tuple[str, ...] = field(
        default=OPTOUT_KEYWORDS,
        metadata=_doc(
            "An inbound message that is exactly one of these (any case, accents and final punctuation ignored) "
            "opts the contact out of marketing. Comma separated."
        ),
    )
    optin_keywords: tuple[str, ...] = field(
        default=OPTIN_KEYWORDS,
        metadata=_doc("An inbound message that is exactly one of these opts the contact back in. Comma separated."),
    )
    events_replay_size: int = field(
        default=1000, metadata=_doc("Live events kept per process for resuming streams (`Last-Event-ID`).")
    )
    events_queue_size: int = field(
        default=1000, metadata=_doc("Live events queued per subscriber before new ones are dropped for it.")
    )
    log_level: str = field(default="INFO", metadata=_doc("Log level: DEBUG, INFO, WARNING, ERROR."))
    config_file: str | None = field(
        default=None, metadata=_doc("Path of the TOML file these settings were read from, if any.")
    )

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0]

    def redacted(self) -> dict[str, Any]:
        """All settings as a dict with secrets replaced by ``"***"`` (or ``""`` when unset)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("secret"):
                value = "***" if value else ""
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def fields_doc(cls) -> dict[str, str]:
        return {f.name: f.metadata["doc"] for f in dataclasses.fields(cls)}


def _coerce(name: str, raw: Any, annotation: str) -> Any:
    try:
        if annotation == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if annotation == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if annotation.startswith("tuple"):
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        if annotation == "str | None":
            return None if raw is None else str(raw)
        return str(raw)
    except ValueError:
        raise ConfigError(f"setting {name!r} has an invalid value (expected {annotation})") from None


def find_config_file(environ: Mapping[str, str], cwd: Path | None = None) -> Path | None:
    """``AIMSTORS_CONFIG`` if set, else ``./aimstors.toml``, else the user's config directory."""
    explicit = environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit)
    local = (cwd or Path.cwd()) / CONFIG_FILE_NAME
    if local.exists():
        return local
    user = Path(platformdirs.user_config_dir("aimstors", appauthor=False)) / CONFIG_FILE_NAME
    return user if user.exists() else None


def load_settings(
    environ: Mapping[str, str] | None = None, *, config_file: Path | None = None, **overrides: Any
) -> Settings:
    """Build :class:`Settings` from the TOML file, the environment and explicit overrides (highest)."""
    env = dict(os.environ if environ is None else environ)
    path = config_file or find_config_file(env)
    values: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    if path is not None and path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
        values.update(data)
        values["config_file"] = str(path)
    elif path is not None and env.get(f"{ENV_PREFIX}CONFIG"):
        raise ConfigError(f"config file {path} does not exist")
    for name in fields:
        key = f"{ENV_PREFIX}{name.upper()}"
        if key in env and name != "config_file":
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    coerced = {name: _coerce(name, raw, str(fields[name].type)) for name, raw in values.items()}
    settings = Settings(**coerced)
    if settings.dialect not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"database_url must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL, not {settings.dialect}://"
        )
    return settings
