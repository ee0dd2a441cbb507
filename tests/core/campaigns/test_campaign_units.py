"""The engine's parts on their own: parameter mappings, the state machine, the pacer, what an answer means."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from aimstors.core.campaigns.explanations import explain, explain_skip
from aimstors.core.campaigns.outcomes import classify
from aimstors.core.campaigns.pacing import Pacer
from aimstors.core.campaigns.parameters import Source, build_message, compile_mapping, parse_assignments
from aimstors.core.campaigns.states import require_transition
from aimstors.core.channel import CloudApiUnreachable, SendOutcomeUnknown, error_from_response
from aimstors.core.errors import Conflict, InvalidInput


def template(**changes: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "name": "promo", "language": "en_US", "category": "MARKETING", "status": "APPROVED",
        "parameter_format": "POSITIONAL",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Sale for {{1}}"},
            {"type": "BODY", "text": "Hi {{1}}, enjoy {{2}} off!"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Shop", "url": "https://x.test/s/{{1}}"}]},
        ],
    }  # fmt: skip
    base.update(changes)
    return SimpleNamespace(**base)


def test_a_mapping_covers_every_value_and_renders_per_contact() -> None:
    mapping = compile_mapping(
        template(),
        parse_assignments(["header.1=literal:you", "1=attr.first_name|there", "2=literal:20%", "button.0=attr.code"]),
    )
    assert mapping.stored() == {
        "header.1": "literal:you", "1": "attr.first_name|there", "2": "literal:20%", "button.0": "attr.code",
    }  # fmt: skip
    assert mapping.render("15550001", "Ann", {"first_name": "Bo", "code": "X1"}) == (
        {"header.1": "you", "1": "Bo", "2": "20%", "button.0": "X1"}, [],
    )  # fmt: skip
    values, lacking = mapping.render("15550001", None, {})
    assert values["1"] == "there" and lacking == ["attribute 'code'"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (["1=attr.a", "2=literal:x", "button.0=literal:y"], r"needs a value for header \{\{1\}\} \(key header.1\)"),
        (["header.1=literal:a", "1=attr.a", "2=literal:x", "button.0=literal:y", "9=literal:z"], "no parameter '9'"),
        (["header.1=literal:a", "1=nope", "2=literal:x", "button.0=literal:y"], "unknown source 'nope'"),
        (["header.1=literal:a", "1=attr.a", "2=literal:two\nlines", "button.0=literal:y"], "line break"),
        (["1=attr.a", "1=attr.b"], "given twice"),
        (["1"], "not KEY=SOURCE"),
    ],
)
def test_mapping_mistakes_are_named(params: list[str], problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        compile_mapping(template(), parse_assignments(params))


def test_a_named_template_and_the_message_it_builds() -> None:
    named = template(
        parameter_format="NAMED", components=[{"type": "BODY", "text": "Hi {{first_name}}, see you {{day}}."}]
    )
    mapping = compile_mapping(named, parse_assignments(["first_name=contact.name|friend", "day=literal:Monday"]))
    values, _ = mapping.render("15550001", "Ann", {})
    payload = build_message(named, "15550001", values, "c1.2.1").to_payload()
    assert payload["to"] == "+15550001" and payload["biz_opaque_callback_data"] == "c1.2.1"
    body = payload["template"]["components"][0]["parameters"]
    assert body == [
        {"type": "text", "text": "Ann", "parameter_name": "first_name"},
        {"type": "text", "text": "Monday", "parameter_name": "day"},
    ]
    assert Source.parse("contact.phone", key="x").value("15550001", None, {}) == "+15550001"


def test_transitions_are_refused_with_what_can_be_done() -> None:
    require_transition(1, "draft", "running")
    require_transition(1, "paused", "running")
    with pytest.raises(Conflict, match="campaign 7 is completed; a finished campaign cannot pause"):
        require_transition(7, "completed", "paused")
    with pytest.raises(Conflict, match="already paused"):
        require_transition(7, "paused", "paused")
    with pytest.raises(Conflict, match="is draft; it cannot pause") as refused:
        require_transition(7, "draft", "paused")
    assert refused.value.hint and "campaign send" in refused.value.hint


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_pacer_never_exceeds_the_rate_in_any_second_and_backs_off(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    import aimstors.core.campaigns.pacing as pacing

    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    pacer = Pacer(100, headroom=0.97, clock=clock)
    times = []
    for _ in range(500):
        await pacer.acquire()
        times.append(clock.now)
    window = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert window <= 100 and 4.9 < times[-1] < 5.5  # ~97 a second, never 100 in one second
    pacer.throttled()
    pacer.throttled()  # a lone cluster of 130429 (answers in flight together) is jitter: retried, no cut
    assert pacer.rate == pytest.approx(97)
    clock.now += 0.6
    pacer.throttled()  # a second cluster soon after: really over the limit
    assert pacer.rate == pytest.approx(97 * 0.9)
    pacer.throttled()  # the same cluster again: one cut
    assert pacer.rate == pytest.approx(97 * 0.9)
    for _ in range(400):
        await pacer.acquire()
    assert pacer.rate == pytest.approx(97)  # additive increase back to the ceiling
    pacer.set_limit(100, share=2)
    assert pacer.ceiling == pytest.approx(48.5) and pacer.rate <= 48.5


def _meta(code: int, status: int = 400) -> Exception:
    return error_from_response(status, {"error": {"code": code, "message": f"(#{code}) x", "type": "OAuthException"}})


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_meta(130429), "throttled"),
        (_meta(131056), "deferred"),
        (_meta(131000, 500), "retry"),
        (_meta(2, 503), "retry"),
        (_meta(131026), "failed"),
        (_meta(131049), "failed"),
        (_meta(132015), "halt"),
        (_meta(132001), "halt"),
        (_meta(132012), "failed"),  # one recipient's value
        (_meta(190, 401), "halt"),
        (_meta(133010), "halt"),
        (_meta(131031, 403), "halt"),
        (SendOutcomeUnknown("timeout"), "unknown"),
        (CloudApiUnreachable("refused"), "unreachable"),
        (RuntimeError("boom"), "unknown"),
    ],
)
def test_what_an_answer_means(error: Exception, kind: str) -> None:
    assert classify(error).kind == kind


def test_explanations() -> None:
    assert "not on WhatsApp" in explain(131026)
    assert explain(987654, "Something new") == "Something new"
    assert "opted out" in explain_skip("opted_out")
