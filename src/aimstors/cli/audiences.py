"""`aimstors audiences`: saved audiences (static lists, segments, CSV files, Google Sheets, retargeting)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from aimstors.cli import contact_options as opt
from aimstors.cli.import_progress import import_progress, print_rejections, print_report
from aimstors.cli.output import JSON_OPTION, console, emit, to_jsonable
from aimstors.cli.runner import run
from aimstors.core import audiences, contacts
from aimstors.core.errors import InvalidInput
from aimstors.core.google import GoogleSheets
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(
    help="Audiences: static lists, segments, CSV files, Google Sheets and campaign retargeting.", no_args_is_help=True
)

KINDS = ", ".join(["static", "segment", "csv", "sheet", "retarget"])
SOURCES = "Sources (by kind)"
LIST_COLUMNS = ["id", "name", "kind", "summary", "members", "created_at"]
AUDIENCE = typer.Argument(..., help="The audience's name (or id).")


def _view(view: audiences.AudienceView, totals: audiences.AudienceCount | None = None) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(view)
    if totals is not None:
        data["count"] = to_jsonable(totals)
    return data


def _rules(
    kind: str,
    *,
    rules: audiences.SegmentRules,
    filtered: bool,
    file: Path | None,
    spreadsheet: str | None,
    range_: str | None,
    integration: str | None,
    campaign: int | None,
    status: list[str],
    mapping: audiences.TableMapping,
    encoding: str,
    delimiter: str | None,
) -> tuple[audiences.Rules, audiences.SegmentRules | None]:
    """(rules to save, snapshot filter for a static list) from the options; InvalidInput for a misfit."""
    given = {"--file": file, "--spreadsheet": spreadsheet, "--campaign": campaign}
    wanted = {"csv": "--file", "sheet": "--spreadsheet", "retarget": "--campaign"}.get(kind)
    stray = [name for name, value in given.items() if value is not None and name != wanted]
    if stray or (filtered and kind not in ("segment", "static")):
        raise InvalidInput(f"{', '.join(stray) or 'filter options'} do not apply to a {kind} audience")
    if kind == "segment":
        return rules, None
    if kind == "static":
        return audiences.StaticRules(), rules if filtered else None
    if kind == "csv":
        if file is None:
            raise InvalidInput("a csv audience needs --file")
        return audiences.CsvFileRules(str(file), mapping, encoding, delimiter), None
    if kind == "sheet":
        if spreadsheet is None or range_ is None:
            raise InvalidInput("a sheet audience needs --spreadsheet and --range")
        return audiences.SheetRules(spreadsheet, range_, mapping, integration), None
    if kind == "retarget":
        if campaign is None:
            raise InvalidInput("a retarget audience needs --campaign and at least one --status")
        return audiences.RetargetRules(campaign, tuple(status)).check(), None
    raise InvalidInput(f"unknown audience kind {kind!r}", hint=f"one of {KINDS}")


@app.command()
def create(
    name: str = typer.Argument(..., help="A name, unique in the workspace."),
    kind: str = typer.Option(..., "--kind", "-k", help=f"One of: {KINDS}."),
    tenant: str | None = opt.TENANT,
    from_csv: Path | None = typer.Option(
        None,
        "--from-csv",
        help="static: import this CSV file's contacts into the list.",
        rich_help_panel=SOURCES,
        exists=True,
        dir_okay=False,
    ),
    file: Path | None = typer.Option(
        None, "--file", help="csv: the file read at each send.", rich_help_panel=SOURCES, exists=True, dir_okay=False
    ),
    spreadsheet: str | None = typer.Option(
        None, "--spreadsheet", help="sheet: the spreadsheet id.", rich_help_panel=SOURCES
    ),
    range_: str | None = typer.Option(
        None, "--range", help="sheet: an A1 range whose first row names the columns.", rich_help_panel=SOURCES
    ),
    integration: str | None = typer.Option(
        None, "--integration", help="sheet: which Google integration (default: the first).", rich_help_panel=SOURCES
    ),
    campaign: int | None = typer.Option(
        None, "--campaign", help="retarget: the campaign's id.", rich_help_panel=SOURCES
    ),
    status: list[str] = typer.Option(
        [],
        "--status",
        help=f"retarget: {', '.join(audiences.RETARGET_STATUSES)} (repeatable).",
        rich_help_panel=SOURCES,
    ),
    tag: list[str] = opt.TAG,
    any_tag: list[str] = opt.ANY_TAG,
    not_tag: list[str] = opt.NOT_TAG,
    attr_equals: list[str] = opt.ATTR_EQUALS,
    attr_contains: list[str] = opt.ATTR_CONTAINS,
    attr_exists: list[str] = opt.ATTR_EXISTS,
    inbound_within: str | None = opt.INBOUND_WITHIN,
    inbound_older_than: str | None = opt.INBOUND_OLDER_THAN,
    opted_out: bool | None = opt.OPTED_OUT,
    phone_column: str | None = opt.PHONE_COLUMN,
    name_column: str | None = opt.NAME_COLUMN,
    attr: list[str] = opt.ATTR_MAP,
    region: str | None = opt.REGION,
    encoding: str = opt.ENCODING,
    delimiter: str | None = opt.DELIMITER,
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="--from-csv: import the valid rows only."),
    rejects: Path | None = typer.Option(None, "--rejects", help="--from-csv: write rejected rows here."),
    json_: bool = JSON_OPTION,
) -> None:
    """Create an audience.

    static: a list, empty, filled now from the contact filters (a snapshot), or from --from-csv (an import).
    segment: the contact filters, evaluated at each send. csv: --file read at each send. sheet: --spreadsheet and
    --range read at each send. retarget: recipients of --campaign with a --status.
    """
    filters = (tag, any_tag, not_tag, attr_equals, attr_contains, attr_exists, inbound_within, inbound_older_than,
               opted_out)  # fmt: skip

    async def go(services: Services, actor: Actor) -> audiences.AudienceView:
        if from_csv is not None:
            if kind != "static":
                raise InvalidInput("--from-csv fills a static audience (--kind static)")
            options = contacts.ImportOptions(
                mapping=opt.column_mapping(phone_column, name_column, attr, region),
                csv_format=contacts.CsvFormat(encoding, delimiter),
                skip_invalid=skip_invalid,
                rejects_path=rejects,
            )
            with import_progress() as update:
                try:
                    view, report = await audiences.create_static_from_csv(
                        services.db, actor, name, from_csv, options, tenant_slug=tenant, progress=update
                    )
                except contacts.CsvRowsInvalid as exc:
                    print_rejections(exc.rejections, exc.total)
                    raise
            if not json_:
                print_report(report, console)
            return view
        mapping = audiences.TableMapping(phone_column, name_column, opt.attribute_map(attr), region)
        rules, snapshot = _rules(
            kind, rules=opt.segment_rules(*filters), filtered=opt.has_filters(*filters), file=file,
            spreadsheet=spreadsheet, range_=range_, integration=integration, campaign=campaign, status=status,
            mapping=mapping, encoding=encoding, delimiter=delimiter,
        )  # fmt: skip
        async with GoogleSheets.from_services(services) as sheets:
            return await audiences.create_audience(
                services.db, actor, name, rules, tenant_slug=tenant, snapshot=snapshot, sheets=sheets
            )

    view = run(go)
    if json_:
        emit(_view(view), json=True)
    else:
        size = f", {view.members:,} members" if view.members is not None else ""
        console.print(f"created {view.kind} audience {view.name!r} (id {view.id}{size}): {view.summary}")


@app.command("list")
def list_(tenant: str | None = opt.TENANT, json_: bool = JSON_OPTION) -> None:
    """List a workspace's audiences."""

    async def go(services: Services, actor: Actor) -> list[audiences.AudienceView]:
        return await audiences.list_audiences(services.db, actor, tenant_slug=tenant)

    emit(run(go), json=json_, columns=LIST_COLUMNS, title="Audiences")


