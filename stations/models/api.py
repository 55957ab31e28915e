"""Keys for other systems that write through the API (a service hotline filing opinions on a caller's behalf)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_api_key(secret: str) -> str:
    """How a key is kept: its SHA-256. A key is 256 random bits, so a plain hash is as good as a slow one (there
    is nothing to guess from) and lets a request find its key with one indexed look-up."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key an administrator issued to another system. The key itself is shown once, when issued; only its hash
    and its first characters (to tell keys apart in the admin) are stored. A revoked key stays, for the audit log."""

    name = models.CharField(
        _("name"), max_length=60, unique=True, help_text=_("Who uses the key, e.g. the 12345 service hotline.")
    )
    prefix = models.CharField(_("key begins with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
