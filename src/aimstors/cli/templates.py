"""`aimstors templates`: message templates from a file to Meta's review and back (lint, submit, sync, preview)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer
from rich.text import Text

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import err_console, fail, run
from aimstors.core.errors import AimstorsError, InvalidInput
from aimstors.core.security import Actor
from aimstors.core.services import Services
from aimstors.core.templates import catalog, lifecycle
from aimstors.core.templates import preview as previews
from aimstors.core.templates import sync as syncing
from aimstors.core.templates.definitions import read_definition_file
from aimstors.core.templates.findings import Finding
from aimstors.core.templates.lint import TemplateLinter, summary
from aimstors.core.templates.sending import SendParameters

app = typer.Typer(
    help="Message templates: create from JSON/YAML, lint against Meta's rules, submit, sync, preview, delete.",
    no_args_is_help=True,
)

TENANT = typer.Option(None, "--tenant", "-t", help="The workspace (default: your own; the operator names one).")
ACCOUNT = typer.Option(None, "--account", help="The WABA id, when the workspace has several WhatsApp accounts.")
LANGUAGE = typer.Option(None, "--language", "-l", help="The template's language, when it exists in several.")
LIST_COLUMNS = ["name", "language", "category", "status", "quality_score", "waba_id", "meta_id"]


def _print_findings(findings: Sequence[Finding], title: str) -> None:
    emit(
        [{"severity": str(f.severity), "path": f.path, "message": f.message} for f in findings],
        json=False,
        title=title,
        columns=["severity", "path", "message"],
    )


@app.command()
def create(
    file: Path = typer.Argument(..., help="The definition: a .json or .yaml file.", metavar="FILE"),
    tenant: str | None = TENANT,
    account: str | None = ACCOUNT,
    json_: bool = JSON_OPTION,
) -> None:
    """Lint FILE and store it as a draft template (nothing goes to Meta until `submit`)."""

    async def go(services: Services, actor: Actor) -> lifecycle.DraftResult:
        definition = read_definition_file(file)
        return await lifecycle.create_draft(services, actor, definition=definition, tenant_slug=tenant, waba_id=account)

    result = run(go)
    if json_:
        emit(result, json=True)
        return
    view = result.template
    verb = "replaced draft" if result.replaced else "created draft"
    console.print(f"{verb} {view.name} ({view.language}) for WABA {view.waba_id} in {view.tenant}")
    if result.warnings:
        _print_findings(result.warnings, "Warnings")
    console.print(f"[dim]next: aimstors templates submit {view.name} --tenant {view.tenant}[/]")


@app.command()
def lint(
    target: str = typer.Argument(..., help="A definition file, or the name of a stored template.", metavar="FILE|NAME"),
    tenant: str | None = TENANT,
    account: str | None = ACCOUNT,
    language: str | None = LANGUAGE,
    json_: bool = JSON_OPTION,
) -> None:
    """Check FILE (or stored template NAME) against Meta's rules; exit code 3 when it has errors."""
    path = Path(target)
    if path.is_file() or path.suffix.lower() in {".json", ".yaml", ".yml"}:
        try:
            findings = TemplateLinter().lint(read_definition_file(path))
        except AimstorsError as exc:
            raise fail(exc) from None
        label = target
    else:

        async def go(services: Services, actor: Actor) -> lifecycle.StoredLint:
            return await lifecycle.lint_stored(
                services, actor, name=target, language=language, tenant_slug=tenant, waba_id=account
            )

        stored = run(go)
        findings, label = list(stored.findings), f"{stored.name} ({stored.language}, {stored.status})"
    errors = [f for f in findings if f.is_error]
    if json_:
        emit({"target": label, "ok": not errors, "summary": summary(findings), "findings": findings}, json=True)
    elif findings:
        _print_findings(findings, label)
    if errors:
        err_console.print(Text.assemble(("error:", "bold red"), f" {label}: {summary(findings)}"))
        raise typer.Exit(InvalidInput.exit_code)
    if not json_:
        console.print(Text(f"{label}: {summary(findings)}"))


@app.command()
def submit(
    name: str,
    tenant: str | None = TENANT,
    account: str | None = ACCOUNT,
    language: str | None = LANGUAGE,
    json_: bool = JSON_OPTION,
) -> None:
    """Submit draft NAME to Meta for review; it is linted first and never sent with errors."""

    async def go(services: Services, actor: Actor) -> lifecycle.SubmitResult:
        return await lifecycle.submit(
            services, actor, name=name, language=language, tenant_slug=tenant, waba_id=account
        )

    result = run(go)
    if json_:
        emit(result, json=True)
        return
    view = result.template
    adopted = " (Meta had it already from an earlier attempt)" if result.adopted else ""
    console.print(f"submitted {view.name} ({view.language}): {view.status} at Meta, id {view.meta_id}{adopted}")
    if result.warnings:
        _print_findings(result.warnings, "Warnings")


