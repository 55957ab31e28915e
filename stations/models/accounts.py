"""Who a user is in the network: their role and the station they belong to."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from stations.models.regions import Region, RegionLevel
from stations.models.sites import Deputy, District, Site, SiteKind

# The region level each regional administrator's role covers.
REGION_ROLE_LEVELS: dict[str, str] = {"city_admin": RegionLevel.CITY, "province_admin": RegionLevel.PROVINCE}


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("district administrator")
    CITY_ADMIN = "city_admin", _("city administrator")
    PROVINCE_ADMIN = "province_admin", _("province administrator")
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
    # A district administrator's district (issue 15). Left empty on a portal holding one district, clean() ties
    # the account to it; a row without one (written before regions, or outside full_clean) administers the
    # whole portal, like a superuser without a membership.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("district"),
        help_text=_("District administrators: the district they administer."),
    )
    # City and province administrators: everything below this region is theirs.
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        limit_choices_to={"level__in": [RegionLevel.CITY, RegionLevel.PROVINCE]},
        verbose_name=_("region"),
        help_text=_("City and province administrators: the city or province they administer."),
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
            models.CheckConstraint(
                condition=~Q(role__in=["city_admin", "province_admin"]) | Q(region__isnull=False),
                name="membership_region_role_has_region",
                violation_error_message=_("City and province administrators administer a region."),
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
        if self.role == Role.DISTRICT_ADMIN and self.district_id is None:
            # Accounts are tied to a district (imports and scopes follow it). On a portal with one district the
            # choice is obvious; with several the administrator must be told.
            districts = list(District.objects.order_by("pk")[:2])
            if len(districts) == 1:
                self.district = districts[0]
            elif districts:
                raise ValidationError({"district": _("Choose the district this administrator administers.")})
        if self.role != Role.DISTRICT_ADMIN and self.district_id is not None:
            raise ValidationError({"district": _("Only district administrators are tied to a district.")})
        level = REGION_ROLE_LEVELS.get(self.role)
        if level is None and self.region_id is not None:
            raise ValidationError({"region": _("Only city and province administrators are tied to a region.")})
        if level is not None and (self.region is None or self.region.level != level):
            raise ValidationError(
                {
                    "region": _("Choose the %(level)s this administrator administers.")
                    % {"level": RegionLevel(level).label}
                }
            )
