"""Who a user is in the network: their role and the station they belong to."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from stations.models.sites import Deputy, Site, SiteKind


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("district administrator")
    STATION_HEAD = "station_head", _("station head")
    STAFF = "staff", _("station staff")
    DEPUTY = "deputy", _("deputy")


class Membership(models.Model):
    """Ties a user to a role and, for station roles, to a station (its rooms and points come with it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    station = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        limit_choices_to={"kind": SiteKind.STATION},
        verbose_name=_("station"),
    )
    # Where the person usually works on a reception day: the visit form opens on this site when it runs a
    # shift (or when no shift decides). Limited to the station's own sites (see clean()).
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("own site"),
        help_text=_("The room or point where this person usually receives voters (optional; within the station)."),
    )
    deputy = models.OneToOneField(
        Deputy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="membership",
        verbose_name=_("deputy"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["station_head", "staff"]) | Q(station__isnull=False),
                name="membership_station_role_has_station",
                violation_error_message=_("Station heads and staff belong to a station."),
            ),
            models.CheckConstraint(
                condition=~Q(role="deputy") | Q(deputy__isnull=False),
                name="membership_deputy_role_has_deputy",
                violation_error_message=_("A deputy account must name the deputy."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    def clean(self) -> None:
        super().clean()
        if self.station is not None and self.station.kind != SiteKind.STATION:
            raise ValidationError({"station": _("Choose a liaison station; its rooms and points come with it.")})
        if self.site is not None and (self.station is None or self.site.station_id != self.station.pk):
            raise ValidationError({"site": _("Choose the station itself or one of its rooms and points.")})
