"""The liaison network: districts, the stations, rooms and points in them, the areas they serve, deputies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from stations.bounds import BoundsCheck, in_bounds, validate_in_bounds
from stations.models.regions import Region, RegionLevel
from stations.photos import deputy_photo_normalised
from stations.validators import validate_image_content

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a lazy translation or a str; django-stubs is a dev tool only

PHOTO_MAX_BYTES = 2 * 1024 * 1024


class DistrictQuerySet(models.QuerySet["District"]):
    def under_region(self, region: Region) -> DistrictQuerySet:
        """The districts at or below a region: the levels are strict, so it is a join of known depth through
        indexed foreign keys (a province's districts are its cities' counties), never a recursive query."""
        if region.level == RegionLevel.COUNTY:
            return self.filter(region=region)
        if region.level == RegionLevel.CITY:
            return self.filter(region__parent=region)
        if region.level == RegionLevel.PROVINCE:
            return self.filter(region__parent__parent=region)
        # A town or street lies inside one district: its figures are that district's stations in the town.
        return self.filter(region=region.parent_id) if region.parent_id else self.none()


class District(models.Model):
    """A county-level district (区) whose people's congress runs the network.

    Attached to its county-level `Region` (stations/models/regions.py explains why it is attached rather than
    being the region itself); a district without one (made before regions existed) stands alone.
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    # Prefix of staff references for opinions, e.g. "NH" gives NH-2027-00042.
    code = models.CharField(_("reference prefix"), max_length=8, unique=True)
    region = models.OneToOneField(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="district",
        limit_choices_to={"level": RegionLevel.COUNTY},
        verbose_name=_("region"),
        help_text=_("The county-level region (county, county-level city or district) this district is."),
    )

    objects = DistrictQuerySet.as_manager()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.region is not None and self.region.level != RegionLevel.COUNTY:
            raise ValidationError({"region": _("Choose a county-level region (county or district).")})


class SiteKind(models.TextChoices):
    STATION = "station", _("liaison station")
    ROOM = "room", _("liaison room")
    POINT = "point", _("liaison point")


# The network's reading order of site kinds: a station, then its rooms, then its points. Every list of sites and
# every site choice follows it (through `network_ordering()` in queries); the one definition.
KIND_ORDER: dict[str, int] = {SiteKind.STATION: 0, SiteKind.ROOM: 1, SiteKind.POINT: 2}


def kind_rank(kind: str) -> int:
    return KIND_ORDER.get(kind, len(KIND_ORDER))


def network_ordering(prefix: str = "") -> list:
    """Order-by terms for the network's reading order: by station (its town, then its name), the station before
    its rooms before its points, then by name. `prefix` reaches the site from another model ("roster__site__")."""
    # One join to the site's own station (`Site.station`, itself for a station) rather than the parent chain.
    station_town = F(f"{prefix}station__town")
    station_name = F(f"{prefix}station__name")
    kind = Case(
        *(When(**{f"{prefix}kind": value}, then=Value(rank)) for value, rank in KIND_ORDER.items()),
        default=Value(len(KIND_ORDER)),
        output_field=IntegerField(),
    )
    return [station_town.asc(), station_name.asc(), kind.asc(), F(f"{prefix}name").asc()]


def default_site_ordering() -> list:
    """network_ordering() in a form Site's Meta.ordering can hold: when another model orders by its site
    (`ordering = ["site", ...]`), Django prefixes the site's ordering and cannot prefix the Q inside a Case/When.
    The kinds' codes happen to sort in reverse reading order (station > room > point), so "-kind" ranks them."""
    station_town, station_name, _kind, name = network_ordering()
    return [station_town, station_name, F("kind").desc(), name]


assert sorted(KIND_ORDER, reverse=True) == sorted(KIND_ORDER, key=kind_rank), "default_site_ordering() needs this"


