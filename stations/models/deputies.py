"""What a deputy does on their own pages: ask for a swap of a duty, subscribe to a private calendar feed.

Unavailable dates (`Unavailability`) live with the rosters, which read them when a year is generated.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.rosters import Duty
from stations.models.sites import Deputy


class SwapStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the station head")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class SwapRequest(models.Model):
    """A deputy asks to exchange one of their coming duties with a colleague's; the station head decides, and an
    approval goes through the roster's own swap service (`shift_swap`)."""

    deputy = models.ForeignKey(
        Deputy, on_delete=models.CASCADE, related_name="swap_requests", verbose_name=_("deputy asking")
    )
    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="swap_requests", verbose_name=_("duty"))
    other_duty = models.ForeignKey(
        Duty, on_delete=models.CASCADE, related_name="swap_offers", verbose_name=_("duty to swap with")
    )
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=SwapStatus.choices, default=SwapStatus.PENDING)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("note on the decision"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("swap request")
        verbose_name_plural = _("swap requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open request per duty: a second would race the first for the same place.
            models.UniqueConstraint(
                fields=["duty"],
                condition=Q(status="pending"),
                name="swaprequest_one_pending_per_duty",
                violation_error_message=_("You have already asked to swap this duty."),
            ),
            models.CheckConstraint(
                condition=~Q(duty=models.F("other_duty")),
                name="swaprequest_two_duties",
                violation_error_message=_("Choose another deputy's duty to swap with."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.duty.shift} ⇄ {self.other_duty.shift}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A deputy's private calendar address: the token is the only key, so revoking it (a new one replaces it)
    cuts off every calendar that subscribed with the old one."""

    deputy = models.ForeignKey(
        Deputy, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("deputy")
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("private calendar feed")
        verbose_name_plural = _("private calendar feeds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deputy"], condition=Q(revoked_at__isnull=True), name="calendarfeed_one_active_per_deputy"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.created_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
