"""Template filters for voters' personal data: masked everywhere but the owning station's detail page."""

from django import template

from stations.privacy import mask_name, mask_phone, redact_phones

register = template.Library()

register.filter("masked_phone", mask_phone)
register.filter("masked_name", mask_name)
register.filter("redact_phones", redact_phones)


@register.filter
def redact_unless(value: str, reveal: bool) -> str:
    """Free text as written once the contact details are shown (recorded), with phone numbers masked before."""
    return value if reveal else redact_phones(value)


@register.filter
def masked_email(value: str) -> str:
    """a***@example.com: enough for staff to tell whether the voter gave one."""
    local, _, domain = (value or "").partition("@")
    if not domain:
        return ""
    return f"{local[:1]}***@{domain}"
