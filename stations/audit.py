"""Writing to the audit log. Call `audit()` from services and views for every auditable event."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest

from stations.models.audit import AuditAction, AuditEntry
from stations.privacy import mask_email, mask_name, mask_phone, redact_phones


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address. Behind TRUSTED_PROXY_COUNT proxies it is the address the outermost trusted
    proxy saw (the N-th entry from the right of X-Forwarded-For); entries further left are the client's
    own claims and are ignored. Also used by django-axes, so the lockout and the log agree."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact_phones(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def audit(
    *,
    action: str,
    actor=None,
    request: HttpRequest | None = None,
    target: models.Model | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one event. `changes` must already have personal data masked (see stations.privacy); as a
    second line of defence any phone number left in the summary or the changes (mobile, landline, any run of
    7 or more digits, as on the pages: stations.privacy.redact_phones) is masked here."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    signed_in = actor is not None and actor.is_authenticated
    return AuditEntry.objects.create(
        actor=actor if signed_in else None,
        actor_name=actor.get_username() if signed_in else "",
        address=client_address(request),
        action=action,
        object_type=(target._meta.model_name or "") if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        summary=redact_phones(summary)[:300],
        changes=_masked(changes or {}),
    )


# Fields whose values never reach the log in clear. Voters' and staff's names are personal data; deputies'
# names are public (they hang on the station wall) and stay readable.
_PHONE_FIELDS = ("phone",)
_EMAIL_FIELDS = ("email",)
_NAME_FIELDS = {"visitor_name", "submitter_name", "first_name", "last_name"}
_SECRET_FIELDS = ("password", "key", "secret", "token")


def masked_value(field_name: str, value: Any, *, free_text: bool = False) -> Any:
    """The value of one field as the audit log may keep it. Free text (a visit's summary, an opinion) may
    name people anywhere in it, so only the fact that it changed is kept."""
    if isinstance(value, FieldFile):  # a photo: keep its file name (an empty one compares equal to "")
        return value.name or None
    if value is None or value == "":
        return value
    if free_text:
        return "…"
    lowered = field_name.lower()
    if any(word in lowered for word in _SECRET_FIELDS):
        return "***"
    if any(word in lowered for word in _PHONE_FIELDS):
        return mask_phone(str(value))
    if any(word in lowered for word in _EMAIL_FIELDS):
        return mask_email(str(value))
    if lowered in _NAME_FIELDS:
        return mask_name(str(value))
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set) or hasattr(value, "model"):
        return sorted(str(getattr(item, "pk", item)) for item in value)
    if isinstance(value, bool | int | float):
        return value
    return redact_phones(str(value))[:100]


__all__ = ["AuditAction", "audit", "client_address", "masked_value"]
