"""The seed's other practices (issue 16): annual activity themes (年度活动主题), deputies paired with voters
(代表结对联系选民) with their contacts and the things done, and deputies' activities beyond receptions
(代表履职登记: study sessions, inspections, research, meetings with voters elsewhere)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stations.bounds import FIRST_YEAR, LAST_YEAR, BoundsCheck, in_bounds, validate_in_bounds
from stations.models.sites import Deputy, District, Site, SiteKind
from stations.validators import validate_phone

# --- annual activity themes ----------------------------------------------------------------------------------


class ThemeQuerySet(models.QuerySet["Theme"]):
    def of_year(self, year: int) -> ThemeQuerySet:
        return self.filter(year=year)

    def for_station(self, station: Site) -> ThemeQuerySet:
        """The themes a station works on: the district's own (chosen for every station) and those it chose."""
        return (
            self.filter(district_id=station.district_id)
            .filter(Q(stations__isnull=True) | Q(stations=station))
            .distinct()
        )


class Theme(models.Model):
    """A theme of the district's central work chosen for a year (e.g. "三改一拆"). Without stations it is the
    district's, for every station; with stations, only theirs. Receptions, visits and opinions are tagged with it."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="themes", verbose_name=_("district"))
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    name = models.CharField(_("theme"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    stations = models.ManyToManyField(
        Site,
        blank=True,
        related_name="themes",
        limit_choices_to={"kind": SiteKind.STATION},
        verbose_name=_("stations"),
        help_text=_("Leave empty for a theme of the whole district."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    # What the theme tags: a record may carry several of the year's themes.
    shifts = models.ManyToManyField(
        "stations.DutyShift", blank=True, related_name="themes", verbose_name=_("receptions")
    )
    visits = models.ManyToManyField("stations.Visit", blank=True, related_name="themes", verbose_name=_("visits"))
    opinions = models.ManyToManyField("stations.Opinion", blank=True, related_name="themes", verbose_name=_("opinions"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual activity theme")
        verbose_name_plural = _("annual activity themes")
        ordering = ["-year", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "name"], name="theme_unique_per_year"),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR),
                name="theme_year_in_bounds",
                violation_error_message=_("The year must lie between 2000 and 2099."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


# --- pairing deputies with voters ------------------------------------------------------------------------------


class PairingKind(models.TextChoices):
    VOTER = "voter", _("voter")
    HOUSEHOLD = "household", _("household")


class PairingQuerySet(models.QuerySet["Pairing"]):
    def active_between(self, first, last) -> PairingQuerySet:
        """Pairings in force on at least one day from `first` to `last` (dates, both included)."""
        return self.filter(started_on__lte=last).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))


class Pairing(models.Model):
    """A deputy paired with a voter or a household (结对), with the voter's consent to be contacted and kept on
    record. The voter's name and phone are personal data: masked outside the owning station's staff pages."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("site"))
    deputy = models.ForeignKey(Deputy, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("deputy"))
    kind = models.CharField(_("paired with"), max_length=10, choices=PairingKind.choices, default=PairingKind.VOTER)
    voter_name = models.CharField(
        _("voter's name"), max_length=50, help_text=_("For a household, the person the deputy deals with.")
    )
    voter_phone = models.CharField(_("voter's phone"), max_length=20, blank=True, validators=[validate_phone])
    village = models.CharField(_("village or community"), max_length=100, blank=True)
    household_size = models.PositiveSmallIntegerField(
        _("people in the household"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    consent_on = models.DateField(
        _("consent given on"),
        validators=[validate_in_bounds],
        help_text=_("The voter agreed to be paired and to have their name and phone kept on record."),
    )
    consent_note = models.CharField(
        _("how consent was given"), max_length=200, blank=True, help_text=_("e.g. signed form, in person")
    )
    started_on = models.DateField(_("paired since"), validators=[validate_in_bounds])
    ended_on = models.DateField(_("pairing ended on"), null=True, blank=True, validators=[validate_in_bounds])
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by")
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-started_on", "-pk"]
        constraints = [
            BoundsCheck(condition=in_bounds("consent_on", nullable=False), name="pairing_consent_on_in_bounds"),
            BoundsCheck(condition=in_bounds("started_on", nullable=False), name="pairing_started_on_in_bounds"),
            BoundsCheck(condition=in_bounds("ended_on"), name="pairing_ended_on_in_bounds"),
            models.CheckConstraint(
                condition=Q(consent_on__lte=models.F("started_on")),
                name="pairing_consent_before_start",
                violation_error_message=_("The voter's consent must be given on or before the day the pairing starts."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="pairing_ends_after_start",
                violation_error_message=_("A pairing cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} ↔ #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class ContactMethod(models.TextChoices):
    HOME_VISIT = "home_visit", _("home visit")
    AT_STATION = "at_station", _("at the station")
    PHONE = "phone", _("phone call")
    ONLINE = "online", _("message online")
    OTHER = "other", _("other")


class PairingContact(models.Model):
    """One contact between a paired deputy and their voter: when, how, what was said."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("pairing"))
    happened_on = models.DateField(_("date"), validators=[validate_in_bounds])
    method = models.CharField(_("how"), max_length=20, choices=ContactMethod.choices, default=ContactMethod.HOME_VISIT)
    notes = models.TextField(_("what was said"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by")
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pairing contact")
        verbose_name_plural = _("pairing contacts")
        ordering = ["-happened_on", "-pk"]
        constraints = [
            BoundsCheck(condition=in_bounds("happened_on", nullable=False), name="pairing_contact_on_in_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.pairing} {self.happened_on}"


class PairingDeed(models.Model):
    """A concrete thing the deputy did for the paired voter (办实事): what, when, and how it turned out."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="deeds", verbose_name=_("pairing"))
    happened_on = models.DateField(_("date"), validators=[validate_in_bounds])
    what = models.CharField(_("what was done"), max_length=200)
    outcome = models.TextField(_("outcome"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by")
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("thing done for a paired voter")
        verbose_name_plural = _("things done for paired voters")
        ordering = ["-happened_on", "-pk"]
        constraints = [
            BoundsCheck(condition=in_bounds("happened_on", nullable=False), name="pairing_deed_on_in_bounds"),
        ]

    def __str__(self) -> str:
        return self.what


def validate_after_pairing_start(pairing: Pairing, day, field: str = "happened_on") -> None:
    """Contacts and things done happen while the pairing is in force."""
    if day is None:
        return
    if day < pairing.started_on:
        raise ValidationError({field: _("This is before the pairing started.")})
    if pairing.ended_on is not None and day > pairing.ended_on:
        raise ValidationError({field: _("This is after the pairing ended.")})


# --- deputies' activities beyond receptions --------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    STUDY = "study", _("study session at the station")
    INSPECTION = "inspection", _("inspection")
    RESEARCH = "research", _("research")
    VOTER_MEETING = "voter_meeting", _("meeting with voters elsewhere")
    OTHER = "other", _("other activity")


class DeputyActivity(models.Model):
    """One entry of a deputy's performance registration (代表履职登记) besides receptions."""

    deputy = models.ForeignKey(Deputy, on_delete=models.PROTECT, related_name="activities", verbose_name=_("deputy"))
    kind = models.CharField(_("kind of activity"), max_length=20, choices=ActivityKind.choices)
    held_on = models.DateField(_("date"), validators=[validate_in_bounds])
    title = models.CharField(_("subject"), max_length=200)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deputy_activities",
        verbose_name=_("at the site"),
        help_text=_("The station, room or point where it took place, if at one."),
    )
    place = models.CharField(_("place"), max_length=100, blank=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.5), MaxValueValidator(24)],
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("recorded by")
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deputy activity")
        verbose_name_plural = _("deputy activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["deputy", "held_on"])]
        constraints = [
            BoundsCheck(condition=in_bounds("held_on", nullable=False), name="deputy_activity_held_on_in_bounds"),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0.5, hours__lte=24),
                name="deputy_activity_hours_range",
                violation_error_message=_("Hours must be between 0.5 and 24."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} {self.held_on} {self.title}"
