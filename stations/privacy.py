"""Masking of voters' personal data, for everywhere outside the owning station's staff detail pages."""

from __future__ import annotations

import re

from stations.phones import COUNTRY_CODE, PHONE_IN_TEXT, PHONE_OR_LONG_NUMBER_IN_TEXT

_DIGITS = re.compile(r"\d")


def mask_phone(value: str) -> str:
    """138****1234 for a mobile number; for other numbers keep the first 3 and last 4 digits likewise."""
    value = (value or "").strip()
    digits = "".join(_DIGITS.findall(value))
    if not digits:
        return ""
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 2) + digits[-1:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    """张** for 张三丰: the family name only."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def _mask_match(match: re.Match) -> str:
    return mask_phone(COUNTRY_CODE.sub("", match.group(0)))


def redact_phones(text: str) -> str:
    """Free text with every phone-like number (and any other long run of digits) masked, for pages and
    messages outside the station."""
    return PHONE_OR_LONG_NUMBER_IN_TEXT.sub(_mask_match, text or "")


def mask_phones_in_text(text: str) -> str:
    """Free text with every mobile and landline number masked (138****5678, 057*****5678); other numbers stay
    as they are. For the logs, where order numbers and timestamps must stay readable."""
    if not text:
        return text
    return PHONE_IN_TEXT.sub(_mask_match, text)


def mask_email(value: str) -> str:
    """a***@example.com: enough for staff to tell whether the voter gave one."""
    local, _, domain = (value or "").partition("@")
    if not domain:
        return mask_name(value)
    return f"{local[:1]}***@{domain}"
