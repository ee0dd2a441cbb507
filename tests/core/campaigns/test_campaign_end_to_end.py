"""A small campaign end to end over real HTTP: create → plan → send → sandbox statuses → daemon → report."""

from __future__ import annotations

import logging

from tests.core.campaigns.conftest import FAST_DISPATCH, WorldFactory
from tests.core.campaigns.world import recipients

from aimstors.core import ledger
from aimstors.core.campaigns import (
    campaign_report,
    create_campaign,
    export_recipients,
    plan_campaign,
    send_campaign,
)
from aimstors.core.security import Actor

SYSTEM = Actor.system()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_create_plan_send_report(make_world: WorldFactory) -> None:
    world = await make_world(contacts=12, uk=2)
    records = Records()  # attached once the daemon has configured logging
    logging.getLogger("aimstors").addHandler(records)
    previous = logging.getLogger("aimstors").level
    logging.getLogger("aimstors").setLevel(logging.INFO)
    db = world.db
    created = await create_campaign(
        db, SYSTEM, name="June promo", template="promo", audience="tag:vip",
        params=["1=attr.first_name|there", "2=literal:20%"],
    )  # fmt: skip
    assert (created.state, created.category, created.audience) == ("draft", "marketing", "tag:vip")

    plan = await plan_campaign(db, SYSTEM, created.id)
    assert (plan.recipients, plan.members, plan.suppressed) == (12, 12, {})
    assert plan.cost == "0.14" and plan.enough_credits  # 10 × 0.01 + 2 × 0.02 (GB)
    assert {line.key: line.messages for line in plan.cost_by_country} == {"US": 10, "GB": 2}
    assert plan.throughput_mps == 1000 and plan.eta_seconds > 0
    assert await recipients(db, world.shop.tenant_id, created.id) == []  # the plan writes nothing
    assert await world.remote.messages() == []

    result = await send_campaign(world.services, SYSTEM, created.id, options=FAST_DISPATCH)
    assert result.report is not None and result.report.stopped_because == "completed"
    assert result.campaign.state == "completed"
    await world.settle()

    sent = await world.remote.messages()
    assert len(sent) == 12
    counts = await world.remote.recipients()
    assert all(c["accepted"] == 1 for c in counts.values())
    body = sent[0]["body"]["template"]
    assert body["name"] == "promo" and body["components"][0]["parameters"][1]["text"] == "20%"
    assert all(m["biz_opaque_callback_data"].startswith(f"c{created.id}.") for m in sent)

    rows = await recipients(db, world.shop.tenant_id, created.id)
    assert {r.state for r in rows} == {"read"}
    assert all(r.wamid and r.charged_at and r.delivered_at for r in rows)

    await world.remote.say(f"+{rows[0].wa_id}", "thanks, see you saturday")  # one of them replies
    await world.settle()
    report = await campaign_report(db, SYSTEM, created.id)
    assert (report.sent, report.delivered, report.read, report.failed, report.unknown) == (12, 12, 12, 0, 0)
    assert report.replied == 1 and report.rates["replied"] == round(1 / 12, 4)
    assert report.cost == "0.14" and report.released
    assert sum(p.sent for p in report.timeline) == 12
    balances = await ledger.balances(db, world.shop.tenant_id)
    assert (balances["credits"], balances["credits:reserved"]) == (100_000_000 - 140_000, 0)
    assert (await ledger.verify(db)).ok

    # Logs never carry phone numbers or message text above DEBUG.
    logging.getLogger("aimstors").removeHandler(records)
    logging.getLogger("aimstors").setLevel(previous)
    logged = "\n".join(records.lines)
    assert f"campaign {created.id}: dispatcher" in logged
    assert not any(r.wa_id in logged for r in rows) and "enjoy" not in logged and "Ann" not in logged

    chunks = [chunk async for chunk in export_recipients(db, SYSTEM, created.id)]
    lines = "".join(chunks).strip().splitlines()
    assert lines[0].startswith("wa_id,contact_id,state") and len(lines) == 13
