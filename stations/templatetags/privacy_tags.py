"""Template filters for voters' personal data: masked everywhere but where a page deliberately reveals it
(the owning station's detail pages, recorded in the audit log)."""

from django import template

from stations.privacy import mask_email, mask_name, mask_phone, redact_phones

register = template.Library()

register.filter("mask_phone", mask_phone)
register.filter("mask_name", mask_name)
register.filter("mask_email", mask_email)
# Free text (a summary, an opinion) with any phone number a clerk or a voter typed into it masked.
register.filter("redact_phones", redact_phones)


@register.filter
def redact_unless(value: str, reveal: bool) -> str:
    """Free text as written where the page reveals the voter's data, with phone numbers masked otherwise."""
    return value if reveal else redact_phones(value)
