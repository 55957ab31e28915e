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
