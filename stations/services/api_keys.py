"""API keys: issued and revoked by a district administrator (in the admin), each change audited."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from stations.audit import Actor, AuditAction, audit
from stations.models import ApiKey
from stations.models.api import hash_api_key

# What a key looks like: a fixed prefix (so that a key pasted into the wrong place is recognisable and can be
# found by secret scanners) and 43 URL-safe characters (256 random bits).
KEY_PREFIX = "lsk_"


def new_api_key_secret() -> str:
    return f"{KEY_PREFIX}{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_key_issue(*, name: str, actor: Actor) -> tuple[ApiKey, str]:
    """Issue a key; returns it with its secret, which is shown once and never stored."""
    secret = new_api_key_secret()
    key = ApiKey(
        name=name.strip(),
        prefix=secret[: len(KEY_PREFIX) + 4],
        key_hash=hash_api_key(secret),
        created_by=actor.user,
    )
    key.full_clean()
    key.save()
    audit(action=AuditAction.API_KEY_ISSUED, actor=actor, target=key, summary=key.name)
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    """Revoke a key at once: the next request with it is refused (401). Revoking twice changes nothing."""
    current = ApiKey.objects.select_for_update().get(pk=key.pk)
    if current.revoked_at is None:
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        audit(action=AuditAction.API_KEY_REVOKED, actor=actor, target=current, summary=current.name)
    return current


def api_key_for_secret(secret: str) -> ApiKey | None:
    """The active key with this secret, or None (unknown or revoked)."""
    if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    return ApiKey.objects.active().filter(key_hash=hash_api_key(secret)).first()
