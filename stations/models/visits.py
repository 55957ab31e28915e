"""The reception record book (代表接待记录本): voters' visits to a site."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from stations.bounds import BoundsCheck, in_bounds, validate_in_bounds
from stations.clock import local_date
from stations.models.checks import PythonCheck
from stations.models.rosters import DutyShift
from stations.models.sites import Area, Deputy, Site
from stations.validators import validate_phone

MAX_PEOPLE = 500


class Channel(models.TextChoices):
    RECEPTION_DAY = "reception_day", _("reception day")
    WALK_IN = "walk_in", _("walk-in")
    PHONE = "phone", _("phone call")
    DEPUTY_VISIT = "deputy_visit", _("deputy's visit to voters")
    ONLINE = "online", _("online")


class Category(models.TextChoices):
    """Topic of a visit or opinion; the statistics break figures down by it."""

    URBAN = "urban", _("urban construction and management")
    ENVIRONMENT = "environment", _("environment and ecology")
    TRANSPORT = "transport", _("roads and transport")
    AGRICULTURE = "agriculture", _("agriculture and rural affairs")
    SOCIAL = "social", _("social security and employment")
    EDUCATION = "education", _("education")
    HEALTH = "health", _("health care")
    ECONOMY = "economy", _("economy and enterprises")
    SAFETY = "safety", _("public safety")
    OTHER = "other", _("other")


class VisitQuerySet(models.QuerySet["Visit"]):
    def current(self) -> VisitQuerySet:
        """Visits not archived: the record book as staff see it."""
        return self.filter(archived_at__isnull=True)


class VisitDeputy(models.Model):
    """A deputy present at a visit; a deputy not assigned to the site is marked as visiting.

    Defined before Visit because simple_history copies this through model into the visit's history when
    the Visit class is built.
    """

    visit = models.ForeignKey("Visit", on_delete=models.CASCADE, related_name="visit_deputies")
    deputy = models.ForeignKey(Deputy, on_delete=models.PROTECT, related_name="visit_presences")
    is_visiting = models.BooleanField(_("visiting deputy"), default=False)

    class Meta:
        verbose_name = _("deputy present")
        verbose_name_plural = _("deputies present")
        constraints = [models.UniqueConstraint(fields=["visit", "deputy"], name="visit_deputy_unique")]

    def __str__(self) -> str:
        return str(self.deputy)


# Kept at module level so that the record-book service can write the first version of a visit after its
# deputies are saved (a plain save() would snapshot the visit before they exist).
_visit_history = HistoricalRecords(m2m_fields=["deputies"])


class Visit(models.Model):
    """One entry of the record book: who came, how many, what they raised."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="visits", verbose_name=_("site"))
    occurred_at = models.DateTimeField(_("date and time"), validators=[validate_in_bounds])
    shift = models.ForeignKey(
        DutyShift,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("duty shift"),
    )
    deputies = models.ManyToManyField(
        Deputy, through=VisitDeputy, related_name="visits", blank=True, verbose_name=_("deputies present")
    )
    visitor_name = models.CharField(_("visitor's name"), max_length=50, blank=True)
    visitor_phone = models.CharField(_("visitor's phone"), max_length=20, blank=True, validators=[validate_phone])
    area = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("village or community"),
    )
    area_text = models.CharField(
        _("village or community (typed)"),
        max_length=100,
        blank=True,
        help_text=_("When the voter's village or community is not one the site serves."),
    )
    people = models.PositiveSmallIntegerField(
        _("number of people"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_PEOPLE)]
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.RECEPTION_DAY)
    category = models.CharField(_("topic"), max_length=20, choices=Category.choices, default=Category.OTHER)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Entered (or moved to a time) more than settings.LATE_ENTRY_DAYS before it was typed.
    entered_late = models.BooleanField(_("entered late"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("archived by"),
    )

    # The deputies present are part of the record: their rows are copied into each historical version, so
    # the history shows who was added or removed. The phone stays in the history table (the detail page
    # shows it masked); it is personal data of the same station, kept as long as the record.
    history = _visit_history
    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["site", "-occurred_at"]),
            models.Index(fields=["occurred_at"]),
            # The statistics leave archived visits out; they are few, so a partial index finds them at once.
            models.Index(fields=["archived_at"], condition=Q(archived_at__isnull=False), name="visit_archived_idx"),
        ]
        constraints = [
            BoundsCheck(
                condition=in_bounds("occurred_at", moment=True, nullable=False), name="visit_occurred_at_in_bounds"
            ),
            PythonCheck(
                condition=Q(people__gte=1, people__lte=MAX_PEOPLE),
                holds=lambda visit: visit.people is None or 1 <= visit.people <= MAX_PEOPLE,
                fields=["people"],
                name="visit_people_range",
                violation_error_message=_("The number of people must be between 1 and 500."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.occurred_at:%Y-%m-%d}"

    def clean(self) -> None:
        super().clean()
        if self.occurred_at is None:
            return
        if self.occurred_at > timezone.now():
            raise ValidationError({"occurred_at": _("A visit cannot be recorded in the future.")})
        established = self.site.established if self.site_id is not None else None
        if established is not None and local_date(self.occurred_at) < established:
            raise ValidationError(
                {
                    "occurred_at": _("%(site)s was set up on %(date)s; a visit cannot be recorded before that.")
                    % {"site": self.site.name, "date": formats.date_format(established, "DATE_FORMAT")}
                }
            )

    def record_version(self, *, history_type: str = "~") -> None:
        """Write a history version now, with the deputies present as they are saved at this moment."""
        _visit_history.create_historical_record(self, history_type)

    @staticmethod
    def history_deputies_model() -> type[models.Model]:
        """simple_history's table of the deputies present as copied into each version (imports write it in bulk)."""
        return next(iter(_visit_history.m2m_models.values()))

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def village(self) -> str:
        return self.area.name if self.area is not None else self.area_text
