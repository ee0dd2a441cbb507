"""Templates end to end through the services, with the sandbox as Meta over real HTTP: draft, lint, submit,
review, sync, send check, delete; what a lint failure leaves behind (nothing); who sees what."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import update

from aimstors.core.channel import OutgoingMessage
from aimstors.core.db import Scope
from aimstors.core.db.models import Template
from aimstors.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from aimstors.core.queue import HandlerRegistry, Worker
from aimstors.core.templates import SYNC_KIND, TemplateLintFailed, TemplateNotSendable, check_send, lifecycle, register
from aimstors.core.templates.jobs import enqueue_sync, sync_all
from aimstors.core.templates.preview import preview_template
from aimstors.core.templates.sync import sync_templates

from .conftest import PNID_A, TOKEN_A, WABA_A, WABA_B, World, order_update

VALUES = {"header.1": "#77", "1": "Pablo", "2": "860198", "button.0": "A1B2"}


async def test_create_submit_approve_sync_then_send(world: World) -> None:
    services, admin = world.services, await world.actor("admin@shop-a.test")
    draft = await lifecycle.create_draft(services, admin, definition=order_update())
    view = draft.template
    assert (view.tenant, view.waba_id, view.name, view.status, view.meta_id) == (
        "shop-a", WABA_A, "order_update", "DRAFT", None,
    )  # fmt: skip
    assert view.components[1]["example"] == {"body_text": [["Pablo", "860198-230332"]]}
    assert await world.at_meta() == []  # a draft is ours alone
    assert (await lifecycle.lint_stored(services, admin, name="order_update")).findings == ()

    submitted = await lifecycle.submit(services, admin, name="order_update")
    assert submitted.template.status == "PENDING" and submitted.template.meta_id and not submitted.adopted
    [at_meta] = await world.at_meta()
    assert (at_meta["id"], at_meta["status"], at_meta["parameter_format"]) == (
        submitted.template.meta_id, "PENDING", "POSITIONAL",
    )  # fmt: skip
    with pytest.raises(Conflict, match="is PENDING, not a draft"):
        await lifecycle.submit(services, admin, name="order_update")
    [row] = await world.rows()
    with pytest.raises(TemplateNotSendable, match="waiting for Meta's review"):
        check_send(row, VALUES)

    await world.remote.review_template("order_update", "approve")
    [report] = await sync_templates(services, admin)
    assert (report.waba_id, report.at_meta, report.created, report.updated, report.deleted) == (WABA_A, 1, 0, 1, 0)
    [row] = await world.rows()
    assert row.status == "APPROVED"

    # The checked send is what Meta (the sandbox, validating against Meta's schema and the template) accepts.
    send = check_send(row, VALUES)
    sent = await services.cloud_api.send_message(PNID_A, OutgoingMessage("+1 555 000 1111", send), token=TOKEN_A)
    assert sent.message_id.startswith("wamid.")
    [message] = await world.remote.messages()
    assert message["template"] == "order_update/en_US"


async def test_a_template_that_fails_lint_changes_nothing(world: World) -> None:
    services, admin = world.services, await world.actor("admin@shop-a.test")
    bad = order_update()
    bad["components"][1]["text"] = "Hi {{1}}, your order {{3}} is on its way."
    with pytest.raises(TemplateLintFailed) as caught:
        await lifecycle.create_draft(services, admin, definition=bad)
    assert "body uses {{3}} but no {{2}}" in caught.value.message
    assert (
        "example has 2 values but the body has 3 placeholders" not in caught.value.message
    )  # 2 distinct: {{1}}, {{3}}
    assert await world.rows() == [] and await world.at_meta() == []

    # A stored draft that went bad (edited behind our back) is linted again and never reaches Meta.
    await lifecycle.create_draft(services, admin, definition=order_update())
    broken = copy.deepcopy(order_update()["components"])
    broken[3]["buttons"][0]["url"] = "https://shop.example/{{1}}/track"
    async with services.db.session(Scope.system(), write=True) as session:
        await session.execute(update(Template).values(components=broken))
    with pytest.raises(TemplateLintFailed, match="must come at the very end of the URL"):
        await lifecycle.submit(services, admin, name="order_update")
    assert await world.at_meta() == []
    [row] = await world.rows()
    assert (row.status, row.meta_id) == ("DRAFT", None)


@pytest.mark.sqlite_only  # the dialect adds nothing here; Postgres runs the other flows
async def test_paused_template_is_refused_before_anything_is_sent(world: World) -> None:
    services, admin = world.services, await world.actor("admin@shop-a.test")
    await lifecycle.create_draft(services, admin, definition=order_update())
    await lifecycle.submit(services, admin, name="order_update")
    await world.remote.review_template("order_update", "approve")
    await world.remote.review_template("order_update", "pause")
    await sync_templates(services, admin)
    [row] = await world.rows()
    assert row.status == "PAUSED"
    with pytest.raises(TemplateNotSendable, match="paused by Meta"):
        check_send(row, VALUES)
    assert await world.remote.messages() == []


async def test_sync_adds_what_only_meta_has_and_marks_what_it_lost(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, admin = world.services, await world.actor("admin@shop-a.test")
    monkeypatch.setattr("aimstors.core.templates.sync.PAGE_SIZE", 2)  # several pages of Meta's listing
    for index in range(3):
        await world.remote.add_template(name=f"notice_{index}", waba_id=WABA_A,
                                        components=[{"type": "BODY", "text": f"Notice {index}."}])  # fmt: skip
    await world.remote.add_template(
        name="promo", language="pt_BR", category="MARKETING", status="APPROVED", waba_id=WABA_A,
        components=[{"type": "BODY", "text": "Oi {{1}}, temos novidades para você.",
                     "example": {"body_text": [["Ana"]]}}],
    )  # fmt: skip
    await world.remote.add_template(name="other_waba", waba_id=WABA_B, components=[{"type": "BODY", "text": "Hi."}])
    await lifecycle.create_draft(services, admin, definition=order_update())
    [report] = await sync_templates(services, admin)
    assert (report.at_meta, report.created, report.unchanged, report.deleted) == (4, 4, 0, 0)
    rows = {(r.name, r.language): r for r in await world.rows()}
    assert set(rows) == {("order_update", "en_US"), ("promo", "pt_BR")} | {(f"notice_{i}", "en_US") for i in range(3)}
    assert rows["promo", "pt_BR"].status == "APPROVED" and rows["promo", "pt_BR"].category == "MARKETING"
    assert rows["order_update", "en_US"].status == "DRAFT"  # drafts are left alone

    assert (await sync_templates(services, admin))[0].unchanged == 4
    await services.cloud_api.templates.delete(WABA_A, "promo", token=TOKEN_A)  # e.g. in WhatsApp Manager
    [report] = await sync_templates(services, admin)
    assert report.deleted == 1
    statuses = {r.name: r.status for r in await world.rows()}
    assert (statuses["order_update"], statuses["promo"], statuses["notice_2"]) == ("DRAFT", "DELETED", "APPROVED")


@pytest.mark.sqlite_only  # the dialect adds nothing here; Postgres runs the other flows
async def test_submit_after_a_lost_answer_adopts_metas_template(world: World) -> None:
    services, admin = world.services, await world.actor("admin@shop-a.test")
    await lifecycle.create_draft(services, admin, definition=order_update())
    # Meta made it on an earlier attempt whose answer never arrived.
    made = await world.remote.add_template(name="order_update", status="PENDING", waba_id=WABA_A,
                                           components=order_update()["components"])  # fmt: skip
    result = await lifecycle.submit(services, admin, name="order_update")
    assert result.adopted and result.template.meta_id == made["id"] and result.template.status == "PENDING"
    assert len(await world.at_meta()) == 1


async def test_delete_at_meta_and_here(world: World) -> None:
    services, admin = world.services, await world.actor("admin@shop-a.test")
    await lifecycle.create_draft(services, admin, definition=order_update())
    await lifecycle.create_draft(services, admin, definition=order_update(language="pt_BR"))
    await lifecycle.submit(services, admin, name="order_update", language="en_US")
    with pytest.raises(InvalidInput, match="exists in en_US, pt_BR; name the language"):
        await lifecycle.get_by_name(services, admin, name="order_update")
    result = await lifecycle.delete(services, admin, name="order_update")
    assert (result.languages, result.deleted_at_meta, result.removed, result.kept) == (("en_US", "pt_BR"), 1, 2, 0)
    assert await world.rows() == [] and await world.at_meta() == []
    with pytest.raises(NotFound, match="no template 'order_update'"):
        await lifecycle.delete(services, admin, name="order_update")


@pytest.mark.sqlite_only  # the dialect adds nothing here; Postgres runs the other flows
async def test_preview_checks_values_like_a_send(world: World) -> None:
    services, agent = world.services, await world.actor("agent@shop-a.test")
    await lifecycle.create_draft(services, world.system, definition=order_update(), tenant_slug="shop-a")
    shown = await preview_template(services, agent, name="order_update", parameters=VALUES)
    assert shown.header == "Order #77" and shown.status == "DRAFT"
    assert shown.payload["components"][1]["parameters"][0] == {"type": "text", "text": "Pablo"}
    with pytest.raises(InvalidInput) as caught:
        await preview_template(services, agent, name="order_update", parameters={"1": "Pablo", "3": "x"})
    assert (
        "missing header {{1}} (key header.1), body {{2}} (key 2), URL button 0 (key button.0)" in caught.value.message
    )
    assert "unknown parameter '3'" in caught.value.message
    examples = await preview_template(services, agent, name="order_update", parameters={"1": "Ana"}, use_examples=True)
    assert examples.body.startswith("Thank you for your order, Ana! Your order number is 860198-230332.")


async def test_other_workspaces_templates_do_not_exist(world: World) -> None:
    services = world.services
    await lifecycle.create_draft(services, world.system, definition=order_update(), tenant_slug="shop-a")
    theirs = await world.actor("admin@shop-b.test")
    for call in (
        lifecycle.get_by_name(services, theirs, name="order_update"),
        lifecycle.lint_stored(services, theirs, name="order_update"),
        lifecycle.submit(services, theirs, name="order_update"),
        lifecycle.delete(services, theirs, name="order_update"),
        preview_template(services, theirs, name="order_update", parameters=VALUES),
    ):
        with pytest.raises(NotFound, match="no template 'order_update'"):
            await call
    for call in (
        lifecycle.get_by_name(services, theirs, name="order_update", tenant_slug="shop-a"),
        lifecycle.create_draft(services, theirs, definition=order_update(), tenant_slug="shop-a"),
        sync_templates(services, theirs, tenant_slug="shop-a"),
    ):
        with pytest.raises(NotFound, match="no tenant 'shop-a'"):
            await call
    agent = await world.actor("agent@shop-a.test")
    with pytest.raises(PermissionDenied):
        await lifecycle.submit(services, agent, name="order_update")
    assert [r.status for r in await world.rows()] == ["DRAFT"]


@pytest.mark.sqlite_only  # the dialect adds nothing here; Postgres runs the other flows
async def test_the_sync_job_syncs_every_account(world: World) -> None:
    services = world.services
    await world.remote.add_template(name="a_only", waba_id=WABA_A, components=[{"type": "BODY", "text": "A."}])
    await world.remote.add_template(name="b_only", waba_id=WABA_B, components=[{"type": "BODY", "text": "B."}])
    registry = HandlerRegistry()
    register(registry, services)
    assert SYNC_KIND in registry
    assert await enqueue_sync(services.db) is not None
    worker = Worker(services.db, registry, queues=["default"], poll_interval=0.05, listen=False)
    stats = await worker.run_until_idle()
    assert stats.failed == 0
    assert [r.name for r in await world.rows("shop-a")] == ["a_only"]
    assert [r.name for r in await world.rows("shop-b")] == ["b_only"]
    assert [r.unchanged for r in await sync_all(services)] == [1, 1]
    with pytest.raises(InvalidInput, match="account_id needs its tenant_id"):
        await enqueue_sync(services.db, account_id=1)