@app.command()
def sync(tenant: str | None = TENANT, account: str | None = ACCOUNT, json_: bool = JSON_OPTION) -> None:
    """Bring the local templates in step with Meta: status, quality, category, components; deletions."""

    async def go(services: Services, actor: Actor) -> list[syncing.SyncReport]:
        return await syncing.sync_templates(services, actor, tenant_slug=tenant, waba_id=account)

    emit(
        run(go),
        json=json_,
        title="Synced",
        columns=["waba_id", "at_meta", "created", "updated", "unchanged", "deleted"],
    )


@app.command("list")
def list_(
    tenant: str | None = TENANT,
    status: str | None = typer.Option(None, "--status", help="Only this status: APPROVED, PENDING, DRAFT, …"),
    category: str | None = typer.Option(None, "--category", help="Only this category: MARKETING, UTILITY, …"),
    json_: bool = JSON_OPTION,
) -> None:
    """List the workspace's templates."""

    async def go(services: Services, actor: Actor) -> list[catalog.TemplateView]:
        return await catalog.list_templates(services.db, actor, tenant_slug=tenant, status=status, category=category)

    emit(run(go), json=json_, title="Templates", columns=LIST_COLUMNS)


@app.command()
def show(
    name: str,
    tenant: str | None = TENANT,
    account: str | None = ACCOUNT,
    language: str | None = LANGUAGE,
    json_: bool = JSON_OPTION,
) -> None:
    """Show template NAME: status, category, Meta id and components."""

    async def go(services: Services, actor: Actor) -> catalog.TemplateView:
        return await lifecycle.get_by_name(
            services, actor, name=name, language=language, tenant_slug=tenant, waba_id=account
        )

    view = run(go)
    if json_:
        emit(view, json=True)
        return
    emit(view, json=False, columns=[*LIST_COLUMNS, "parameter_format", "rejected_reason", "updated_at"])
    emit(view.components, json=True)


@app.command()
def preview(
    name: str,
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="A value as KEY=VALUE (1=Pablo, first_name=Pablo, header.1=Sale, header=https://…/a.jpg, "
        "button.0=ABC) or a bare VALUE filling the body in order. Repeatable.",
    ),
    examples: bool = typer.Option(False, "--examples", help="Take values not given from the template's examples."),
    tenant: str | None = TENANT,
    account: str | None = ACCOUNT,
    language: str | None = LANGUAGE,
    json_: bool = JSON_OPTION,
) -> None:
    """Render NAME as the customer would see it; the values are checked as before a real send."""

    async def go(services: Services, actor: Actor) -> previews.TemplatePreview:
        return await previews.preview_template(
            services,
            actor,
            name=name,
            parameters=SendParameters.parse(param),
            language=language,
            tenant_slug=tenant,
            waba_id=account,
            use_examples=examples,
        )

    shown = run(go)
    if json_:
        emit(shown, json=True)
        return
    # The template's own text is printed as text, never read as rich markup ("[Track]" is a button, not a style).
    console.print(Text(f"{shown.name} ({shown.language}) · {shown.category} · {shown.status}", style="dim"))
    if shown.header:
        console.print(Text(shown.header, style="bold"))
    console.print(Text(shown.body))
    if shown.footer:
        console.print(Text(shown.footer, style="dim"))
    for button in shown.buttons:
        console.print(Text(button))


@app.command()
def delete(
    name: str,
    tenant: str | None = TENANT,
    account: str | None = ACCOUNT,
    language: str | None = LANGUAGE,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_: bool = JSON_OPTION,
) -> None:
    """Delete template NAME at Meta and here (every language, unless --language names one)."""
    if not yes:
        which = f"{name} ({language})" if language else f"{name} (every language)"
        typer.confirm(
            f"Delete template {which} at Meta and here? An approved name stays blocked at Meta for 30 days.",
            abort=True,
        )

    async def go(services: Services, actor: Actor) -> lifecycle.DeleteResult:
        return await lifecycle.delete(
            services, actor, name=name, language=language, tenant_slug=tenant, waba_id=account
        )

    result = run(go)
    if json_:
        emit(result, json=True)
        return
    kept = f"; {result.kept} kept as DELETED for campaign history" if result.kept else ""
    console.print(
        f"deleted {result.name} ({', '.join(result.languages)}): {result.deleted_at_meta} at Meta, "
        f"{result.removed} here{kept}"
    )
