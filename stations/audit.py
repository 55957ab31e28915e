"""Writing to the audit log. Call `audit()` from services and views for every auditable event."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from stations.models.audit import AuditAction, AuditEntry


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit(
    *,
    action: str,
    actor=None,
    request: HttpRequest | None = None,
    target: models.Model | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one event. `changes` must already have personal data masked (see stations.privacy)."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "",
        address=client_address(request),
        action=action,
        object_type=target._meta.model_name if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        summary=summary[:300],
        changes=changes or {},
    )


__all__ = ["AuditAction", "audit", "client_address"]
