"""A broadcast world over real HTTP: the sandbox (Meta), the daemon (webhooks → inbound processing → recipients)
and a workspace with a connected number, an approved template and contacts. Shared by the campaign tests, their
dispatcher subprocess and the CLI tests."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from aimstors.core import credits
from aimstors.core.billing import load_rate_card
from aimstors.core.campaigns import campaign_progress
from aimstors.core.db import Database, Scope
from aimstors.core.db.models import CampaignRecipient, Contact, ContactTag, Job, PhoneNumber, Template
from aimstors.core.security import Actor
from aimstors.core.services import Services
from aimstors.core.settings import Settings
from aimstors.core.tenancy import tenants
from aimstors.core.whatsapp_accounts import connect_account
from aimstors.sandbox import DEFAULT_PHONE_NUMBER_ID, DEFAULT_TOKEN, DEFAULT_WABA_ID, CallbackConfig, SandboxConfig
from aimstors.sandbox.config import TemplateSeed

PNID = DEFAULT_PHONE_NUMBER_ID
SLUG = "shop"
PROMO_BODY = "Hi {{1}}, enjoy {{2}} off this week at our shop!"
PROMO = TemplateSeed(
    name="promo",
    category="MARKETING",
    components=({"type": "BODY", "text": PROMO_BODY, "example": {"body_text": [["Ann", "20%"]]}},),
)
FAST = CallbackConfig(flush_interval=0.01, sent_after=0.0, delivered_after=0.02, read_after=0.04, retry_initial=0.05,
                      retry_max=0.3)  # fmt: skip
RATES = "category,country,price\nmarketing,,0.01\nmarketing,GB,0.02\nutility,,0.002\n"


def sandbox_config(settings: Settings, **changes: Any) -> SandboxConfig:
    base: dict[str, Any] = {
        "app_secret": settings.meta_app_secret,
        "callbacks": FAST,
        "templates": (PROMO,),
        "seed": 11,
    }
    base.update(changes)
    return SandboxConfig(**base)


def world_settings(settings: Settings, sandbox_url: str) -> Settings:
    return dataclasses.replace(settings, meta_graph_url=sandbox_url, daemon_roles=("api", "worker"))


@dataclasses.dataclass(frozen=True)
class Shop:
    tenant_id: int
    number_id: int
    template_id: int


async def build_shop(
    services: Services,
    *,
    contacts: int = 10,
    uk: int = 0,
    rates: bool = True,
    topup: str | None = "100",
    throughput: int | None = None,
) -> Shop:
    """Platform root → workspace ``shop`` with the sandbox's number connected (real HTTP), template ``promo``
    approved, ``contacts`` US contacts tagged ``vip`` (``uk`` of them British) and, optionally, a rate card and
    credits."""
    db = services.db
    system = Actor.system()
    await tenants.ensure_platform_root(db)
    shop = await tenants.create_tenant(db, system, slug=SLUG)
    account = await connect_account(
        services, system, tenant_slug=SLUG, waba_id=DEFAULT_WABA_ID, access_token=DEFAULT_TOKEN,
        phone_number_ids=[PNID],
    )  # fmt: skip
    number = account.numbers[0]
    if throughput is not None:  # Meta reports a level (80 or 1,000); the sandbox may be set to anything
        async with db.session(Scope.tenant(shop.id), write=True) as session:
            row = await session.get(PhoneNumber, number.id)
            assert row is not None
            row.throughput_mps = throughput
    async with db.session(Scope.tenant(shop.id), write=True) as session:
        template = Template(
            tenant_id=shop.id, account_id=account.id, name="promo", language="en_US", category="MARKETING",
            status="APPROVED", parameter_format="POSITIONAL", components=list(PROMO.components),
        )  # fmt: skip
        session.add(template)
        await session.flush()
        template_id = template.id
    await add_contacts(db, shop.id, contacts, uk=uk)
    if rates:
        await load_rate_card(db, system, RATES, plan="standard")
        from aimstors.core.billing import assign_plan

        await assign_plan(db, system, SLUG, plan="standard")
    if topup:
        await credits.topup(db, system, SLUG, topup, key=f"test-topup-{SLUG}")
    return Shop(shop.id, number.id, template_id)


def wa_id(i: int, *, uk: bool = False) -> str:
    return f"4479111{i:05d}" if uk else f"1555010{i:04d}"


async def add_contacts(db: Database, tenant_id: int, count: int, *, uk: int = 0, start: int = 0, tag: str = "vip",
                       **overrides: Any) -> list[int]:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "tenant_id": tenant_id, "wa_id": wa_id(start + i, uk=i < uk), "profile_name": f"User {start + i}",
            "attributes": {"first_name": f"Ann{start + i}"}, "created_at": now, "updated_at": now, **overrides,
        }
        for i in range(count)
    ]  # fmt: skip
    if not rows:
        return []
    async with db.connect(Scope.tenant(tenant_id), write=True) as conn:
        ids = list((await conn.execute(insert(Contact).returning(Contact.id), rows)).scalars())
        await conn.execute(insert(ContactTag), [{"tenant_id": tenant_id, "contact_id": i, "tag": tag} for i in ids])
    return ids


async def recipients(db: Database, tenant_id: int, campaign_id: int) -> list[CampaignRecipient]:
    async with db.session(Scope.tenant(tenant_id)) as session:
        return list(
            await session.scalars(
                select(CampaignRecipient)
                .where(CampaignRecipient.tenant_id == tenant_id, CampaignRecipient.campaign_id == campaign_id)
                .order_by(CampaignRecipient.id)
            )
        )


async def webhooks_processed(db: Database) -> bool:
    async with db.connect(Scope.system()) as conn:
        busy = (
            await conn.execute(
                select(func.count()).where(Job.queue == "webhooks", Job.status.in_(["queued", "running"]))
            )
        ).scalar_one()
    return busy == 0


SCRIPT = Path(__file__).with_name("dispatch_process.py")
ROOT = Path(__file__).resolve().parents[3]


def spawn_dispatcher(world: Any, campaign_id: int) -> subprocess.Popen[str]:
    settings = world.services.settings
    env = {
        **os.environ,
        "AIMSTORS_DATABASE_URL": settings.database_url,
        "AIMSTORS_SECRET_KEYS": ",".join(settings.secret_keys),
        "AIMSTORS_META_GRAPH_URL": settings.meta_graph_url,
        "AIMSTORS_CONFIG": "",
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("AIMSTORS_CONFIG")
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), "--tenant", str(world.shop.tenant_id), "--campaign", str(campaign_id)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip


async def wait_accepted(world: Any, campaign_id: int, n: int, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while (await campaign_progress(world.db, Actor.system(), campaign_id)).accepted < n:
        assert time.monotonic() < deadline, "the dispatcher process did not get going"
        await asyncio.sleep(0.02)