class Sector(models.TextChoices):
    GENERAL = "general", _("general")
    ENTERPRISE = "enterprise", _("enterprise")
    AGRICULTURE = "agriculture", _("agriculture")
    SCHOOL = "school", _("school")
    COMMUNITY = "community", _("community")
    PLAZA = "plaza", _("plaza")
    OTHER = "other", _("other")


class SiteQuerySet(models.QuerySet["Site"]):
    def active(self) -> SiteQuerySet:
        return self.filter(is_active=True)

    def accepting_online(self) -> SiteQuerySet:
        """Active sites voters may address on the web: online stations and the rooms and points under them
        (an online station is "the same station, reachable on the web", so its rooms are reachable too)."""
        online = Q(is_online=True) | Q(parent__is_online=True) | Q(parent__parent__is_online=True)
        return self.active().filter(online)

    def in_network_order(self) -> SiteQuerySet:
        """By station, the station before its rooms before its points, then by name: how lists and site choices
        read for a person who knows the network."""
        return self.order_by(*network_ordering())

    def stations(self) -> SiteQuerySet:
        return self.filter(kind=SiteKind.STATION)

    def under_station(self, station: Site) -> SiteQuerySet:
        """The station itself with every room and point below it: one indexed equality on `Site.station`."""
        return self.filter(station_id=station.pk)

    def bulk_create(self, objs: Iterable[Site], *args: Any, **kwargs: Any) -> list[Site]:
        """bulk_create skips save(), which sets `station`: derive it here too, so that bulk loads (the demo, test
        and benchmark generators) keep the same invariant. Parents must be saved before their children."""
        sites = list(objs)
        # A parent given as an object knows its station; one given by id is looked up, all in one query.
        parents = {
            site.parent_id: site.parent for site in sites if site.parent_id is not None and site.station_id is None
        }
        by_id = [pk for pk, parent in parents.items() if parent is None or parent.station_id is None]
        known: dict[int, int | None] = dict(Site.objects.filter(pk__in=by_id).values_list("pk", "station_id"))
        for pk, parent in parents.items():
            known.setdefault(pk, parent.station_id if parent is not None else None)
        for site in sites:
            if site.parent_id is not None and site.station_id is None:
                site.station_id = known.get(site.parent_id) or site.parent_id
        created = super().bulk_create(sites, *args, **kwargs)
        tops = [site for site in created if site.parent_id is None and site.station_id is None and site.pk]
        if tops:
            Site.objects.filter(pk__in=[site.pk for site in tops]).update(station=F("pk"))
            for site in tops:
                site.station_id = site.pk
        return created

    def named(self, text: str) -> SiteQuerySet:
        """Sites whose name, town or code (the slug posters and links carry) holds the text: how staff find a site
        or station among more than a select holds (no join, unlike search(): the served villages are the voters'
        way in)."""
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(town__icontains=text) | Q(slug__icontains=text))

    def search(self, text: str) -> SiteQuerySet:
        """Sites whose name, town, or served village/community matches the text."""
        text = text.strip()
        if not text:
            return self
        # A subquery rather than DISTINCT: the callers order and page the result by columns of joined tables.
        matching = Site.objects.filter(
            Q(name__icontains=text) | Q(town__icontains=text) | Q(areas__name__icontains=text)
        )
        return self.filter(pk__in=matching.values("pk"))


