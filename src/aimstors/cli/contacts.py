"""`aimstors contacts`: import a CSV file, list and show, tag and untag, export, opt out and in."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import typer

from aimstors.cli import contact_options as opt
from aimstors.cli.import_progress import err_console, import_progress, print_rejections, print_report
from aimstors.cli.output import JSON_OPTION, console, emit, to_jsonable
from aimstors.cli.runner import run
from aimstors.core import contacts
from aimstors.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(help="Contacts: import, list, show, tag, export, opt-out.", no_args_is_help=True)

LIST_COLUMNS = ["id", "phone", "profile_name", "tags", "opted_out", "last_inbound_at"]
CONTACT = typer.Argument(..., help="A contact id, or a phone number starting with + (e.g. +15550100000).")


def _row(view: contacts.ContactView) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(view)
    data["phone"] = f"+{view.wa_id}" if view.wa_id else ""
    return data


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., help="The CSV file; its first line names the columns.", exists=True, dir_okay=False
    ),
    tenant: str | None = opt.TENANT,
    phone_column: str | None = opt.PHONE_COLUMN,
    name_column: str | None = opt.NAME_COLUMN,
    attr: list[str] = opt.ATTR_MAP,
    tag_column: str | None = typer.Option(
        None, "--tag-column", help="Column of tags separated by , ; or |.", rich_help_panel=opt.COLUMNS
    ),
    tags: str | None = typer.Option(
        None, "--tags", help="Tags for every row, comma separated.", rich_help_panel=opt.COLUMNS
    ),
    region: str | None = opt.REGION,
    encoding: str = opt.ENCODING,
    delimiter: str | None = opt.DELIMITER,
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid rows and report the others (default: all or nothing)."
    ),
    rejects: Path | None = typer.Option(None, "--rejects", help="Write rejected rows here (CSV: line, reason, row)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on a terminal."),
    json_: bool = JSON_OPTION,
) -> None:
    """Import contacts from FILE: numbers normalised to E.164, duplicates merged, opt-outs kept.

    All or nothing: one invalid row (or a malformed file) imports nothing and names the line; --skip-invalid imports
    the valid rows instead. Existing contacts are updated (name, attributes, tags), never opted back in.
    """

    async def go(services: Services, actor: Actor) -> contacts.ImportReport:
        options = contacts.ImportOptions(
            mapping=opt.column_mapping(phone_column, name_column, attr, region, tag_column=tag_column, tags=tags),
            csv_format=contacts.CsvFormat(encoding, delimiter),
            skip_invalid=skip_invalid,
            rejects_path=rejects,
        )
        with import_progress(enabled=progress) as update:
            try:
                return await contacts.import_contacts(
                    services.db, actor, file, tenant_slug=tenant, options=options, progress=update
                )
            except contacts.CsvRowsInvalid as exc:
                print_rejections(exc.rejections, exc.total)
                raise

    report = run(go)
    if json_:
        emit(report, json=True)
    else:
        print_report(report, console)


@app.command("list")
def list_(
    tenant: str | None = opt.TENANT,
    search: str | None = typer.Option(None, "--search", "-s", help="Part of a name or number."),
    tag: list[str] = opt.TAG,
    any_tag: list[str] = opt.ANY_TAG,
    not_tag: list[str] = opt.NOT_TAG,
    attr_equals: list[str] = opt.ATTR_EQUALS,
    attr_contains: list[str] = opt.ATTR_CONTAINS,
    attr_exists: list[str] = opt.ATTR_EXISTS,
    inbound_within: str | None = opt.INBOUND_WITHIN,
    inbound_older_than: str | None = opt.INBOUND_OLDER_THAN,
    opted_out: bool | None = opt.OPTED_OUT,
    limit: int = typer.Option(DEFAULT_LIMIT, min=1, max=MAX_LIMIT, help="Contacts per page."),
    cursor: str | None = typer.Option(None, "--cursor", help="Continue after a previous page (its next cursor)."),
    json_: bool = JSON_OPTION,
) -> None:
    """List a workspace's contacts, oldest first, a page at a time."""

    async def go(services: Services, actor: Actor) -> Page[contacts.ContactView]:
        rules = opt.segment_rules(tag, any_tag, not_tag, attr_equals, attr_contains, attr_exists,
                                  inbound_within, inbound_older_than, opted_out)  # fmt: skip
        where = dataclasses.replace(rules.to_filter(), search=search)
        return await contacts.list_contacts(
            services.db, actor, tenant_slug=tenant, where=where, limit=limit, cursor=cursor
        )

    page = run(go)
    if json_:
        emit({"items": [_row(c) for c in page.items], "next_cursor": page.next_cursor}, json=True)
        return
    emit([_row(c) for c in page.items], json=False, columns=LIST_COLUMNS, title="Contacts")
    if page.next_cursor:
        err_console.print(f"[dim]more: --cursor {page.next_cursor}[/]")


