"""Phone numbers as contacts are keyed: ``wa_id`` is the E.164 number as digits, without the '+'.

Callers type numbers in every shape (``+1 (555) 010-0000``, ``0044 20 7946 0958``, ``15550100000``); everything
that takes a number from a person goes through :func:`normalise_wa_id`. A number without a country prefix is read
as international, because that is how WhatsApp ids are written. Errors never echo the number back.
"""

from __future__ import annotations

import re

import phonenumbers

from aimstors.core.errors import InvalidInput

__all__ = ["looks_like_phone", "normalise_wa_id"]

_PHONEISH = re.compile(r"\+?[\d\s().\-]+")
_MIN_DIGITS = 3


def looks_like_phone(text: str) -> bool:
    """True when ``text`` is made only of digits and phone punctuation, with a few digits at least."""
    return bool(_PHONEISH.fullmatch(text.strip())) and sum(c.isdigit() for c in text) >= _MIN_DIGITS


def normalise_wa_id(raw: str, *, field: str = "phone") -> str:
    """The ``wa_id`` (E.164 digits without '+') of a phone number as a person wrote it.

    Raises InvalidInput naming ``field`` when it is not a possible phone number. Possible, not valid: test and
    newly allocated ranges are not in the metadata, and WhatsApp is the judge of whether a number exists.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+"):
        text = "+" + text
    failure = InvalidInput(f"{field} is not a phone number in international form", hint="e.g. +15550100000")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise failure from None
    if not phonenumbers.is_possible_number(number):
        raise failure
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")
