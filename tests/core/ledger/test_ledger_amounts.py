"""Amounts are exact: decimal strings of credits to integer micro-credits and back, never through a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimstors.core.errors import InvalidInput
from aimstors.core.ledger import MICRO, credits_to_micro, micro_to_credits
from aimstors.core.ledger.amounts import MAX_AMOUNT, require_amount


@pytest.mark.parametrize(
    ("text", "micro"),
    [
        ("12.5", 12_500_000),
        ("0.000001", 1),
        ("1", MICRO),
        ("-3", -3 * MICRO),
        (".5", 500_000),
        ("+7.25", 7_250_000),
        (" 2.000000 ", 2 * MICRO),
        ("1_000", 1_000 * MICRO),
        ("0.1", 100_000),  # 0.1 has no exact float; here it is exact
        (4, 4 * MICRO),
        (Decimal("1.234567"), 1_234_567),
    ],
)
def test_credits_to_micro_is_exact(text: str | int | Decimal, micro: int) -> None:
    assert credits_to_micro(text) == micro


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1.0000001", "more than 6 decimal places"),
        (Decimal("0.0000001"), "more than 6 decimal places"),
        ("abc", "not a decimal number"),
        ("", "not a decimal number"),
        ("12.", "not a decimal number"),
        ("1e3", "not a decimal number"),
        ("١٢", "not a decimal number"),  # non-ASCII digits
        (1.5, "not a float"),
        (True, "not a bool"),
        ("9" * 20, "too large"),
    ],
)
def test_credits_to_micro_refuses_what_it_cannot_hold_exactly(value: object, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        credits_to_micro(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("micro", "text"),
    [(12_500_000, "12.5"), (1, "0.000001"), (-1, "-0.000001"), (0, "0"), (MICRO, "1"), (-1_234_567_890, "-1234.56789")],
)
def test_micro_to_credits_formats_without_trailing_zeros(micro: int, text: str) -> None:
    assert micro_to_credits(micro) == text


@given(st.integers(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT))
def test_formatting_round_trips(micro: int) -> None:
    assert credits_to_micro(micro_to_credits(micro)) == micro


@pytest.mark.parametrize("bad", [0, -1, 1.0, True, "5", None, MAX_AMOUNT + 1])
def test_require_amount_wants_a_positive_int(bad: object) -> None:
    with pytest.raises(InvalidInput, match="amount"):
        require_amount(bad)
