"""Each refusal is a clear error with nothing sent and nothing half-written: an exhausted balance, missing
parameters, a contact lacking a value, a template Meta paused mid-campaign."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from tests.core.campaigns.conftest import FAST_DISPATCH, WorldFactory
from tests.core.campaigns.world import add_contacts, recipients

from aimstors.core import ledger
from aimstors.core.campaigns import (
    Dispatcher,
    campaign_report,
    create_campaign,
    get_campaign,
    plan_campaign,
    resume_campaign,
    send_campaign,
    start_campaign,
)
from aimstors.core.db import Scope
from aimstors.core.db.models import Contact
from aimstors.core.errors import Conflict, InsufficientFunds, InvalidInput
from aimstors.core.security import Actor

SYSTEM = Actor.system()
PARAMS = ["1=attr.first_name", "2=literal:20%"]


async def test_exhausted_balance_is_refused_before_anything_leaves(make_world: WorldFactory) -> None:
    world = await make_world(contacts=10, topup=None)
    campaign = await create_campaign(world.db, SYSTEM, name="broke", template="promo", params=PARAMS)
    plan = await plan_campaign(world.db, SYSTEM, campaign.id)
    assert not plan.enough_credits and any("not enough credits" in w for w in plan.warnings)
    with pytest.raises(InsufficientFunds, match=r"needs 0\.1 credits for 10 messages and shop has 0 available"):
        await send_campaign(world.services, SYSTEM, campaign.id, options=FAST_DISPATCH)
    assert (await get_campaign(world.db, SYSTEM, campaign.id)).state == "draft"
    assert await recipients(world.db, world.shop.tenant_id, campaign.id) == []
    assert await world.remote.messages() == []
    assert (await ledger.balances(world.db, world.shop.tenant_id))["credits:reserved"] == 0


async def test_missing_parameters_are_named(make_world: WorldFactory) -> None:
    world = await make_world(contacts=3)
    with pytest.raises(InvalidInput, match=r"needs a value for body \{\{2\}\} \(key 2\)"):
        await create_campaign(world.db, SYSTEM, name="x", template="promo", params=["1=attr.first_name"])
    with pytest.raises(InvalidInput, match="has no parameter '3'"):
        await create_campaign(world.db, SYSTEM, name="x", template="promo", params=[*PARAMS, "3=literal:x"])
    with pytest.raises(InvalidInput, match="unknown source"):
        await create_campaign(world.db, SYSTEM, name="x", template="promo", params=["1=first_name", "2=literal:1"])

    # Two contacts have no first name and the mapping has no fallback: the start refuses, naming them.
    await add_contacts(world.db, world.shop.tenant_id, 2, start=100, attributes={})
    campaign = await create_campaign(world.db, SYSTEM, name="x", template="promo", params=PARAMS)
    plan = await plan_campaign(world.db, SYSTEM, campaign.id)
    assert (plan.recipients, plan.lacking) == (3, {"attribute 'first_name'": 2})
    before = await ledger.balances(world.db, world.shop.tenant_id)
    with pytest.raises(InvalidInput, match=r"attribute 'first_name' \(2 contacts\)"):
        await send_campaign(world.services, SYSTEM, campaign.id, options=FAST_DISPATCH)
    assert (await get_campaign(world.db, SYSTEM, campaign.id)).state == "draft"
    assert await recipients(world.db, world.shop.tenant_id, campaign.id) == []
    assert await ledger.balances(world.db, world.shop.tenant_id) == before
    assert await world.remote.messages() == []

    # With a fallback everyone gets a value.
    fallback = await create_campaign(
        world.db, SYSTEM, name="y", template="promo", params=["1=attr.first_name|there", "2=literal:20%"]
    )
    result = await send_campaign(world.services, SYSTEM, fallback.id, options=FAST_DISPATCH)
    assert result.report is not None and result.report.accepted == 5
    texts = sorted(
        m["body"]["template"]["components"][0]["parameters"][0]["text"] for m in await world.remote.messages()
    )
    assert texts == ["Ann0", "Ann1", "Ann2", "there", "there"]


async def test_suppressed_contacts_are_left_out(make_world: WorldFactory) -> None:
    world = await make_world(contacts=6)
    async with world.db.connect(Scope.tenant(world.shop.tenant_id), write=True) as conn:
        ids = sorted((await conn.execute(Contact.__table__.select().with_only_columns(Contact.id))).scalars())
        await conn.execute(update(Contact).where(Contact.id == ids[0]).values(opted_out_at=ledger_now()))
        await conn.execute(
            update(Contact).where(Contact.id == ids[1]).values(marketing_limited_until=ledger_now(hours=5))
        )
    campaign = await create_campaign(world.db, SYSTEM, name="x", template="promo", params=PARAMS)
    plan = await plan_campaign(world.db, SYSTEM, campaign.id)
    assert (plan.members, plan.recipients, plan.suppressed) == (6, 4, {"opted_out": 1, "marketing_limited": 1})
    await send_campaign(world.services, SYSTEM, campaign.id, options=FAST_DISPATCH)
    report = await campaign_report(world.db, SYSTEM, campaign.id)
    assert report.sent == 4
    assert {line.reason: line.count for line in report.skipped} == {"marketing_limited": 1, "opted_out": 1}


def ledger_now(hours: float = 0) -> object:
    import datetime as dt

    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)


async def test_a_template_paused_by_meta_pauses_the_campaign_with_the_reason(make_world: WorldFactory) -> None:
    world = await make_world(contacts=8)
    db, tenant = world.db, world.shop.tenant_id
    campaign = await create_campaign(db, SYSTEM, name="paused", template="promo", params=PARAMS)
    await start_campaign(db, SYSTEM, campaign.id)
    await world.remote.review_template("promo", "pause")
    report = await Dispatcher(world.services, tenant, campaign.id, FAST_DISPATCH).run()
    assert report.stopped_because == "paused" and report.accepted == 0
    shown = await get_campaign(db, SYSTEM, campaign.id)
    assert shown.state == "paused"
    assert shown.pause_reason is not None and "132015" in shown.pause_reason and "paused" in shown.pause_reason
    rows = await recipients(db, tenant, campaign.id)
    assert {r.state for r in rows} == {"pending"} and all(r.attempts == 0 for r in rows)
    assert await world.remote.messages() == []
    assert (await ledger.balances(db, tenant))["credits:reserved"] == 8 * 10_000  # held, nothing charged
    await world.settle()  # the template's status webhook reaches our copy too
    with pytest.raises(Conflict, match="paused by Meta"):
        await resume_campaign(db, SYSTEM, campaign.id)
