"""Meta's error codes, produced by the sandbox's rules and faults, raised by the production client as the right
typed exception with the right ``retryable`` flag; failures Meta reports by webhook, read back as typed
``failed`` statuses; and the two failures that are not Meta's answer (no answer: outcome unknown; nothing
listening: unreachable).

Not forcible in the sandbox, so covered only against a scripted server in ``tests/core/channel/test_client.py``:
throttling codes 4 and 80007 (the sandbox raises 130429 for every rate limit) and transient 131016 (its 5xx
fault answers 131000 or 2).
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

import pytest
from tests.integration.conftest import PNID, USER, USER_WA_ID, Hook, settings_for

from aimstors.core.channel import (
    AuthenticationError,
    CloudApiClient,
    CloudApiError,
    CloudApiUnreachable,
    InvalidParameter,
    MediaParam,
    MetaApiError,
    OutgoingMessage,
    PairRateLimited,
    ReengagementRequired,
    SendOutcomeUnknown,
    StatusKind,
    Template,
    Text,
    TextParam,
    ThrottlingError,
    TransientError,
    Undeliverable,
)
from aimstors.core.channel.errors import (
    MediaError,
    TemplateDisabled,
    TemplateNotFound,
    TemplateParameterCountMismatch,
    TemplateParameterFormatMismatch,
    TemplatePaused,
    error_class_for,
)
from aimstors.core.channel.messages import Image, Reaction
from aimstors.sandbox import RunningSandbox, SandboxRemote

OTHER_USER = "+1 555 000 2222"


def template(to: str = USER, name: str = "hello_world", **kwargs: object) -> OutgoingMessage:
    return OutgoingMessage(to, Template(name, "en_US", **kwargs), callback_data=f"attempt-{name}")  # type: ignore[arg-type]


def assert_meta_error(exc: CloudApiError, cls: type[MetaApiError], code: int, retryable: bool, status: int) -> None:
    assert type(exc) is cls, f"{type(exc).__name__} for code {exc.error_code}"
    assert (exc.error_code, exc.retryable, exc.status) == (code, retryable, status)
    assert exc.fbtrace_id, "Meta's trace id is kept for support requests"
    assert isinstance(exc, MetaApiError)


Setup = Callable[[CloudApiClient, SandboxRemote], Awaitable[OutgoingMessage]]


async def _wrong_token(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    return template()


async def _throughput(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    await remote.number(PNID, throughput_mps=1)
    await client.send_message(PNID, template(OTHER_USER))
    return template()


async def _forced_rate_limit(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    await remote.set_faults(rate_limit_burst=1)
    return template()


async def _pair_rate(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    await remote.settings(pair_rate_limit=1)
    await client.send_message(PNID, template())
    return template()


async def _count_mismatch(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    return template(body=(TextParam("unexpected"),))  # hello_world has no parameter


async def _not_found(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    return template(name="no_such_template")


async def _format_mismatch(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    # order_update has an IMAGE header: a video there is a parameter of the wrong format.
    return template(
        name="order_update",
        header=MediaParam("video", link="https://cdn.example/a.mp4"),
        body=(TextParam("a"), TextParam("b"), TextParam("c")),
    )


async def _paused(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    await remote.review_template("hello_world", "pause")
    return template()


async def _disabled(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    await remote.review_template("hello_world", "disable")
    return template()


async def _invalid_recipient(client: CloudApiClient, remote: SandboxRemote) -> OutgoingMessage:
    return template(to="not-a-phone-number")


# name -> (setup, class, code, retryable, HTTP status, token override)
SYNC_ERRORS: dict[str, tuple[Setup, type[MetaApiError], int, bool, int, str | None]] = {
    "auth_190_wrong_token": (_wrong_token, AuthenticationError, 190, False, 401, "expired-or-wrong-token"),
    "throttling_130429_throughput": (_throughput, ThrottlingError, 130429, True, 400, None),
    "throttling_130429_forced_burst": (_forced_rate_limit, ThrottlingError, 130429, True, 400, None),
    "pair_rate_131056": (_pair_rate, PairRateLimited, 131056, True, 400, None),
    "template_132000_parameter_count": (_count_mismatch, TemplateParameterCountMismatch, 132000, False, 400, None),
    "template_132001_not_found": (_not_found, TemplateNotFound, 132001, False, 404, None),
    "template_132012_parameter_format": (_format_mismatch, TemplateParameterFormatMismatch, 132012, False, 400, None),
    "template_132015_paused": (_paused, TemplatePaused, 132015, False, 400, None),
    "template_132016_disabled": (_disabled, TemplateDisabled, 132016, False, 400, None),
    "invalid_parameter_100": (_invalid_recipient, InvalidParameter, 100, False, 400, None),
}


@pytest.mark.parametrize("name", list(SYNC_ERRORS))
async def test_meta_errors_are_typed_with_retryable(name: str, client: CloudApiClient, remote: SandboxRemote) -> None:
    setup, cls, code, retryable, status, token = SYNC_ERRORS[name]
    message = await setup(client, remote)
    accepted = len(await remote.messages())
    with pytest.raises(MetaApiError) as caught:
        await client.send_message(PNID, message, token=token)
    assert_meta_error(caught.value, cls, code, retryable, status)
    assert len(await remote.messages()) == accepted  # a refused send leaves nothing behind


async def test_invalid_body_field_is_100_with_metas_details(client: CloudApiClient, remote: SandboxRemote) -> None:
    # Raw bodies take the same path as built ones. (The sandbox checks unknown top-level fields on every type
    # but template, whose schema it leaves open.)
    body = {**OutgoingMessage(USER, Text("hi")).to_payload(), "not_a_meta_field": True}
    with pytest.raises(InvalidParameter) as caught:
        await client.send_message(PNID, body)
    assert_meta_error(caught.value, InvalidParameter, 100, False, 400)
    assert caught.value.details


async def test_rate_limit_http_status_override_keeps_the_type(client: CloudApiClient, remote: SandboxRemote) -> None:
    # Meta's error table says 400 for 130429, its OpenAPI spec 429: either way the client types it the same.
    await remote.settings(http_status_overrides={"130429": 429})
    await remote.set_faults(rate_limit_burst=1)
    with pytest.raises(ThrottlingError) as caught:
        await client.send_message(PNID, template())
    assert_meta_error(caught.value, ThrottlingError, 130429, True, 429)


async def test_transient_5xx_fault_is_retryable(client: CloudApiClient, remote: SandboxRemote) -> None:
    await remote.set_faults(send_5xx=1.0)
    seen: dict[int, TransientError] = {}
    for _ in range(30):  # the fault answers 131000 (HTTP 500) or 2 (HTTP 503) at random; see both
        with pytest.raises(TransientError) as caught:
            await client.send_message(PNID, template())
        assert caught.value.error_code is not None
        seen[caught.value.error_code] = caught.value
        if len(seen) == 2:
            break
    assert_meta_error(seen[131000], TransientError, 131000, True, 500)
    assert_meta_error(seen[2], TransientError, 2, True, 503)
    assert seen[131000].is_transient is True
    assert await remote.messages() == []  # nothing went out
    await remote.clear_faults()
    assert (await client.send_message(PNID, template())).message_id  # the retry succeeds


# Failures Meta reports after an accepted send, as a ``failed`` status: name -> (setup, message, class, code).
async def _window_closed(remote: SandboxRemote) -> OutgoingMessage:
    return OutgoingMessage(USER, Text("free-form, but the user never wrote"), callback_data="attempt-131047")


async def _undeliverable(remote: SandboxRemote) -> OutgoingMessage:
    await remote.settings(undeliverable=[USER])
    return template()


async def _unknown_media(remote: SandboxRemote) -> OutgoingMessage:
    await remote.say(USER, "hi")
    return OutgoingMessage(USER, Image(id="999999999999999"), callback_data="attempt-131053")


async def _reaction_to_unknown(remote: SandboxRemote) -> OutgoingMessage:
    await remote.say(USER, "hi")
    return OutgoingMessage(USER, Reaction("wamid.not-a-message-of-this-user", "👍"), callback_data="attempt-131009")


AsyncSetup = Callable[[SandboxRemote], Awaitable[OutgoingMessage]]
LATE_FAILURES: dict[str, tuple[AsyncSetup, type[MetaApiError], int, int]] = {
    "reengagement_131047": (_window_closed, ReengagementRequired, 131047, 400),
    "undeliverable_131026": (_undeliverable, Undeliverable, 131026, 400),
    "media_131053": (_unknown_media, MediaError, 131053, 400),
    "reaction_131009": (_reaction_to_unknown, InvalidParameter, 131009, 400),
}


@pytest.mark.parametrize("name", list(LATE_FAILURES))
async def test_failure_arrives_as_a_failed_status_webhook(
    name: str, client: CloudApiClient, remote: SandboxRemote, hook: Hook
) -> None:
    setup, cls, code, _ = LATE_FAILURES[name]
    message = await setup(remote)
    sent = await client.send_message(PNID, message)  # accepted, as at Meta
    await hook.wait_for(lambda: bool(hook.statuses(sent.message_id)))
    [status] = hook.statuses(sent.message_id)  # parsed by verify_and_parse: signature checked, typed
    assert status.status is StatusKind.FAILED and status.is_terminal
    assert status.biz_opaque_callback_data == message.callback_data
    assert status.recipient_id == USER_WA_ID
    [error] = status.errors
    assert error.code == code and error.title and error.details
    handling = error_class_for(error.code)  # the same registry types the webhook's error
    assert handling is cls and handling.retryable is False
    [row] = await remote.messages()
    assert (row["id"], row["error_code"], row["statuses"]) == (sent.message_id, code, ["failed"])


@pytest.mark.parametrize("name", list(LATE_FAILURES))
async def test_failure_mode_response_raises_it(name: str, client: CloudApiClient, remote: SandboxRemote) -> None:
    setup, cls, code, status = LATE_FAILURES[name]
    await remote.settings(failure_mode="response")
    message = await setup(remote)
    with pytest.raises(MetaApiError) as caught:
        await client.send_message(PNID, message)
    assert_meta_error(caught.value, cls, code, False, status)
    assert await remote.messages() == []


async def test_timeout_is_outcome_unknown_and_the_webhook_settles_it(
    client: CloudApiClient, remote: SandboxRemote, hook: Hook
) -> None:
    # The sandbox accepts the message (it goes out, statuses follow) but holds the answer past the client's deadline.
    await remote.set_faults(send_timeout=1.0, timeout_seconds=1.0)
    message = template()
    with pytest.raises(SendOutcomeUnknown) as caught:
        await client.send_message(PNID, message, request_timeout=0.3)
    assert caught.value.retryable is False and caught.value.status is None
    assert not isinstance(caught.value, MetaApiError)  # neither "sent" nor "failed"
    [row] = await remote.messages()  # ... and yet it was accepted:
    assert row["biz_opaque_callback_data"] == message.callback_data
    await hook.wait_for(lambda: len(hook.statuses(row["id"])) == 3)
    assert {s.biz_opaque_callback_data for s in hook.statuses(row["id"])} == {message.callback_data}


async def test_client_default_timeout_applies_to_sends(shared_sandbox: RunningSandbox, remote: SandboxRemote) -> None:
    await remote.set_faults(send_timeout=1.0, timeout_seconds=1.0)
    settings = settings_for(shared_sandbox.base_url)
    async with CloudApiClient.from_settings(settings, access_token="sandbox-token", timeout=0.3) as client:
        with pytest.raises(SendOutcomeUnknown):
            await client.send_message(PNID, template())


async def test_closed_port_is_unreachable_and_retryable() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = settings_for(f"http://127.0.0.1:{port}")
    async with CloudApiClient.from_settings(settings, access_token="sandbox-token", timeout=2.0) as client:
        with pytest.raises(CloudApiUnreachable) as caught:
            await client.send_message(PNID, template())
    assert caught.value.retryable is True and caught.value.status is None
