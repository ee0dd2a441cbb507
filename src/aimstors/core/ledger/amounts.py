"""Amounts of credits: integers in micro-units, parsed from and formatted to exact decimal strings.

One credit is 1,000,000 micro-credits. Amounts never pass through a float: ``credits_to_micro("12.5")`` is
``12_500_000`` and ``micro_to_credits(12_500_000)`` is ``"12.5"``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from aimstors.core.errors import InvalidInput

__all__ = ["MAX_AMOUNT", "MICRO", "credits_to_micro", "micro_to_credits", "require_amount"]

MICRO = 1_000_000
MAX_AMOUNT = 2**63 - 1  # the range of a BIGINT column
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]+))?")  # ASCII digits only; used with fullmatch


def credits_to_micro(value: str | int | Decimal) -> int:
    """Parse an amount of credits (``"12.5"``, ``"-0.000001"``, ``3``) into micro-credits, exactly.

    Strings may have at most six decimal places; floats are refused because they cannot hold most decimal
    amounts exactly. Raises :class:`InvalidInput` naming the bad value.
    """
    if isinstance(value, (bool, float)):
        raise InvalidInput(f"amount {value!r} must be a decimal string or an integer, not a {type(value).__name__}")
    if isinstance(value, int):
        micro = value * MICRO
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidInput(f"amount {value} is not a finite number")
        scaled = value * MICRO
        if scaled != scaled.to_integral_value():
            raise InvalidInput(f"amount {value} has more than 6 decimal places")
        micro = int(scaled)
    else:
        text = value.strip().replace("_", "")
        match = _DECIMAL.fullmatch(text)
        if not match or not (match[2] or match[3]):
            raise InvalidInput(f"amount {value!r} is not a decimal number of credits (e.g. 12.5)")
        sign, whole, frac = match[1], match[2] or "0", match[3] or ""
        if len(frac) > 6:
            raise InvalidInput(f"amount {value!r} has more than 6 decimal places")
        micro = int(whole) * MICRO + int(frac.ljust(6, "0"))
        if sign == "-":
            micro = -micro
    if abs(micro) > MAX_AMOUNT:
        raise InvalidInput(f"amount {value!r} is too large")
    return micro


def micro_to_credits(micro: int) -> str:
    """Format micro-credits as a decimal string of credits without trailing zeros: ``12_500_000`` → ``"12.5"``."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), MICRO)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")


def require_amount(amount: object, *, name: str = "amount") -> int:
    """Return ``amount`` if it is a positive ``int`` of micro-credits that fits a BIGINT, else raise InvalidInput."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"{name} must be a positive integer number of micro-credits, got {amount!r}")
    if amount <= 0:
        raise InvalidInput(f"{name} must be positive, got {amount}")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"{name} {amount} is too large")
    return amount
