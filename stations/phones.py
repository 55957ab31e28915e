"""What a mainland phone number looks like: the one definition, used by validation, masking on pages and
masking in the logs.

A mobile number is 11 digits from 13… to 19…; a landline is an area code 0xx or 0xxx and 7–8 digits.
Stored numbers are written one way (`normalise_phone` below, used by every form and service); people type them
as their input method gives them: full-width digits (１３８…), grouped with spaces or hyphens, with +86 or 0086.
"""

from __future__ import annotations

import re
import unicodedata

_MOBILE = r"1[3-9]\d{9}"
_LANDLINE = r"0\d{2,3}-?\d{7,8}"
_EXTENSION = r"(?:-\d{1,6})?"
# The same numbers as people write them in text: groups separated by a space or a hyphen.
_MOBILE_WRITTEN = r"1[3-9]\d(?:[\s-]?\d){8}"
_LANDLINE_WRITTEN = r"0\d{2,3}[\s-]?\d{7,8}"
_COUNTRY_CODE = r"\+?86[\s-]?"

# A whole field's value (after normalise_phone).
MOBILE = re.compile(rf"^{_MOBILE}$")
LANDLINE = re.compile(rf"^{_LANDLINE}{_EXTENSION}$")

# Phone numbers inside free text, not part of a longer run of digits (order numbers, timestamps stay).
PHONE_IN_TEXT = re.compile(rf"(?<!\d)(?:{_COUNTRY_CODE})?(?:{_MOBILE_WRITTEN}|{_LANDLINE_WRITTEN})(?!\d)")
# Phone numbers, or any other bare run of 7 or more digits (which also catches identity-card numbers): what
# pages shown outside the station hide. Years, amounts and references such as NH-2027-00042 have shorter runs.
PHONE_OR_LONG_NUMBER_IN_TEXT = re.compile(
    rf"(?<!\d)(?:{_COUNTRY_CODE})?(?:{_MOBILE_WRITTEN}|{_LANDLINE_WRITTEN}|\d{{7,}})(?!\d)"
)
COUNTRY_CODE = re.compile(rf"^{_COUNTRY_CODE}")


# Dashes people type between groups of digits (the full-width hyphen becomes "-" under NFKC already).
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30fc\uff70]")
_INTERNATIONAL = re.compile(r"^(?:\+|00)86-?")


def normalise_phone(value: str) -> str:
    """The number written one way: ASCII digits, no spaces or brackets, no +86/0086, a mobile without hyphens
    (13812345678), a landline as typed (0573-82345678). Anything else is returned cleaned for the validator to
    refuse with a message."""
    value = unicodedata.normalize("NFKC", value or "")
    value = _DASHES.sub("-", value)
    value = re.sub(r"[\s()]", "", value)
    value = _INTERNATIONAL.sub("", value)
    digits = value.replace("-", "")
    if MOBILE.match(digits):
        return digits
    return value.strip("-")
