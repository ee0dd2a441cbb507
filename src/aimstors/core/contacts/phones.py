"""Phone numbers as contacts are keyed: ``wa_id`` is the E.164 number as digits, without the '+'.

Callers type numbers in every shape (``+1 (555) 010-0000``, ``0044 20 7946 0958``, ``15550100000``); everything
that takes a number from a person goes through :func:`normalise_wa_id`. A number without a country prefix is read
as international, because that is how WhatsApp ids are written, unless the caller names a default region (CSV
imports do: lists are full of national numbers). Errors never echo the number back.
"""

from __future__ import annotations

import re

import phonenumbers

from aimstors.core.errors import InvalidInput

__all__ = ["check_region", "looks_like_phone", "normalise_wa_id"]

_PHONEISH = re.compile(r"\+?[\d\s().\-]+")
_MIN_DIGITS = 3


def looks_like_phone(text: str) -> bool:
    """True when ``text`` is made only of digits and phone punctuation, with a few digits at least."""
    return bool(_PHONEISH.fullmatch(text.strip())) and sum(c.isdigit() for c in text) >= _MIN_DIGITS


def normalise_wa_id(raw: str, *, field: str = "phone", region: str | None = None) -> str:
    """The ``wa_id`` (E.164 digits without '+') of a phone number as a person wrote it.

    Without ``region`` a number lacking a country prefix is read as international. With ``region`` (ISO 3166
    alpha-2, e.g. ``US``) it is read as a national number of that country first, then as international; a valid
    reading wins over a merely possible one, so ``(202) 555-0123`` and ``12025550123`` are both ``12025550123``
    and ``447911123456`` stays British. Numbers starting with ``+`` or ``00`` are always international.

    Raises InvalidInput naming ``field`` when it is not a possible phone number. Possible, not valid: test and
    newly allocated ranges are not in the metadata, and WhatsApp is the judge of whether a number exists.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    failure = InvalidInput(f"{field} is not a phone number in international form", hint="e.g. +15550100000")
    if region is not None and not text.startswith("+"):
        number = _national_or_international(text, region.upper())
        if number is None:
            raise InvalidInput(f"{field} is not a phone number (read as {region.upper()} or international)")
    else:
        if not text.startswith("+"):
            text = "+" + text
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            raise failure from None
        if not phonenumbers.is_possible_number(number):
            raise failure
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")


def check_region(region: str) -> str:
    """``region`` upper-cased if phonenumbers knows it as a country (``US``, ``GB``…); InvalidInput otherwise."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"{region!r} is not a region code", hint="a two-letter country code such as US, GB or IN")
    return code


def _national_or_international(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    readings: list[phonenumbers.PhoneNumber] = []
    for candidate, default in ((text, region), ("+" + text, None)):
        try:
            number = phonenumbers.parse(candidate, default)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
        # A number callable only locally (no area code) cannot be a WhatsApp id.
        if phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE:
            readings.append(number)
    return readings[0] if readings else None
