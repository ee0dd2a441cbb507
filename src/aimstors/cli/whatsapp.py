"""`aimstors whatsapp`: connect a WhatsApp Business Account and its numbers to a workspace."""

from __future__ import annotations

import typer

from aimstors.cli.output import JSON_OPTION, console, emit
from aimstors.cli.runner import run
from aimstors.core import whatsapp_accounts
from aimstors.core.security import Actor
from aimstors.core.services import Services

app = typer.Typer(help="WhatsApp connections: business accounts and phone numbers.", no_args_is_help=True)


@app.command()
def connect(
    tenant: str,
    waba_id: str = typer.Option(..., "--waba-id", help="The WhatsApp Business Account id."),
    phone_number_id: list[str] = typer.Option(..., "--phone-number-id", help="A number's id (repeatable)."),
    token: str = typer.Option(
        ...,
        "--token",
        envvar="AIMSTORS_META_ACCESS_TOKEN",
        prompt="Access token",
        hide_input=True,
        help="A Cloud API access token (system user token); stored encrypted, never shown again.",
    ),
    json_: bool = JSON_OPTION,
) -> None:
    """Connect TENANT to a WABA with a Cloud API access token; checks each number with Meta first."""

    async def go(services: Services, actor: Actor) -> whatsapp_accounts.AccountInfo:
        return await whatsapp_accounts.connect_account(
            services,
            actor,
            tenant_slug=tenant,
            waba_id=waba_id,
            access_token=token,
            phone_number_ids=list(phone_number_id),
        )

    info = run(go)
    if json_:
        emit(info, json=True)
        return
    console.print(f"connected WABA {info.waba_id} to {info.tenant}")
    emit(
        [n for n in info.numbers],
        json=False,
        title="Numbers",
        columns=[
            "phone_number_id",
            "display_number",
            "verified_name",
            "quality_rating",
            "messaging_tier",
            "throughput_mps",
        ],
    )


@app.command()
def numbers(tenant: str, json_: bool = JSON_OPTION) -> None:
    """List TENANT's connected numbers."""

    async def go(services: Services, actor: Actor) -> list[whatsapp_accounts.AccountInfo]:
        return await whatsapp_accounts.list_numbers(services.db, actor, tenant_slug=tenant)

    accounts = run(go)
    rows = [n for a in accounts for n in a.numbers]
    emit(
        rows,
        json=json_,
        title="Numbers",
        columns=["phone_number_id", "display_number", "waba_id", "quality_rating", "messaging_tier", "throughput_mps"],
    )
