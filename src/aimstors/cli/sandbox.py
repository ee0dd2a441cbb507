"""`aimstors sandbox`: run the local Cloud API emulator and drive it (simulated users, template review, faults).

Every command but ``serve`` talks to a running sandbox over HTTP (``--url``, default ``AIMSTORS_SANDBOX_URL`` or
http://127.0.0.1:8790).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core.errors import AimstorsError, ConfigError, InvalidInput, NotFound

app = typer.Typer(
    help="The local Cloud API sandbox: serve it, make users talk, review templates, inject faults.",
    no_args_is_help=True,
)
template_app = typer.Typer(
    help="Review a template as Meta would (posts message_template_status_update).", no_args_is_help=True
)
faults_app = typer.Typer(help="Fault injection for the running sandbox.", no_args_is_help=True)
app.add_typer(template_app, name="template")
app.add_typer(faults_app, name="faults")

T = TypeVar("T")
DEFAULT_URL = "http://127.0.0.1:8790"
URL_OPTION = typer.Option(DEFAULT_URL, "--url", envvar="AIMSTORS_SANDBOX_URL", help="Base URL of the sandbox.")


class SandboxUnreachable(AimstorsError):
    code = "sandbox_unreachable"
    exit_code = 11


def _call(url: str, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(remote)`` against the sandbox at ``url``; its errors become CLI errors with exit codes."""
    import httpx

    from aimstors.sandbox.remote import RemoteError, SandboxRemote

    async def go() -> T:
        try:
            async with SandboxRemote(url) as remote:
                return await work(remote)
        except RemoteError as exc:
            raise (NotFound if exc.status == 404 else InvalidInput)(exc.message) from None
        except httpx.TransportError:
            raise SandboxUnreachable(
                f"no sandbox answers at {url}", hint="start one with `aimstors sandbox serve`"
            ) from None

    return run(go())


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8790, "--port", help="Port to listen on."),
    webhook_url: str | None = typer.Option(
        None, "--webhook-url", help="Where webhooks go, e.g. http://127.0.0.1:8000/webhooks/whatsapp."
    ),
    app_secret: str | None = typer.Option(
        None, "--app-secret", envvar="AIMSTORS_META_APP_SECRET", help="Signs webhooks (X-Hub-Signature-256)."
    ),
    verify_token: str | None = typer.Option(
        None, "--verify-token", envvar="AIMSTORS_META_VERIFY_TOKEN", help="For the webhook verification handshake."
    ),
    config_file: Path | None = typer.Option(
        None, "--sandbox-config", help="TOML or JSON file with the full sandbox configuration (accounts, rules...)."
    ),
    throughput: int | None = typer.Option(None, "--throughput", help="Messages per second per number (1..1000)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Webhook events per POST."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Approve new templates at once."),
    failure_mode: str | None = typer.Option(
        None, "--failure-mode", help="131047/131026 as a failed status webhook (webhook, Meta's way) or a response."
    ),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level."),
) -> None:
    """Run the sandbox in the foreground until Ctrl-C."""
    from aimstors.sandbox import SandboxConfig
    from aimstors.sandbox import serve as serve_sandbox

    data: dict[str, Any] = _read_config(config_file) if config_file else {}
    data.update(host=host, port=port)
    overrides = {
        "webhook_url": webhook_url,
        "app_secret": app_secret,
        "verify_token": verify_token,
        "failure_mode": failure_mode,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    if auto_approve:
        data["auto_approve_templates"] = True
    if batch_size is not None:
        data.setdefault("callbacks", {})["batch_size"] = batch_size
    try:
        config = SandboxConfig.from_dict(data)
        if throughput is not None:
            accounts = [
                {**_plain(a), "phone_numbers": [{**_plain(n), "throughput_mps": throughput} for n in a.phone_numbers]}
                for a in config.accounts
            ]
            config = SandboxConfig.from_dict({**_plain(config), "accounts": accounts})
    except ConfigError as exc:
        raise _fail(exc) from None
    console.print(f"sandbox on http://{host}:{port} (webhooks: {config.webhook_url or 'none'}); Ctrl-C stops it")
    serve_sandbox(config, log_level=log_level)


def _plain(value: Any) -> dict[str, Any]:
    import msgspec

    plain: dict[str, Any] = msgspec.to_builtins(value)
    return plain


def _fail(error: AimstorsError) -> typer.Exit:
    from aimstors.cli.runner import fail

    return fail(error)


def _read_config(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise _fail(ConfigError(f"{path}: {exc}")) from None
    return data


@app.command()
def say(
    phone: str,
    text: str,
    name: str | None = typer.Option(None, "--name", help="The user's profile name."),
    phone_number_id: str | None = typer.Option(
        None, "--phone-number-id", help="Which business number (default: first)."
    ),
    url: str = URL_OPTION,
) -> None:
    """The user PHONE sends TEXT to the business number (opens the 24-hour window)."""
    wamid = _call(url, lambda r: r.say(phone, text, phone_number_id=phone_number_id, name=name))
    console.print(f"sent {wamid}")


@app.command()
def reply(
    phone: str,
    choice: str,
    message_id: str | None = typer.Option(None, "--message-id", help="The message answered (default: the latest)."),
    url: str = URL_OPTION,
) -> None:
    """The user PHONE taps CHOICE (a button or list row id/title, or a quick-reply payload)."""
    wamid = _call(url, lambda r: r.reply(phone, choice, message_id=message_id))
    console.print(f"sent {wamid}")


def _review(action: str) -> Callable[..., None]:
    def command(
        name: str,
        language: str | None = typer.Option(None, "--language", help="Only this language (default: all)."),
        reason: str | None = typer.Option(None, "--reason", help="Rejection reason, e.g. INVALID_FORMAT."),
        url: str = URL_OPTION,
        json_: bool = JSON_OPTION,
    ) -> None:
        changed = _call(url, lambda r: r.review_template(name, action, language=language, reason=reason))
        if json_:
            emit(changed, json=True)
            return
        emit(changed, json=False, title="Templates", columns=["name", "language", "status", "category", "id"])

    command.__doc__ = f"{action.capitalize()} the template NAME."
    return command


for _action in ("approve", "reject", "pause", "unpause", "disable"):
    template_app.command(_action)(_review(_action))


@faults_app.command("set")
def faults_set(
    latency: str | None = typer.Option(None, "--latency", help="Webhook delay range in seconds: MIN,MAX."),
    duplicate: float = typer.Option(0.0, "--duplicate", help="Fraction of webhook events sent twice."),
    reorder: float = typer.Option(0.0, "--reorder", help="Fraction of messages whose statuses arrive reversed."),
    drop: float = typer.Option(0.0, "--drop", help="Fraction of webhook events never sent."),
    send_5xx: float = typer.Option(0.0, "--send-5xx", help="Fraction of sends answered 500/503."),
    send_timeout: float = typer.Option(0.0, "--send-timeout", help="Fraction of sends whose response hangs."),
    timeout_seconds: float = typer.Option(30.0, "--timeout-seconds", help="How long a hung response hangs."),
    rate_limit_burst: int = typer.Option(0, "--rate-limit-burst", help="The next N sends get 130429."),
    url: str = URL_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Replace the faults in force (unset switches are off)."""
    faults: dict[str, Any] = {
        "duplicate": duplicate,
        "reorder": reorder,
        "drop": drop,
        "send_5xx": send_5xx,
        "send_timeout": send_timeout,
        "timeout_seconds": timeout_seconds,
        "rate_limit_burst": rate_limit_burst,
    }
    if latency:
        try:
            low, high = (float(x) for x in latency.split(","))
        except ValueError:
            raise _fail(InvalidInput("--latency is MIN,MAX in seconds, e.g. 0.1,0.5")) from None
        faults["callback_latency"] = [low, high]
    result = _call(url, lambda r: r.set_faults(**faults))
    emit(result, json=json_, title="Faults")


@faults_app.command("clear")
def faults_clear(url: str = URL_OPTION) -> None:
    """Turn every fault off."""
    _call(url, lambda r: r.clear_faults())
    console.print("faults cleared")


@app.command()
def sent(
    to: str | None = typer.Option(None, "--to", help="Only messages to this number."),
    phone_number_id: str | None = typer.Option(None, "--phone-number-id", help="Only from this business number."),
    limit: int = typer.Option(50, "--limit", help="At most this many (newest last)."),
    url: str = URL_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """List what the sandbox accepted, with each message's statuses so far."""
    messages = _call(url, lambda r: r.messages(to=to, phone_number_id=phone_number_id, limit=100_000))
    messages = messages[-limit:]
    if json_:
        emit(messages, json=True)
        return
    rows = [{**m, "statuses": " > ".join(m["statuses"]), "id": m["id"][:24] + "…"} for m in messages]
    emit(
        rows,
        json=False,
        title="Sent messages",
        columns=["id", "phone_number_id", "wa_id", "type", "template", "statuses", "error_code"],
    )


@app.command()
def status(url: str = URL_OPTION, json_: bool = JSON_OPTION) -> None:
    """Webhook delivery counters and what the sandbox holds."""
    summary = _call(url, lambda r: r._call("GET", ""))
    if json_:
        emit(summary, json=True)
        return
    emit({k: v for k, v in summary.items() if k != "accounts"}, json=False, title="Sandbox")
