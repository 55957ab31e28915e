"""Administrative regions above (and just below) the district: province → city → county/district → town/street.

Design (issue 15): a `Region` is plain data, a tree with one row per administrative division; the existing
`District` (the county-level people's congress that runs a network of stations) stays the unit everything
else hangs on (sites, deputies, areas, opinion references) and is *attached* to its county-level region by a
one-to-one link. Making District itself the county-level region would have rewritten the foreign keys of every
site, deputy, area and history table; attaching it changes one table and leaves every URL, query and figure
of a one-district portal as it was. Town/street regions sit under a county, one for every town its district's
sites name (`Site.town`), kept by the network's services and matched to the sites by name within the district
(stations/services/regions.py says why not by a foreign key); the network below a district is its stations.

The levels are strict (a city's parent is a province, a county's a city, a town's a county), so "everything
below a region" is a join of known depth, answered through indexed foreign keys (`District.objects.under_region`)
rather than a recursive query.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county or district")
    TOWN = "town", _("town or street")


# Depth of each level in the tree (a province is the top).
LEVEL_DEPTH: dict[str, int] = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2, RegionLevel.TOWN: 3}
PARENT_LEVEL: dict[str, str | None] = {
    RegionLevel.PROVINCE: None,
    RegionLevel.CITY: RegionLevel.PROVINCE,
    RegionLevel.COUNTY: RegionLevel.CITY,
    RegionLevel.TOWN: RegionLevel.COUNTY,
}
CHILD_LEVEL: dict[str, str | None] = {parent: child for child, parent in PARENT_LEVEL.items() if parent}
CHILD_LEVEL[RegionLevel.TOWN] = None

validate_region_code = RegexValidator(r"^\d{12}$", _("The national administrative code has 12 digits."))


class RegionQuerySet(models.QuerySet["Region"]):
    def by_key(self, key: str) -> Region | None:
        """The region named by its 12-digit code or its id (`?region=` and `/regions/<key>/` accept both)."""
        key = key.strip()
        if len(key) == 12 and key.isdigit():
            return self.filter(code=key).first()
        if key.isdigit() and len(key) <= 9:
            return self.filter(pk=int(key)).first()
        return None


class Region(models.Model):
    """A province, city, county/district or town/street."""

    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(
        _("administrative code"),
        max_length=12,
        blank=True,
        null=True,
        unique=True,
        validators=[validate_region_code],
        help_text=_("The 12-digit national administrative division code, if known."),
    )
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent region"),
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["level", "code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="region_name_unique_among_siblings",
                violation_error_message=_("A region with this name already exists under the same parent."),
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="region_top_name_unique",
                violation_error_message=_("A top-level region with this name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(level=RegionLevel.PROVINCE, parent__isnull=True)
                | (~Q(level=RegionLevel.PROVINCE) & Q(parent__isnull=False)),
                name="region_only_provinces_are_top_level",
                violation_error_message=_("A province has no parent region; every other region has one."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("stations:region_detail", kwargs={"key": self.key})

    @property
    def key(self) -> str:
        """How URLs name the region: its code when known, else its id."""
        return self.code or str(self.pk)

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]

    @property
    def child_level(self) -> str | None:
        return CHILD_LEVEL[self.level]

    def ancestors(self) -> list[Region]:
        """From the province down to the parent (reads `parent` links: select_related them on lists)."""
        chain: list[Region] = []
        region = self.parent
        while region is not None:
            chain.append(region)
            region = region.parent
        return list(reversed(chain))

    def clean(self) -> None:
        super().clean()
        expected = PARENT_LEVEL.get(self.level)
        if expected is None:
            if self.parent_id is not None:
                raise ValidationError({"parent": _("A province is the top level and has no parent region.")})
            return
        if self.parent is None:
            raise ValidationError({"parent": _("Choose the region this one belongs to.")})
        if self.parent.level != expected:
            raise ValidationError(
                {
                    "parent": _("A %(level)s belongs to a %(parent)s.")
                    % {"level": self.get_level_display(), "parent": RegionLevel(expected).label}
                }
            )
