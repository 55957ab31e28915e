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


# --- one number, every way it may be written ------------------------------------------------------------------
# To find a voter's number wherever it was stored or typed, numbers are compared in one canonical form: the
# digits only, without the country code, a landline with its leading 0 ("0573-8234 5678", "+86 573 82345678",
# "(0573)82345678" and "057382345678" are all 057382345678). The pattern below finds that number written any
# way in a field or in free text; it is plain enough to run unchanged in Python, in SQLite (Django's REGEXP is
# Python's re) and in PostgreSQL (its advanced regular expressions), so the database finds the rows and Python
# rewrites them with the same pattern.

_FULLWIDTH_DIGITS = "０１２３４５６７８９"
# Between the digits: spaces (the ideographic one too), hyphens and dashes, dots, parentheses, ASCII or full width.
_SEPARATOR = r"[\s\u3000().（）\u2010\u2013\u2014\uff0d-]{0,3}"
_NON_DIGITS = re.compile(r"\D")
_FULLWIDTH_TO_ASCII = str.maketrans(_FULLWIDTH_DIGITS, "0123456789")


def canonical_phone(value: str) -> str:
    """The number as digits only, without +86 / 0086 / 86, a landline with its leading 0; "" without digits."""
    text = (value or "").strip().translate(_FULLWIDTH_TO_ASCII)
    digits = _NON_DIGITS.sub("", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif text.startswith("+86") or (digits.startswith("86") and len(digits) >= 12):
        digits = digits[2:]
    else:
        return digits
    # Written internationally a landline drops its trunk 0 (+86 573 8234 5678): put it back.
    return digits if digits[:1] in ("0", "1") else f"0{digits}"


def _digit(character: str) -> str:
    return f"[{character}{_FULLWIDTH_DIGITS[int(character)]}]"


def phone_variants_pattern(canonical: str) -> str:
    """A regular expression (Python, SQLite and PostgreSQL alike) for the number `canonical` however it is
    written: grouped by spaces, hyphens or parentheses, in full-width digits, after +86, 0086 or 86, a landline
    with or without its 0 after the country code. It does not match inside a longer run of digits."""
    if not canonical.isdigit():
        raise ValueError("canonical_phone() gives the digits to look for")
    country = rf"(?:[+＋]|[0０]{{2}})?[8８][6６]{_SEPARATOR}"
    if canonical.startswith("0"):
        head = rf"(?:{country}(?:{_digit('0')}{_SEPARATOR})?|{_digit('0')}{_SEPARATOR})"
        rest = canonical[1:]
    else:
        head = rf"(?:{country})?"
        rest = canonical
    body = _SEPARATOR.join(_digit(character) for character in rest)
    return rf"(?<![0-9０-９])[(（]?{head}{body}(?![0-9０-９])"


def phone_field_pattern(canonical: str) -> str:
    """The same, for a whole phone field: nothing else in it but spaces around."""
    return rf"^\s*{phone_variants_pattern(canonical)}\s*$"


def phone_field_tails(canonical: str) -> tuple[str, str]:
    """The number's last four digits, in ASCII and in full width. A phone field holds the number without inner
    spaces (normalise_phone), grouped at most as 0573-8234 5678, so every stored writing of
    it contains one of these whole: a cheap filter a database can apply before the pattern."""
    tail = canonical[-4:]
    return tail, tail.translate(str.maketrans("0123456789", _FULLWIDTH_DIGITS))


def phone_like_patterns(canonical: str) -> tuple[str, str]:
    """SQL LIKE patterns that every writing of the number matches: its digits in order with anything between
    (a landline's 0 may be dropped after +86), in ASCII and in full width. A sound and cheap filter a database
    applies before the pattern, for free text where the digits may be grouped any way."""
    digits = canonical[1:] if canonical.startswith("0") else canonical
    pattern = "%" + "%".join(digits) + "%"
    return pattern, pattern.translate(str.maketrans("0123456789", _FULLWIDTH_DIGITS))
