"""The campaign's queue on a real database: claims in id order with attempt ids, the pending index, releases,
expired leases becoming unknown, and the resend policy after its grace period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, text

from aimstors.core.campaigns import claims
from aimstors.core.campaigns.reconcile import reconcile_campaign
from aimstors.core.db import Database, Scope
from aimstors.core.db.base import utcnow
from aimstors.core.db.models import Campaign, CampaignRecipient, PhoneNumber, Template, WhatsAppAccount
from aimstors.core.security import Actor
from aimstors.core.tenancy import tenants


async def _campaign(db: Database, recipients: int) -> tuple[int, int]:
    await tenants.ensure_platform_root(db)
    shop = await tenants.create_tenant(db, Actor.system(), slug="shop")
    now = utcnow()
    async with db.session(Scope.tenant(shop.id), write=True) as session:
        account = WhatsAppAccount(tenant_id=shop.id, waba_id="w1")
        session.add(account)
        await session.flush()
        number = PhoneNumber(tenant_id=shop.id, account_id=account.id, phone_number_id="p1", display_number="1")
        template = Template(tenant_id=shop.id, account_id=account.id, name="t", language="en_US", category="MARKETING")
        session.add_all([number, template])
        await session.flush()
        campaign = Campaign(tenant_id=shop.id, name="c", phone_number_id=number.id, template_id=template.id,
                            state="running", created_at=now, updated_at=now)  # fmt: skip
        session.add(campaign)
        await session.flush()
        campaign_id = campaign.id
    if not recipients:
        return shop.id, campaign_id
    async with db.connect(Scope.tenant(shop.id), write=True) as conn:
        await conn.execute(
            insert(CampaignRecipient),
            [{"tenant_id": shop.id, "campaign_id": campaign_id, "wa_id": f"1555{i:07d}", "state": "pending",
              "updated_at": now} for i in range(recipients)],
        )  # fmt: skip
    return shop.id, campaign_id


async def test_claims_take_due_rows_in_order_with_an_attempt_id(db: Database) -> None:
    tenant, campaign = await _campaign(db, 10)
    now = utcnow()
    lease = now + dt.timedelta(seconds=30)
    async with db.connect(Scope.tenant(tenant), write=True) as conn:
        first = await claims.claim(conn, tenant_id=tenant, campaign_id=campaign, now=now, lease_until=lease, limit=4)
        second = await claims.claim(conn, tenant_id=tenant, campaign_id=campaign, now=now, lease_until=lease, limit=4)
    ids = [r.id for r in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 8
    assert first[0].attempt_id == f"c{campaign}.{first[0].id}.1" and first[0].attempts == 1
    async with db.connect(Scope.tenant(tenant), write=True) as conn:
        released = await claims.release(conn, tenant, [r.attempt_id for r in first], now)
        again = await claims.claim(conn, tenant_id=tenant, campaign_id=campaign, now=now, lease_until=lease, limit=10)
    assert released == 4
    assert [r.id for r in again] == [r.id for r in first] + [ids[-1] + 1, ids[-1] + 2]
    assert again[0].attempt_id == first[0].attempt_id  # a released claim did not count as an attempt


async def test_the_claim_reads_the_pending_index(db: Database) -> None:
    tenant, campaign = await _campaign(db, 3)
    now = utcnow()
    stmt = claims.claim_statement(db.dialect, tenant_id=tenant, campaign_id=campaign, now=now, lease_until=now,
                                  limit=10)  # fmt: skip
    compiled = stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    async with db.connect(Scope.system()) as conn:
        prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
        plan = "\n".join(str(row[-1]) for row in await conn.execute(text(prefix + str(compiled))))
    if db.is_sqlite:  # SQLite's indexes end with the rowid: (tenant, campaign, state) yields pending rows in id order
        assert "ix_campaign_recipients_pending" in plan or "ix_campaign_recipients_tenant_id_campaign_id_state" in plan
        assert "TEMP B-TREE" not in plan  # no sort
    else:
        assert "ix_campaign_recipients_pending" in plan, plan


async def test_dead_dispatchers_leases_become_unknown_and_the_resend_policy_decides(db: Database) -> None:
    tenant, campaign = await _campaign(db, 4)
    now = utcnow()
    async with db.connect(Scope.tenant(tenant), write=True) as conn:
        await claims.claim(conn, tenant_id=tenant, campaign_id=campaign, now=now,
                           lease_until=now + dt.timedelta(seconds=1), limit=2)  # fmt: skip
    assert await reconcile_campaign(db, tenant, campaign, "never", 0, now=now) == (0, 0)  # leases still live
    later = now + dt.timedelta(seconds=5)
    assert await reconcile_campaign(db, tenant, campaign, "never", 0, now=later) == (2, 0)
    assert await reconcile_campaign(db, tenant, campaign, "never", 0, now=later) == (0, 0)  # never resent
    assert await reconcile_campaign(db, tenant, campaign, "after_grace", 60, now=later) == (0, 0)  # within grace
    assert await reconcile_campaign(db, tenant, campaign, "after_grace", 60, now=later + dt.timedelta(minutes=2)) == (
        0, 2,
    )  # fmt: skip
    async with db.connect(Scope.tenant(tenant)) as conn:
        states = sorted((await conn.execute(select(CampaignRecipient.state))).scalars())
    assert states == ["pending"] * 4


async def test_meta_refusals_hold_or_opt_out_the_contact(db: Database) -> None:
    from aimstors.core.campaigns.results import Outcome, ResultWriter
    from aimstors.core.db.models import Contact

    tenant, campaign = await _campaign(db, 0)
    now = utcnow()
    async with db.connect(Scope.tenant(tenant), write=True) as conn:
        contacts = [
            (await conn.execute(insert(Contact).values(tenant_id=tenant, wa_id=w, attributes={}, created_at=now,
                                                       updated_at=now).returning(Contact.id))).scalar_one()
            for w in ("15550000001", "15550000002")
        ]  # fmt: skip
        await conn.execute(
            insert(CampaignRecipient),
            [{"tenant_id": tenant, "campaign_id": campaign, "contact_id": c, "wa_id": f"1555000000{i + 1}",
              "state": "pending", "updated_at": now} for i, c in enumerate(contacts)],
        )  # fmt: skip
        claimed = await claims.claim(conn, tenant_id=tenant, campaign_id=campaign, now=now,
                                     lease_until=now + dt.timedelta(seconds=30), limit=2)  # fmt: skip
    root = await tenants.ensure_platform_root(db)
    writer = ResultWriter(db, tenant_id=tenant, campaign_id=campaign, category="marketing", root_id=root[0].id,
                          reservation_id=None)  # fmt: skip
    limited, stopped = claimed
    await writer.write(
        [Outcome(limited, "failed", code=131049, detail="x"), Outcome(stopped, "failed", code=131050, detail="y")], now
    )
    async with db.connect(Scope.tenant(tenant)) as conn:
        rows = {r.id: r for r in await conn.execute(select(Contact.id, Contact.marketing_limited_until,
                                                            Contact.opted_out_at, Contact.opt_out_source))}  # fmt: skip
        states = set((await conn.execute(select(CampaignRecipient.state))).scalars())
    hold = rows[limited.contact_id].marketing_limited_until
    assert hold is not None and dt.timedelta(hours=23) < hold - now <= dt.timedelta(hours=24)
    assert rows[stopped.contact_id].opted_out_at is not None and rows[stopped.contact_id].opt_out_source == "meta"
    assert states == {"failed"}