class Site(models.Model):
    """A station (站), room (室) or point (点): a place where deputies receive voters."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="sites", verbose_name=_("district"))
    kind = models.CharField(_("kind"), max_length=10, choices=SiteKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent site"),
        help_text=_("A room belongs to a station; a point to a station or a room; a station has none."),
    )
    # The station the site belongs to (itself for a station), derived from the parent chain by save() and
    # bulk_create: "every site of a station" is one indexed equality instead of an OR over the parent and the
    # grandparent, which no index answers (issue 15). Never edited by hand. Typed as never empty when read: it is
    # empty only inside save() of a new station (and on an unsaved site).
    # DO_NOTHING: a station references itself, which PROTECT would refuse to delete; `parent` (PROTECT) already
    # keeps a station with rooms or points from being deleted, and with them every row that names it here.
    station: models.ForeignKey[Site | None, Site] = models.ForeignKey(  # type: ignore[misc]  # see above
        "self",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        editable=False,
        related_name="network_sites",
        verbose_name=_("station"),
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, help_text=_("Stable: printed posters link to it."))
    town = models.CharField(_("town or street"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_notes = models.TextField(_("opening notes"), blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.GENERAL)
    head_name = models.CharField(_("head of the site"), max_length=50, blank=True)
    established = models.DateField(_("date established"), null=True, blank=True, validators=[validate_in_bounds])
    is_active = models.BooleanField(_("active"), default=True)
    is_online = models.BooleanField(
        _("online station"), default=False, help_text=_("The site accepts opinions on the web.")
    )
    deputies_per_shift = models.PositiveSmallIntegerField(
        _("deputies per shift"), default=2, help_text=_("How many deputies a duty shift needs.")
    )
    areas: models.ManyToManyField[Area, Any] = models.ManyToManyField(
        "Area", blank=True, related_name="sites", verbose_name=_("areas served")
    )

    # `station` is derived from `parent`, which the history already keeps.
    history = HistoricalRecords(excluded_fields=["station"])
    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        # The network's reading order wherever sites are listed without an order of their own (the admin, model
        # choice fields): a station before its rooms and points. "kind" sorted as text put points first.
        ordering = ["district", *default_site_ordering()]
        constraints = [
            BoundsCheck(condition=in_bounds("established"), name="site_established_in_bounds"),
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="site_name_unique_among_siblings",
                violation_error_message=_("A site with this name already exists under the same parent."),
            ),
            models.UniqueConstraint(
                fields=["district", "name"],
                condition=Q(parent__isnull=True),
                name="station_name_unique_in_district",
                violation_error_message=_("A station with this name already exists in the district."),
            ),
            models.CheckConstraint(
                condition=Q(kind=SiteKind.STATION, parent__isnull=True)
                | (~Q(kind=SiteKind.STATION) & Q(parent__isnull=False)),
                name="site_only_stations_are_top_level",
                violation_error_message=_("A station has no parent site; rooms and points must have one."),
            ),
            models.CheckConstraint(
                condition=Q(deputies_per_shift__gte=1, deputies_per_shift__lte=20),
                name="site_deputies_per_shift_range",
            ),
            # A station is its own station (empty only inside save(), between the insert that gives it its id and
            # the update that points it at itself); a room or point belongs to another site, a station. That the
            # station is the top of the site's own parent chain is kept by save() and checked by the tests.
            models.CheckConstraint(
                condition=Q(kind=SiteKind.STATION) & (Q(station__isnull=True) | Q(station=F("id")))
                | (~Q(kind=SiteKind.STATION) & Q(station__isnull=False) & ~Q(station=F("id"))),
                name="site_station_is_the_top_of_the_chain",
            ),
        ]
        indexes = [
            # The pages that list a district's stations, and a station's rooms and points, by kind and name.
            models.Index(fields=["district", "kind", "town", "name"], name="site_district_kind_idx"),
            models.Index(fields=["station", "kind", "name"], name="site_station_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived data, not a business rule: `station` must always equal the top of the parent chain, whoever
        # saves the site (a service, the admin, a test), so it is kept here. A site moved to another station takes
        # the rooms and points under it along.
        existing = self.pk is not None
        self._derive_station()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "station" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "station"]
        super().save(*args, **kwargs)
        if self.station_id is None:  # a new station: its own id is known only now
            Site.objects.filter(pk=self.pk).update(station=F("pk"))
            self.station_id = self.pk
        if existing:  # compared with the rows, not with what full_clean() already derived on this instance
            below = Site.objects.filter(Q(parent_id=self.pk) | Q(parent__parent_id=self.pk))
            below.exclude(station_id=self.station_id).update(station_id=self.station_id)

    def get_absolute_url(self) -> str:
        return reverse("stations:site_detail", kwargs={"slug": self.slug})

    def clean_fields(self, exclude=None) -> None:
        # A room or point takes its parent's district. Derive it before the field checks, which would
        # otherwise report the district as missing before clean() gets the chance.
        if self.district_id is None and self.parent is not None:
            self.district_id = self.parent.district_id
        self._derive_station()  # before the constraints are validated, as save() will store it
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        parent = self.parent
        if self.kind == SiteKind.STATION:
            if parent is not None:
                raise ValidationError({"parent": _("A station is the top of the network and has no parent site.")})
            return
        if parent is None:
            raise ValidationError({"parent": _("A room or point must belong to a station or a room.")})
        if self.kind == SiteKind.ROOM and parent.kind != SiteKind.STATION:
            raise ValidationError({"parent": _("A liaison room must belong to a liaison station.")})
        if self.kind == SiteKind.POINT and parent.kind not in (SiteKind.STATION, SiteKind.ROOM):
            raise ValidationError({"parent": _("A liaison point must belong to a station or a room.")})
        ancestor: Site | None = parent
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A site cannot be placed under itself or its own children.")})
            ancestor = ancestor.parent
        if self.district_id is None:
            self.district_id = parent.district_id
        elif self.district_id != parent.district_id:
            raise ValidationError({"district": _("A site belongs to the same district as its parent site.")})
        if self.pk is not None and self.kind == SiteKind.POINT and self.children.exists():
            raise ValidationError({"kind": _("A site with rooms or points under it cannot become a point.")})

    def _derive_station(self) -> None:
        if self.parent_id is None:
            self.station_id = self.pk
        else:
            parent = self.parent
            assert parent is not None
            self.station_id = parent.station_id or parent.pk

    @property
    def accepts_online(self) -> bool:
        return self.is_active and any(
            site.is_online for site in (self, self.parent, self.parent and self.parent.parent) if site
        )


class AreaKind(models.TextChoices):
    VILLAGE = "village", _("village")
    COMMUNITY = "community", _("community")
    ELECTORAL_DISTRICT = "electoral", _("electoral district")


class Area(models.Model):
    """A village, community or electoral district that one or more sites serve."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="areas", verbose_name=_("district"))
    town = models.CharField(_("town or street"), max_length=50)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=AreaKind.choices, default=AreaKind.VILLAGE)

    class Meta:
        verbose_name = _("area served")
        verbose_name_plural = _("areas served")
        ordering = ["town", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "town", "name"], name="area_unique_in_town"),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.name}"


