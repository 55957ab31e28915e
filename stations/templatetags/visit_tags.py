"""Template filters for the record book: voters' personal data masked wherever it is listed."""

from django import template

from stations import privacy

register = template.Library()


@register.filter
def mask_phone(value: str) -> str:
    return privacy.mask_phone(value)


@register.filter
def mask_name(value: str) -> str:
    return privacy.mask_name(value)


@register.filter
def redact_phones(value: str) -> str:
    """Free text (a summary, an opinion) with any phone number a clerk or a voter typed into it masked."""
    return privacy.redact_phones(value)


@register.filter
def redact_unless(value: str, reveal: bool) -> str:
    """Free text as written where the page reveals the voter's data, with phone numbers masked otherwise."""
    return value if reveal else privacy.redact_phones(value)
