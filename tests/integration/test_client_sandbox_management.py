"""The client's sections against the sandbox over real HTTP: media round trip, template lifecycle (with Meta's
review done through the sandbox's control API), phone-number info, and Embedded Signup end to end."""

from __future__ import annotations

import hashlib

import pytest
from tests.integration.conftest import (
    APP_ID,
    APP_SECRET,
    PNID,
    SIGNUP_CODE,
    SIGNUP_PNID,
    SIGNUP_TOKEN,
    SIGNUP_WABA,
    USER,
    WABA,
    Hook,
)

from aimstors.core.channel import (
    AuthenticationError,
    CloudApiClient,
    InvalidParameter,
    OutgoingMessage,
    Template,
    TemplateCategory,
    TemplateEvent,
    TextParam,
)
from aimstors.core.channel.errors import PhoneRegistrationError, TemplateNotFound
from aimstors.sandbox import SandboxRemote

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


async def test_media_round_trip(client: CloudApiClient, remote: SandboxRemote) -> None:
    media_id = await client.media.upload(PNID, PNG, "image/png", filename="photo.png")
    info = await client.media.get(media_id, phone_number_id=PNID)
    assert (info.id, info.mime_type, info.file_size) == (media_id, "image/png", len(PNG))
    assert info.sha256 == hashlib.sha256(PNG).hexdigest() and info.url
    downloaded = await client.media.download(info.url)  # with the bearer token, as Meta requires
    assert downloaded.content == PNG and downloaded.mime_type == "image/png"
    with pytest.raises(AuthenticationError):
        await client.media.download(info.url, token="someone-elses-token")
    assert await client.media.delete(media_id, phone_number_id=PNID) is True
    with pytest.raises(InvalidParameter) as caught:
        await client.media.get(media_id)
    assert (caught.value.error_code, caught.value.error_subcode, caught.value.retryable) == (100, 33, False)
    with pytest.raises(InvalidParameter):
        await client.media.download(info.url)  # the URL dies with the media


async def test_media_upload_rejects_an_unsupported_type(client: CloudApiClient, remote: SandboxRemote) -> None:
    with pytest.raises(InvalidParameter) as caught:
        await client.media.upload(PNID, b"MZ\x90\x00", "application/x-msdownload", filename="setup.exe")
    assert caught.value.error_code == 100 and caught.value.details


BODY = {"type": "BODY", "text": "Hi {{1}}, your appointment is confirmed."}
EDITED_BODY = {"type": "BODY", "text": "Hi {{1}}, your appointment on {{2}} is confirmed."}


async def test_template_lifecycle(client: CloudApiClient, remote: SandboxRemote, hook: Hook) -> None:
    created = await client.templates.create(
        WABA, name="appointment_ok", language="en_US", category="UTILITY", components=[BODY]
    )
    assert created.status == "PENDING" and created.category == "UTILITY"
    for i in range(4):  # more templates than one page holds
        await client.templates.create(
            WABA, name=f"filler_{i}", language="en_US", category="MARKETING", components=[BODY]
        )

    listed = [t async for t in client.templates.list(WABA, page_size=2)]
    seeded = len(await remote.templates())
    assert len(listed) == seeded > 2 and len({t.id for t in listed}) == seeded  # every page, no repeats
    [mine] = [t for t in listed if t.name == "appointment_ok"]
    assert (mine.id, mine.status, mine.language) == (created.id, "PENDING", "en_US")
    pending = [t async for t in client.templates.list(WABA, status="PENDING", page_size=2)]
    assert len(pending) == 5

    message = OutgoingMessage(USER, Template("appointment_ok", "en_US", body=(TextParam("Ana"),)))
    with pytest.raises(TemplateNotFound):  # not sendable before review
        await client.send_message(PNID, message)

    await remote.review_template("appointment_ok", "approve")  # Meta's review, done by hand
    approved = await client.templates.get(created.id)
    assert approved.status == "APPROVED" and approved.components == (BODY,)
    assert (await client.send_message(PNID, message)).message_status == "accepted"

    assert await client.templates.edit(created.id, components=[EDITED_BODY]) is True
    edited = await client.templates.get(created.id, fields=("id", "status", "components"))
    assert edited.components == (EDITED_BODY,) and edited.status == "PENDING"  # back to review
    assert edited.name is None  # only the fields asked for

    assert await client.templates.delete(WABA, "appointment_ok") is True
    with pytest.raises(InvalidParameter):
        await client.templates.get(created.id)
    assert "appointment_ok" not in {t.name async for t in client.templates.list(WABA)}

    await hook.wait_for(lambda: len(hook.template_updates()) == 2)
    events = [(u.template_id, u.event, u.template_name) for u in hook.template_updates()]
    assert events == [
        (created.id, TemplateEvent.APPROVED, "appointment_ok"),
        (created.id, TemplateEvent.PENDING_DELETION, "appointment_ok"),
    ]
    assert all(u.waba_id == WABA and u.category is TemplateCategory.UTILITY for u in hook.template_updates())


