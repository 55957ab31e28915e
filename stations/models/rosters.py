"""Duty rosters: reception rules, the yearly roster of each site, its shifts and the deputies on them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from simple_history.models import HistoricalRecords

from stations.bounds import BoundsCheck, in_bounds, validate_in_bounds
from stations.clock import local_time, start_of_day
from stations.models.sites import Deputy, Site
from stations.portal import portal_domain

# "每月20日，不见不散": the rule every site has unless it is given others.
DEFAULT_RECEPTION_DAY = 20
DEFAULT_START = dt.time(9, 0)
DEFAULT_END = dt.time(11, 30)


def month_day(day: dt.date) -> str:
    """ "12月20日" / "December 20" (Django's own Chinese MONTH_DAY_FORMAT pads the month: "01月20日")."""
    return dateformat.format(day, pgettext("month and day", "F j"))


class RuleKind(models.TextChoices):
    MONTHLY_DAY = "monthly_day", _("monthly, on a day of the month")
    MONTHLY_WEEKDAY = "monthly_weekday", _("monthly, on a weekday of a given week")
    WEEKLY = "weekly", _("weekly")
    EXTRA_DATE = "extra_date", _("one extra date")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ReceptionRule(models.Model):
    """When a site receives voters. A site without rules uses the default: the 20th, 09:00–11:30."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="reception_rules", verbose_name=_("site"))
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices, default=RuleKind.MONTHLY_DAY)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True, default=20)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    week_of_month = models.PositiveSmallIntegerField(
        _("week of the month"), null=True, blank=True, help_text=_("1 to 4, or 5 for the last week.")
    )
    date = models.DateField(
        _("date"), null=True, blank=True, help_text=_("For a one-off extra date."), validators=[validate_in_bounds]
    )
    start_time = models.TimeField(_("start time"), default=DEFAULT_START)
    end_time = models.TimeField(_("end time"), default=DEFAULT_END)
    valid_from = models.DateField(_("valid from"), null=True, blank=True, validators=[validate_in_bounds])
    valid_until = models.DateField(_("valid until"), null=True, blank=True, validators=[validate_in_bounds])

    class Meta:
        verbose_name = _("reception rule")
        verbose_name_plural = _("reception rules")
        constraints = [
            BoundsCheck(condition=in_bounds("valid_until"), name="receptionrule_valid_until_in_bounds"),
            BoundsCheck(condition=in_bounds("valid_from"), name="receptionrule_valid_from_in_bounds"),
            BoundsCheck(condition=in_bounds("date"), name="receptionrule_date_in_bounds"),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="rule_ends_after_start",
                violation_error_message=_("The reception must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.get_kind_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self) -> None:
        super().clean()
        needs = {
            RuleKind.MONTHLY_DAY: ("day_of_month",),
            RuleKind.MONTHLY_WEEKDAY: ("weekday", "week_of_month"),
            RuleKind.WEEKLY: ("weekday",),
            RuleKind.EXTRA_DATE: ("date",),
        }[RuleKind(self.kind)]
        missing = {
            name: _("This field is required for this kind of rule.") for name in needs if getattr(self, name) is None
        }
        if missing:
            raise ValidationError(missing)
        if self.day_of_month is not None and not 1 <= self.day_of_month <= 28:
            raise ValidationError({"day_of_month": _("Choose a day from 1 to 28, which every month has.")})
        if self.week_of_month is not None and not 1 <= self.week_of_month <= 5:
            raise ValidationError({"week_of_month": _("Choose a week from 1 to 4, or 5 for the last week.")})
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The rule cannot end before it starts.")})

    def dates_in(self, year: int) -> list[dt.date]:
        """The days of `year` on which this rule opens the site, within its validity."""
        # clean() requires the field each kind reads (day, weekday, week), so they are set here.
        if self.kind == RuleKind.MONTHLY_DAY:
            assert self.day_of_month is not None
            days = [dt.date(year, month, self.day_of_month) for month in range(1, 13)]
        elif self.kind == RuleKind.MONTHLY_WEEKDAY:
            days = [self._weekday_of_month(year, month) for month in range(1, 13)]
        elif self.kind == RuleKind.WEEKLY:
            assert self.weekday is not None
            first = dt.date(year, 1, 1)
            first += dt.timedelta(days=(self.weekday - first.weekday()) % 7)
            days = [first + dt.timedelta(weeks=n) for n in range(53) if (first + dt.timedelta(weeks=n)).year == year]
        else:
            days = [self.date] if self.date and self.date.year == year else []
        return [
            day
            for day in days
            if (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        ]

    def _weekday_of_month(self, year: int, month: int) -> dt.date:
        assert self.weekday is not None and self.week_of_month is not None
        first = dt.date(year, month, 1)
        first_match = first + dt.timedelta(days=(self.weekday - first.weekday()) % 7)
        if self.week_of_month == 5:  # the last such weekday of the month
            day = first_match
            while (day + dt.timedelta(weeks=1)).month == month:
                day += dt.timedelta(weeks=1)
            return day
        return first_match + dt.timedelta(weeks=self.week_of_month - 1)


class Roster(models.Model):
    """A site's duty roster for one year. A draft until published; the public sees published rosters only."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rosters", verbose_name=_("site"))
    year = models.PositiveSmallIntegerField(_("year"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-year", "site"]
        constraints = [models.UniqueConstraint(fields=["site", "year"], name="roster_unique_per_site_year")]

    def __str__(self) -> str:
        return f"{self.site} {self.year}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class DutyShiftQuerySet(models.QuerySet["DutyShift"]):
    def for_sites(self, sites) -> DutyShiftQuerySet:
        return self.filter(roster__site__in=sites)

    def published(self) -> DutyShiftQuerySet:
        return self.filter(roster__published_at__isnull=False, cancelled=False)

    def upcoming(self, now: dt.datetime | None = None) -> DutyShiftQuerySet:
        return self.filter(end__gte=now or timezone.now()).order_by("start")

    def on_date(self, day: dt.date) -> DutyShiftQuerySet:
        start = start_of_day(day)
        return self.filter(start__gte=start, start__lt=start + dt.timedelta(days=1))


class DutyShift(models.Model):
    """One reception: a site open at a time, with deputies on duty.

    A shift moved to another day keeps where it was first planned (`original_start`), so the public pages
    can say "moved from 20 Dec to 21 Dec"; `sequence` rises with every change so subscribed calendars
    follow it (RFC 5545 SEQUENCE).
    """

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("roster"))
    start = models.DateTimeField(_("start"), validators=[validate_in_bounds])
    end = models.DateTimeField(_("end"), validators=[validate_in_bounds])
    original_start = models.DateTimeField(
        _("originally planned start"), null=True, blank=True, validators=[validate_in_bounds]
    )
    change_note = models.CharField(_("reason for the change"), max_length=200, blank=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    manually_changed = models.BooleanField(
        _("changed by hand"), default=False, help_text=_("Regenerating the roster leaves such shifts alone.")
    )
    sequence = models.PositiveIntegerField(_("revision"), default=0)
    deputies: models.ManyToManyField[Deputy, Duty] = models.ManyToManyField(
        Deputy, through="Duty", through_fields=("shift", "deputy"), related_name="shifts", verbose_name=_("deputies")
    )

    history = HistoricalRecords()
    objects = DutyShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["start", "roster"]
        indexes = [models.Index(fields=["start"])]
        constraints = [
            BoundsCheck(condition=in_bounds("original_start", moment=True), name="dutyshift_original_start_in_bounds"),
            BoundsCheck(condition=in_bounds("end", moment=True, nullable=False), name="dutyshift_end_in_bounds"),
            BoundsCheck(condition=in_bounds("start", moment=True, nullable=False), name="dutyshift_start_in_bounds"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="shift_ends_after_start",
                violation_error_message=_("A shift must end after it starts."),
            ),
            # Generated shifts record their planned start; this keeps regenerating (even twice at once) from
            # planning the same reception twice. Shifts added by hand leave it empty (NULLs never clash).
            models.UniqueConstraint(
                fields=["roster", "original_start"],
                name="shift_unique_planned_start",
                violation_error_message=_("This roster already has a reception planned at that time."),
            ),
        ]

    def __str__(self) -> str:
        local = local_time(self.start)
        return f"{self.roster.site} {local:%Y-%m-%d %H:%M}"

    @property
    def site(self) -> Site:
        return self.roster.site

    @property
    def was_moved(self) -> bool:
        return self.original_start is not None and self.original_start != self.start

    @property
    def move_note(self) -> str:
        """What the public pages say about a moved reception: "Moved from 20 Dec to 21 Dec"."""
        if not self.was_moved or self.original_start is None:
            return ""
        before, after = local_time(self.original_start), local_time(self.start)
        if before.date() != after.date():
            values = {"before": month_day(before.date()), "after": month_day(after.date())}
        else:
            values = {"before": f"{before:%H:%M}", "after": f"{after:%H:%M}"}
        return _("Moved from %(before)s to %(after)s") % values

    @property
    def planned_start(self) -> dt.datetime:
        return self.original_start or self.start

    @property
    def ical_uid(self) -> str:
        # The portal's domain makes the UID unique beyond this portal, as RFC 5545 asks; it never changes for a
        # shift (a calendar that subscribed keeps replacing the same event).
        return f"shift-{self.pk}@{portal_domain()}"


class Attendance(models.TextChoices):
    UNMARKED = "unmarked", _("not yet marked")
    PRESENT = "present", _("present")
    ABSENT = "absent", _("absent")
    SUBSTITUTED = "substituted", _("substituted")


class AbsenceReason(models.TextChoices):
    LEAVE = "leave", _("leave")
    ILLNESS = "illness", _("illness")
    OTHER_DUTY = "other_duty", _("other official duty")
    OTHER = "other", _("other")


class Duty(models.Model):
    """A deputy on a shift, and after the day whether they came."""

    shift = models.ForeignKey(DutyShift, on_delete=models.CASCADE, related_name="duties", verbose_name=_("shift"))
    deputy = models.ForeignKey(Deputy, on_delete=models.PROTECT, related_name="duties", verbose_name=_("deputy"))
    attendance = models.CharField(
        _("attendance"), max_length=12, choices=Attendance.choices, default=Attendance.UNMARKED
    )
    absence_reason = models.CharField(_("reason for absence"), max_length=12, choices=AbsenceReason.choices, blank=True)
    substitute = models.ForeignKey(
        Deputy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substitutions",
        verbose_name=_("substitute"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.UniqueConstraint(fields=["shift", "deputy"], name="duty_unique_per_shift"),
            models.CheckConstraint(
                condition=~Q(attendance="absent") | ~Q(absence_reason=""),
                name="duty_absence_has_reason",
                violation_error_message=_("An absence needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(attendance="substituted") | Q(substitute__isnull=False),
                name="duty_substitution_names_substitute",
                violation_error_message=_("A substitution needs the substitute deputy."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.shift}"


class Unavailability(models.Model):
    """A date a deputy declared they cannot serve; roster generation respects it."""

    deputy = models.ForeignKey(
        Deputy, on_delete=models.CASCADE, related_name="unavailable_dates", verbose_name=_("deputy")
    )
    date = models.DateField(_("date"), validators=[validate_in_bounds])
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unavailable date")
        verbose_name_plural = _("unavailable dates")
        constraints = [
            BoundsCheck(condition=in_bounds("date", nullable=False), name="unavailability_date_in_bounds"),
            models.UniqueConstraint(fields=["deputy", "date"], name="unavailability_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} {self.date}"
