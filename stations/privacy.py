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
