"""Writing to the audit log, and who acts.

`Actor` is who does something and from where: the signed-in user (or nobody: a voter, the system) and the
client's address. Views, the admin and the sign-in signal receivers build it from the request
(`Actor.from_request`); management commands and anything else without a client use `Actor.system()`.
Services take it and never see the request. `audit()` writes one entry with a dotted
action code (stations.models.audit.AuditAction): services for the changes they make, views only for what
only a view knows (a page of personal data shown, a download, a refusal).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest

from stations.models.audit import AuditAction, AuditEntry, action_label, admin_action
from stations.privacy import mask_email, mask_name, mask_phone, redact_phones

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from stations.services.batch import ImportBatch


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


@dataclass(frozen=True)
class Actor:
    """Who acts and from where. `user` is None for a voter on the public pages and for the system (a
    management command, the demo); `address` is None when there is no client (the system, a test). `batch`:
    acting through an import of the record book (stations.services.batch), whose services share its look-ups
    and whose audit entries are counted into the import's own entry."""

    user: User | None
    address: str | None = None
    # Who acts when it is no user: another system through the API ("api:<key name>"). Kept as the entry's name.
    label: str = ""
    batch: ImportBatch | None = None

    @classmethod
    def from_request(cls, request: HttpRequest, *, user: User | None = None) -> Actor:
        """The request's signed-in user (or `user`, when a signal names the account before the request
        knows it) and the client's address as stations.audit.client_address reads it."""
        if user is None:
            request_user = getattr(request, "user", None)
            if request_user is not None and request_user.is_authenticated:
                user = request_user
        return cls(user=user, address=client_address(request))

    @classmethod
    def for_api_key(cls, request: HttpRequest, *, key_name: str) -> Actor:
        """Another system writing with an API key: no user, the client's address, the key's name."""
        return cls(user=None, address=client_address(request), label=f"api:{key_name}")

    @classmethod
    def system(cls) -> Actor:
        """The portal itself: management commands, the demo, scheduled jobs."""
        return cls(user=None, address=None)


def audit(
    *,
    action: AuditAction | str,
    actor: Actor,
    target: models.Model | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Record one event. `changes` must already have personal data masked (see stations.privacy); as a
    second line of defence any phone number left in the summary or the changes (mobile, landline, any run of
    7 or more digits, as on the pages: stations.privacy.redact_phones) is masked here.

    Acting through an import (`actor.batch`), the entry is counted instead: the import writes one entry for
    the file with the counts by action and how many records were entered late."""
    if actor.batch is not None:
        actor.batch.audit(str(action), changes)
        return None
    user = actor.user
    signed_in = user is not None and user.is_authenticated
    return AuditEntry.objects.create(
        actor=user if signed_in else None,
        actor_name=user.get_username() if user is not None and signed_in else actor.label[:150],
        address=actor.address,
        action=str(action),
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


__all__ = ["Actor", "AuditAction", "action_label", "admin_action", "audit", "client_address", "masked_value"]