@app.command()
def show(audience: str = AUDIENCE, tenant: str | None = opt.TENANT, json_: bool = JSON_OPTION) -> None:
    """Show an audience and how many it reaches now (after opt-outs and marketing limits)."""

    async def go(services: Services, actor: Actor) -> audiences.AudiencePreview:
        async with GoogleSheets.from_services(services) as sheets:
            return await audiences.preview_audience(
                services.db, actor, audience, tenant_slug=tenant, limit=0, sheets=sheets
            )

    preview = run(go)
    data = _view(preview.audience, preview.count)
    if json_:
        emit(data, json=True)
        return
    data.pop("count")
    emit(data, json=False)
    _print_count(preview.count)


def _print_count(totals: audiences.AudienceCount) -> None:
    parts = [f"{totals.matched:,} matched", f"{totals.opted_out:,} opted out"]
    parts.append(f"{totals.marketing_limited:,} cooling down (131049)")
    if totals.invalid:
        parts.append(f"{totals.invalid:,} rows without a usable number")
    console.print(f"[bold]{totals.eligible:,} recipients[/] ({'; '.join(parts)})")


@app.command()
def preview(
    audience: str = AUDIENCE,
    tenant: str | None = opt.TENANT,
    limit: int = typer.Option(10, min=0, max=100, help="How many recipients to show."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show who an audience reaches now: the count and the first recipients. Sends nothing."""

    async def go(services: Services, actor: Actor) -> audiences.AudiencePreview:
        async with GoogleSheets.from_services(services) as sheets:
            return await audiences.preview_audience(
                services.db, actor, audience, tenant_slug=tenant, limit=limit, sheets=sheets
            )

    result = run(go)
    sample = [{**to_jsonable(r), "phone": f"+{r.wa_id}"} for r in result.sample]
    if json_:
        emit({**_view(result.audience, result.count), "sample": sample}, json=True)
        return
    _print_count(result.count)
    emit(sample, json=False, columns=["contact_id", "phone", "name", "attributes"], title="Recipients")


@app.command()
def delete(
    audience: str = AUDIENCE,
    tenant: str | None = opt.TENANT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete an audience (its contacts stay; a static list's memberships go)."""
    if not yes:
        typer.confirm(f"delete audience {audience!r}?", abort=True)

    async def go(services: Services, actor: Actor) -> audiences.AudienceView:
        return await audiences.delete_audience(services.db, actor, audience, tenant_slug=tenant)

    view = run(go)
    console.print(f"deleted {view.kind} audience {view.name!r}")


def _members(
    audience: str,
    tenant: str | None,
    *,
    adding: bool,
    contact: list[int],
    phone: list[str],
    filters: tuple[Any, ...],
) -> int:
    async def go(services: Services, actor: Actor) -> int:
        where = opt.segment_rules(*filters) if opt.has_filters(*filters) else None
        change = audiences.add_members if adding else audiences.remove_members
        return await change(
            services.db, actor, audience, tenant_slug=tenant, contact_ids=contact, phones=phone, where=where
        )

    return run(go)


CONTACT_IDS = typer.Option([], "--contact", help="A contact id (repeatable).")
PHONES = typer.Option([], "--phone", help="A phone number (repeatable).")


@app.command()
def add(
    audience: str = AUDIENCE,
    tenant: str | None = opt.TENANT,
    contact: list[int] = CONTACT_IDS,
    phone: list[str] = PHONES,
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
    """Add contacts to a static list: by id, by number (new numbers become contacts), or by filter (a snapshot)."""
    filters = (tag, any_tag, not_tag, attr_equals, attr_contains, attr_exists, inbound_within, inbound_older_than,
               opted_out)  # fmt: skip
    added = _members(audience, tenant, adding=True, contact=contact, phone=phone, filters=filters)
    console.print(f"added {added:,} members to {audience!r}")


@app.command()
def remove(
    audience: str = AUDIENCE,
    tenant: str | None = opt.TENANT,
    contact: list[int] = CONTACT_IDS,
    phone: list[str] = PHONES,
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
    """Remove contacts from a static list by id, number or filter (the contacts themselves stay)."""
    filters = (tag, any_tag, not_tag, attr_equals, attr_contains, attr_exists, inbound_within, inbound_older_than,
               opted_out)  # fmt: skip
    removed = _members(audience, tenant, adding=False, contact=contact, phone=phone, filters=filters)
    console.print(f"removed {removed:,} members from {audience!r}")