class Gender(models.TextChoices):
    FEMALE = "f", _("female")
    MALE = "m", _("male")


class Level(models.TextChoices):
    """Levels of people's congress, highest first (the order the public pages list them in)."""

    PROVINCE = "province", _("provincial")
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    TOWN = "town", _("town")


LEVEL_ORDER = {level.value: index for index, level in enumerate(Level)}

# How pages name a deputy of each level ("区人大代表"). The bare level labels are shared msgids ("district"
# is also the District model's name), so titles get their own strings.
DEPUTY_TITLES = {
    Level.PROVINCE: _("provincial people's congress deputy"),
    Level.CITY: _("city people's congress deputy"),
    Level.DISTRICT: _("district people's congress deputy"),
    Level.TOWN: _("town people's congress deputy"),
}


def validate_photo_size(photo) -> None:
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo is larger than 2 MB; please upload a smaller image."))


class DeputyQuerySet(models.QuerySet["Deputy"]):
    def active(self) -> DeputyQuerySet:
        return self.filter(is_active=True)

    def unassigned(self) -> DeputyQuerySet:
        """Active deputies not yet assigned to any site ("代表进站全员化" wants none)."""
        return self.active().filter(assignments__isnull=True)


class Deputy(models.Model):
    """A people's congress deputy. One person may hold mandates at several levels."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="deputies", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=50)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    photo = models.ImageField(
        _("photo"),
        upload_to="deputies/",
        blank=True,
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "webp"]),
            validate_photo_size,
            validate_image_content,
        ],
        help_text=_("JPEG, PNG or WebP, at most 2 MB."),
    )
    biography = models.TextField(_("short biography"), blank=True, help_text=_("Public."))
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.GENERAL)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, help_text=_("Private: shown to staff only."))
    is_active = models.BooleanField(_("active"), default=True)
    sites: models.ManyToManyField[Site, Assignment] = models.ManyToManyField(
        Site, through="Assignment", related_name="deputies", verbose_name=_("sites")
    )

    history = HistoricalRecords(excluded_fields=["phone"])
    objects = DeputyQuerySet.as_manager()

    class Meta:
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        ordering = ["name"]
        indexes = [
            # /deputies/ pages through the active deputies by name (150,000 in a province).
            models.Index(fields=["name", "id"], condition=Q(is_active=True), name="deputy_active_name_idx"),
            # /staff/deputies/ pages through every deputy of a region by name, inactive ones too: walking this index
            # finds a province's first page at once instead of sorting its 150,000 deputies (60 ms a page).
            models.Index(fields=["name", "id"], name="deputy_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("stations:deputy_detail", kwargs={"slug": self.slug})

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude)
        # Reached only when every field is valid, the photo's type, size and pixel count included. A new
        # upload (not yet in storage) is kept re-encoded at the size the pages show, without its metadata.
        if "photo" not in (exclude or ()) and self.photo and not self.photo._committed:
            self.photo = deputy_photo_normalised(self.photo)

    @property
    def levels(self) -> list[str]:
        """The deputy's levels, highest first, each once. Reads `mandates` (prefetch it on lists)."""
        found = {mandate.level for mandate in self.mandates.all()}
        return sorted(found, key=LEVEL_ORDER.__getitem__)

    @property
    def titles(self) -> list[StrOrPromise]:
        """How pages name the deputy ("区人大代表"), one title per level, highest first."""
        return [DEPUTY_TITLES[Level(level)] for level in self.levels]