@app.command()
def show(contact: str = CONTACT, tenant: str | None = opt.TENANT, json_: bool = JSON_OPTION) -> None:
    """Show one contact: number, name, tags, attributes, consent and activity."""

    async def go(services: Services, actor: Actor) -> contacts.ContactView:
        return await contacts.find_contact(services.db, actor, contact, tenant_slug=tenant)

    emit(_row(run(go)), json=json_)


def _update(contact: str, tenant: str | None, *, add: list[str], remove: list[str]) -> contacts.ContactView:
    async def go(services: Services, actor: Actor) -> contacts.ContactView:
        found = await contacts.find_contact(services.db, actor, contact, tenant_slug=tenant)
        return await contacts.update_contact(
            services.db, actor, found.id, tenant_slug=tenant, add_tags=add, remove_tags=remove, events=services.events
        )

    return run(go)


@app.command()
def tag(
    contact: str = CONTACT,
    tags: list[str] = typer.Argument(..., help="Tags to add."),
    tenant: str | None = opt.TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """Add TAGS to a contact."""
    view = _update(contact, tenant, add=tags, remove=[])
    emit(_row(view), json=True) if json_ else console.print(f"contact {view.id} tags: {', '.join(view.tags) or '-'}")


@app.command()
def untag(
    contact: str = CONTACT,
    tags: list[str] = typer.Argument(..., help="Tags to remove."),
    tenant: str | None = opt.TENANT,
    json_: bool = JSON_OPTION,
) -> None:
    """Remove TAGS from a contact (tags it does not carry are ignored)."""
    view = _update(contact, tenant, add=[], remove=tags)
    emit(_row(view), json=True) if json_ else console.print(f"contact {view.id} tags: {', '.join(view.tags) or '-'}")


@app.command()
def export(
    file: Path | None = typer.Argument(None, help="Write here (default: standard output).", dir_okay=False),
    tenant: str | None = opt.TENANT,
    search: str | None = typer.Option(None, "--search", "-s", help="Part of a name or number."),
    tag: list[str] = opt.TAG,
    any_tag: list[str] = opt.ANY_TAG,
    not_tag: list[str] = opt.NOT_TAG,
    attr_equals: list[str] = opt.ATTR_EQUALS,
    attr_contains: list[str] = opt.ATTR_CONTAINS,
    attr_exists: list[str] = opt.ATTR_EXISTS,
    inbound_within: str | None = opt.INBOUND_WITHIN,
    inbound_older_than: str | None = opt.INBOUND_OLDER_THAN,
    opted_out: bool | None = opt.OPTED_OUT,
) -> None:
    """Export contacts as CSV (one column per attribute), streamed to FILE or standard output."""

    async def go(services: Services, actor: Actor) -> int:
        rules = opt.segment_rules(tag, any_tag, not_tag, attr_equals, attr_contains, attr_exists,
                                  inbound_within, inbound_older_than, opted_out)  # fmt: skip
        where = dataclasses.replace(rules.to_filter(), search=search)
        if file is None:
            return await contacts.export_contacts(services.db, actor, sys.stdout, tenant_slug=tenant, where=where)
        with file.open("w", encoding="utf-8", newline="") as out:
            return await contacts.export_contacts(services.db, actor, out, tenant_slug=tenant, where=where)

    count = run(go)
    if file is not None:
        err_console.print(f"exported {count:,} contacts to {file}")


def _consent(contact: str, tenant: str | None, *, opted_out: bool, json_: bool) -> None:
    async def go(services: Services, actor: Actor) -> contacts.ContactView:
        found = await contacts.find_contact(services.db, actor, contact, tenant_slug=tenant)
        change = contacts.opt_out if opted_out else contacts.opt_in
        return await change(services.db, actor, found.id, tenant_slug=tenant, events=services.events)

    view = run(go)
    if json_:
        emit(_row(view), json=True)
    else:
        console.print(f"contact {view.id} is {'opted out' if view.opted_out else 'opted in'}")


@app.command()
def optout(contact: str = CONTACT, tenant: str | None = opt.TENANT, json_: bool = JSON_OPTION) -> None:
    """Opt a contact out of marketing: every audience leaves it out from now on."""
    _consent(contact, tenant, opted_out=True, json_=json_)


@app.command()
def optin(contact: str = CONTACT, tenant: str | None = opt.TENANT, json_: bool = JSON_OPTION) -> None:
    """Opt a contact back in (only with the person's consent: the change is audited)."""
    _consent(contact, tenant, opted_out=False, json_=json_)
