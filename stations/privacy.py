"""Masking of voters' personal data, for everywhere outside the owning station's staff detail pages."""

from __future__ import annotations

import re

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


# What looks like a phone number in free text, as a voter or a clerk may type one: a mobile number (spaces or
# hyphens allowed between groups, optional +86), a landline with its area code, or any bare run of 7 or more
# digits (which also catches identity-card numbers). Years, amounts and references such as NH-2027-00042
# have shorter runs and stay as they are.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(?:1[3-9]\d(?:[\s-]?\d){8}|0\d{2,3}[\s-]?\d{7,8}|\d{7,})(?!\d)")
_COUNTRY_PREFIX = re.compile(r"^\+?86[\s-]?")


def redact_phones(text: str) -> str:
    """Free text with every phone-like number masked, for pages and messages outside the station."""
    return _PHONE_IN_TEXT.sub(lambda match: mask_phone(_COUNTRY_PREFIX.sub("", match.group(0))), text or "")


def mask_email(value: str) -> str:
    """a***@example.com: enough for staff to tell whether the voter gave one."""
    local, _, domain = (value or "").partition("@")
    if not domain:
        return mask_name(value)
    return f"{local[:1]}***@{domain}"