class Mandate(models.Model):
    """A deputy's seat in a people's congress at one level, for one term."""

    deputy = models.ForeignKey(Deputy, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("deputy"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    electoral_district = models.CharField(_("electoral district"), max_length=100, blank=True)
    term_start = models.DateField(_("term start"), validators=[validate_in_bounds])
    term_end = models.DateField(_("term end"), null=True, blank=True, validators=[validate_in_bounds])

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["deputy", "level"]
        constraints = [
            BoundsCheck(condition=in_bounds("term_end"), name="mandate_term_end_in_bounds"),
            BoundsCheck(condition=in_bounds("term_start", nullable=False), name="mandate_term_start_in_bounds"),
            models.UniqueConstraint(fields=["deputy", "level", "term_start"], name="mandate_unique_per_term"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=models.F("term_start")),
                name="mandate_term_ends_after_start",
                violation_error_message=_("A term must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.get_level_display()}"

    @property
    def title(self) -> StrOrPromise:
        return DEPUTY_TITLES[Level(self.level)]


class Assignment(models.Model):
    """A deputy assigned to a site (进站): they serve its duty shifts."""

    deputy = models.ForeignKey(Deputy, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("deputy"))
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("site"))
    since = models.DateField(_("assigned since"), null=True, blank=True, validators=[validate_in_bounds])

    class Meta:
        verbose_name = _("site assignment")
        verbose_name_plural = _("site assignments")
        constraints = [
            BoundsCheck(condition=in_bounds("since"), name="assignment_since_in_bounds"),
            models.UniqueConstraint(fields=["deputy", "site"], name="assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} @ {self.site}"
