"""Rate limiting of the public forms, kept in the database so that every gunicorn worker sees it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ThrottleHit(models.Model):
    """One counted request (an online submission, a tracking-code lookup) from one client.

    `key` is a keyed hash of the client's address, never the address itself: the table only has to tell
    whether the same client came back, not who it was. Rows older than the longest window are deleted as
    new ones arrive.
    """

    scope = models.CharField(_("scope"), max_length=30)
    key = models.CharField(_("client key"), max_length=64)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("rate-limit entry")
        verbose_name_plural = _("rate-limit entries")
        indexes = [
            models.Index(fields=["scope", "key", "at"], name="throttle_scope_key_at"),
            models.Index(fields=["scope", "at"], name="throttle_scope_at"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.at:%Y-%m-%d %H:%M}"