async def test_template_delete_one_language_by_id(client: CloudApiClient, remote: SandboxRemote) -> None:
    english = await client.templates.create(
        WABA, name="bilingual", language="en_US", category="UTILITY", components=[BODY]
    )
    spanish = await client.templates.create(
        WABA,
        name="bilingual",
        language="es",
        category="UTILITY",
        components=[{"type": "BODY", "text": "Hola {{1}}, tu cita está confirmada."}],
    )
    assert await client.templates.delete(WABA, "bilingual", template_id=spanish.id) is True
    assert [t.id async for t in client.templates.list(WABA, name="bilingual")] == [english.id]


async def test_template_creation_errors_are_typed(client: CloudApiClient, remote: SandboxRemote) -> None:
    with pytest.raises(InvalidParameter) as caught:
        await client.templates.create(WABA, name="Bad Name", language="en_US", category="UTILITY", components=[BODY])
    assert caught.value.error_code == 100 and not caught.value.retryable
    await client.templates.create(WABA, name="twice", language="en_US", category="UTILITY", components=[BODY])
    with pytest.raises(InvalidParameter) as caught:
        await client.templates.create(WABA, name="twice", language="en_US", category="UTILITY", components=[BODY])
    assert caught.value.error_subcode == 2388024


async def test_phone_number_info_and_subscriptions(client: CloudApiClient, remote: SandboxRemote) -> None:
    info = await client.phone_numbers.get(PNID)
    assert (info.id, info.quality_rating, info.throughput_level, info.messaging_limit_tier) == (
        PNID,
        "GREEN",
        "STANDARD",
        "TIER_250",
    )
    assert info.display_phone_number == "+1 555-078-3881"
    await remote.number(PNID, throughput_mps=1000, quality_rating="YELLOW")
    upgraded = await client.phone_numbers.get(PNID)
    assert (upgraded.throughput_level, upgraded.quality_rating) == ("HIGH", "YELLOW")
    [app] = await client.phone_numbers.subscribed_apps(WABA)
    assert app["whatsapp_business_api_data"]["id"] == APP_ID


async def test_embedded_signup(client: CloudApiClient, remote: SandboxRemote, hook: Hook) -> None:
    # Before the exchange the customer's business token means nothing to Meta.
    with pytest.raises(AuthenticationError):
        await client.phone_numbers.get(SIGNUP_PNID, token=SIGNUP_TOKEN)

    result = await client.signup.complete(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        code=SIGNUP_CODE,
        waba_id=SIGNUP_WABA,
        phone_number_id=SIGNUP_PNID,
        pin="246810",
    )
    assert result.token.access_token == SIGNUP_TOKEN and result.token.token_type == "bearer"
    assert SIGNUP_TOKEN not in repr(result)
    assert (result.subscribed, result.registered) == (True, True)

    token = result.token.access_token
    [app] = await client.phone_numbers.subscribed_apps(SIGNUP_WABA, token=token)
    assert app["whatsapp_business_api_data"]["id"] == APP_ID
    number = await client.phone_numbers.get(SIGNUP_PNID, fields=("id", "status", "platform_type"), token=token)
    assert (number.raw["status"], number.raw["platform_type"]) == ("CONNECTED", "CLOUD_API")
    summary = {a["waba_id"]: a for a in (await remote.settings())["accounts"]}
    assert summary[SIGNUP_WABA]["subscribed"] is True

    # The onboarded number sends with the customer's token, and its webhooks reach us (the app is subscribed).
    message = OutgoingMessage(USER, Template("hello_world", "en_US"), callback_data="first-send")
    with pytest.raises(TemplateNotFound):  # templates belong to a WABA: the new one has none yet
        await client.send_message(SIGNUP_PNID, message, token=token)
    await remote.add_template(name="hello_world", waba_id=SIGNUP_WABA, components=[{"type": "BODY", "text": "Hi"}])
    sent = await client.send_message(SIGNUP_PNID, message, token=token)
    await hook.wait_for(lambda: len(hook.statuses(sent.message_id)) == 3)
    [row] = await remote.messages(phone_number_id=SIGNUP_PNID)
    assert row["biz_opaque_callback_data"] == "first-send"

    # The code is single-use; the number's PIN is now set.
    with pytest.raises(InvalidParameter) as caught:
        await client.signup.exchange_code(app_id=APP_ID, app_secret=APP_SECRET, code=SIGNUP_CODE)
    assert caught.value.error_subcode == 36009
    with pytest.raises(PhoneRegistrationError) as wrong_pin:
        await client.phone_numbers.register(SIGNUP_PNID, "000000", token=token)
    assert wrong_pin.value.error_code == 133005 and not wrong_pin.value.retryable


async def test_embedded_signup_with_an_unknown_code_stops_at_the_exchange(
    client: CloudApiClient, remote: SandboxRemote
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        await client.signup.complete(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            code="forged",
            waba_id=SIGNUP_WABA,
            phone_number_id=SIGNUP_PNID,
            pin="246810",
        )
    assert caught.value.error_subcode == 36008
    summary = {a["waba_id"]: a for a in (await remote.settings())["accounts"]}
    assert summary[SIGNUP_WABA]["subscribed"] is False  # nothing after the failing step was done
