"""The district's official figures, computed by the database for a scope and a period.

Every figure here is an aggregation query (conditional Count/Sum, grouped by what a breakdown needs); Python
only loops over the *groups* a query returns (months, sites, categories), never over visits or opinions.
A page asks for a headline (one set of figures) or a breakdown (one set per group) and pays a fixed number
of queries whatever the number of rows or groups.

Periods are in Asia/Shanghai local time: a visit at 00:30 on 1 March local time (16:30 UTC on the last day
of February) belongs to March. The definitions below are the only description of what the figures mean;
the pages and the README show them word for word.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.db.models.functions.window import RowNumber
from django.db.models.lookups import LessThanOrEqual
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stations.clock import LOCAL_TZ, local_date, local_today
from stations.models import (
    AbsenceReason,
    Attendance,
    Category,
    Channel,
    Deputy,
    DeputyActivity,
    District,
    Duty,
    DutyShift,
    HandlingBody,
    Level,
    Opinion,
    OpinionAction,
    OpinionEvent,
    Region,
    RegionLevel,
    Satisfaction,
    Site,
    SiteKind,
    State,
    Visit,
    VisitDeputy,
)
from stations.models.sites import kind_rank, network_ordering

# The figures are the district's, and the district keeps Beijing time whatever a user's browser says.


def _fixed_offset_modifier() -> str | None:
    """SQLite's date modifier for the local zone when its offset never changes (Beijing time has had no
    daylight saving since 1991); None for a zone with daylight saving."""
    winter = LOCAL_TZ.utcoffset(dt.datetime(2020, 1, 1))
    summer = LOCAL_TZ.utcoffset(dt.datetime(2020, 7, 1))
    if winter != summer or winter is None:
        return None
    return f"{int(winter.total_seconds() // 60):+d} minutes"


SQLITE_LOCAL = _fixed_offset_modifier()


class LocalDate(TruncDate):
    """The local calendar day of a moment. On SQLite, the built-in date() with the zone's fixed offset
    instead of Django's per-row Python function (ten times faster over a district-year)."""

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, tzinfo=LOCAL_TZ, **extra)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        if SQLITE_LOCAL is None:
            return self.as_sql(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, %s)", (*params, SQLITE_LOCAL)


class LocalMonth(TruncMonth):
    """The first day of the local month of a moment (see LocalDate)."""

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, tzinfo=LOCAL_TZ, output_field=models.DateField(), **extra)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        if SQLITE_LOCAL is None:
            return self.as_sql(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"strftime(%s, {sql}, %s)", ("%Y-%m-01", *params, SQLITE_LOCAL)


class DaysBetween(Func):
    """(later − earlier) in days, as a number the database can sort and the page can print."""

    arity = 2
    arg_joiner = " - "
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"
    output_field = models.FloatField()

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        return super().as_sql(
            compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(", **extra
        )


class SiteDay(Func):
    """A site and a local calendar day as one integer: site × 40,000 + days since 2000-01-01 (on PostgreSQL and
    SQLite, the portal's two databases). Counting distinct integers is twice as fast as counting distinct
    "site|day" strings over a province-year (310 ms against 680 ms for 200,000 visits on PostgreSQL). Dates are
    within 2000–2099 (stations/bounds.py), fewer than 40,000 days, so two sites never share a key."""

    output_field = models.BigIntegerField()
    DAYS = 40000

    def __init__(self, site: str, moment: str) -> None:
        super().__init__(F(site), LocalDate(moment))

    def _parts(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, str, tuple[Any, ...]]:
        site_sql, site_params = compiler.compile(self.source_expressions[0])
        day_sql, day_params = compiler.compile(self.source_expressions[1])
        return site_sql, day_sql, (*site_params, *day_params)

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        site_sql, day_sql, params = self._parts(compiler, connection)
        return f"(CAST({site_sql} AS bigint) * {self.DAYS} + ({day_sql} - DATE '2000-01-01'))", params

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        site_sql, day_sql, params = self._parts(compiler, connection)
        days = f"CAST(julianday({day_sql}) - julianday('2000-01-01') AS INTEGER)"
        return f"({site_sql} * {self.DAYS} + {days})", params


# An opinion's current state tells how far it got: every state after "accepted" was reached through it.
ACCEPTED_STATES = (State.ACCEPTED, State.REFERRED, State.REPLIED, State.RESOLVED, State.EXPLAINED, State.CLOSED)
REFERRED_STATES = (State.REFERRED, State.REPLIED, State.RESOLVED, State.EXPLAINED, State.CLOSED)
REPLIED_STATES = (State.REPLIED, State.RESOLVED, State.EXPLAINED, State.CLOSED)
# Closed opinions were resolved or explained first; a reopened one is back in "referred" and is not resolved
# until it is resolved or explained again.
RESOLVED_STATES = (State.RESOLVED, State.EXPLAINED, State.CLOSED)
# Received, not refused, not yet resolved or explained.
OPEN_STATES = (State.REGISTERED, State.ACCEPTED, State.REFERRED, State.REPLIED)
SATISFIED_VOTES = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)

# --- definitions: shown on the statistics pages and copied into the README ------------------------------

DEFINITIONS: list[tuple[str, Any, Any]] = [
    (
        "events_held",
        _("Reception events held"),
        _(
            "Duty shifts that took place (at least one deputy on duty marked present or stood in for by a substitute, or at least one visit recorded for the shift), plus visits recorded outside any shift, counted once per site and day. A shift counts in the period in which it starts."
        ),
    ),
    (
        "visits",
        _("Visits recorded"),
        _("Entries in the reception record book (one entry may be a group). Archived entries do not count."),
    ),
    (
        "voters",
        _("Voters received (person-times)"),
        _("The sum of the number of people over the visits recorded; a group of 12 counts 12."),
    ),
    (
        "opinions",
        _("Opinions received"),
        _(
            "Opinions and suggestions received in the period (an opinion raised at a visit is received at the visit's time, whenever it was typed in), at receptions and through the online station; those of archived visits do not count. The figures below follow these opinions to their state today; each handling step counts at the date it happened."
        ),
    ),
    ("not_accepted", _("Not accepted"), _("Opinions received that were not accepted.")),
    ("accepted", _("Accepted"), _("Opinions received that were accepted (whatever happened to them afterwards).")),
    ("referred", _("Referred"), _("Accepted opinions referred to a handling body.")),
    (
        "resolved",
        _("Resolved"),
        _(
            "Accepted opinions now resolved or explained (answered with an explanation), including those since closed. An opinion reopened after an unsatisfied vote is not resolved until it is resolved or explained again."
        ),
    ),
    (
        "resolved_solved",
        _("of which resolved"),
        _("Resolved opinions whose last answer was that the problem was solved (including those since closed)."),
    ),
    (
        "resolved_explained",
        _("of which answered with an explanation"),
        _(
            "Resolved opinions whose last answer was an explanation of why the problem cannot be solved now (including those since closed)."
        ),
    ),
    (
        "still_open",
        _("Still open"),
        _(
            "Opinions received that are neither not accepted nor resolved: waiting to be accepted, with the handling body, or replied but not yet marked resolved or explained. Opinions received = not accepted + resolved + still open."
        ),
    ),
    (
        "overdue",
        _("Overdue"),
        _("Opinions still with the handling body (referred, no reply yet) whose reply deadline has passed."),
    ),
    ("resolution_rate", _("Resolution rate"), _("Resolved ÷ accepted.")),
    (
        "on_time_rate",
        _("On-time reply rate"),
        _(
            "Opinions answered on or before their reply deadline ÷ opinions with a deadline that have been answered or whose deadline has passed."
        ),
    ),
    (
        "median_days",
        _("Median days to reply"),
        _("The median time from registration to the handling body's reply, in days, over the opinions answered."),
    ),
    (
        "satisfaction_rate",
        _("Satisfaction rate"),
        _(
            "Opinions rated satisfied or basically satisfied ÷ opinions rated. An opinion is rated when the voter answered on the tracking page after it was resolved or explained, or when it was closed; the voter's own answer counts when given, otherwise the satisfaction staff recorded on closing."
        ),
    ),
    (
        "scheduled",
        _("Deputies' shifts scheduled"),
        _(
            "Places for deputies on duty shifts in the period (one deputy on one shift), cancelled shifts excepted; future shifts are included."
        ),
    ),
    ("present", _("Present"), _("Duties where the deputy came.")),
    ("absent", _("Absent"), _("Duties where the deputy did not come and nobody stood in, by reason.")),
    ("substituted", _("Substituted"), _("Duties where another deputy stood in.")),
    ("unmarked", _("Not yet marked"), _("Duties whose attendance has not been recorded (including future shifts).")),
    ("attendance_rate", _("Attendance rate"), _("Present ÷ duties marked present, absent or substituted.")),
]
TERMS = {key: term for key, term, _text in DEFINITIONS}


# --- scope and period -------------------------------------------------------------------------------------


class ScopeKind(models.TextChoices):
    ALL = "all", _("every region")
    REGION = "region", _("region")
    DISTRICT = "district", _("district")
    STATION = "station", pgettext_lazy("scope", "station with its rooms and points")
    SITE = "site", pgettext_lazy("scope", "one site")


@dataclass(frozen=True)
class Scope:
    """What the figures cover: every district of the portal, a region (province, city, town), a whole district,
    a station with its rooms and points, or one site. A county-level region with a district is that district's
    scope (`for_region` returns it), so a district's figures have one key and one page."""

    kind: str
    district: District | None
    site: Site | None = None
    region: Region | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(ScopeKind.ALL, None)

    @classmethod
    def for_region(cls, region: Region) -> Scope:
        district = getattr(region, "district", None) if region.level == RegionLevel.COUNTY else None
        if district is not None:
            district.region = region  # the same row, with the parents already loaded (breadcrumbs)
            return cls.for_district(district)
        return cls(ScopeKind.REGION, None, None, region)

    @classmethod
    def for_district(cls, district: District) -> Scope:
        return cls(ScopeKind.DISTRICT, district)

    @classmethod
    def for_station(cls, station: Site) -> Scope:
        return cls(ScopeKind.STATION, station.district, station)

    @classmethod
    def for_site(cls, site: Site) -> Scope:
        return cls(ScopeKind.SITE, site.district, site)

    @property
    def key(self) -> str:
        if self.region is not None:
            return f"{self.kind}:{self.region.key}"
        if self.site is not None:
            return f"{self.kind}:{self.site.slug}"
        return f"{self.kind}:{self.district.slug if self.district else 'all'}"

    @property
    def name(self) -> str:
        """The place's own name (a choice's label)."""
        if self.site is not None:
            return self.site.name
        if self.region is not None:
            return self.region.name
        return self.district.name if self.district else str(_("Every region"))

    @property
    def label(self) -> str:
        if self.kind == ScopeKind.STATION:
            return str(_("%(station)s with its rooms and points") % {"station": self.site})
        return self.name

    @property
    def children_by(self) -> str | None:
        """The breakdown that goes one level down: provinces under everything (districts when some district has
        no region yet), cities under a province, districts under a city, stations under a district or a town."""
        if self.kind == ScopeKind.ALL:
            return "district" if District.objects.filter(region__isnull=True).exists() else "province"
        if self.kind == ScopeKind.REGION:
            assert self.region is not None
            below: dict[str, str] = {RegionLevel.PROVINCE: "city", RegionLevel.CITY: "district"}
            return below.get(self.region.level, "station")
        if self.kind == ScopeKind.DISTRICT:
            return "station"
        return None

    def sites(self) -> QuerySet[Site]:
        if self.kind == ScopeKind.ALL:
            return Site.objects.all()
        if self.kind == ScopeKind.REGION:
            # Joins of known depth through indexed foreign keys (the region levels are strict).
            region = self.region
            assert region is not None
            if region.level == RegionLevel.PROVINCE:
                return Site.objects.filter(district__region__parent__parent=region)
            if region.level == RegionLevel.CITY:
                return Site.objects.filter(district__region__parent=region)
            if region.level == RegionLevel.COUNTY:
                return Site.objects.filter(district__region=region)
            return Site.objects.filter(district__region=region.parent_id, town=region.name)
        if self.kind == ScopeKind.DISTRICT:
            return Site.objects.filter(district=self.district)
        # A station's or a site's scope always names its site (for_station, for_site).
        assert self.site is not None
        if self.kind == ScopeKind.STATION:
            return Site.objects.under_station(self.site)
        return Site.objects.filter(pk=self.site.pk)


@dataclass(frozen=True)
class Period:
    """Local calendar days from `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def months(cls, year: int, first_month: int, last_month: int) -> Period:
        last_day = calendar.monthrange(year, last_month)[1]
        return cls(dt.date(year, first_month, 1), dt.date(year, last_month, last_day))

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> Period:
        return cls(first, last)

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period ends on or after its first day")

    @property
    def start(self) -> dt.datetime:
        """The first instant of the period (local midnight)."""
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=LOCAL_TZ)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=LOCAL_TZ)

    @property
    def is_whole_months(self) -> bool:
        return self.first.day == 1 and (self.last + dt.timedelta(days=1)).day == 1

    def month_starts(self) -> list[dt.date]:
        months, month = [], self.first.replace(day=1)
        while month <= self.last:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months

    @property
    def label(self) -> str:
        if self.is_whole_months and self.first.year == self.last.year:
            values = {"year": self.first.year, "first": self.first.month, "last": self.last.month}
            if self.first.month == 1 and self.last.month == 12:
                return str(_("year %(year)s") % values)
            if self.first.month == self.last.month:
                return str(_("month %(first)s of %(year)s") % values)
            return str(_("months %(first)s–%(last)s of %(year)s") % values)
        return str(_("%(first)s to %(last)s") % {"first": self.first.isoformat(), "last": self.last.isoformat()})

    @property
    def slug(self) -> str:
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


# --- the figures --------------------------------------------------------------------------------------------


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """One set of figures (for the whole scope, or for one group of a breakdown)."""

    shifts_held: int = 0
    offshift_events: int = 0
    visits: int = 0
    voters: int = 0
    opinions: int = 0
    not_accepted: int = 0
    accepted: int = 0
    referred: int = 0
    replied: int = 0
    resolved: int = 0
    resolved_explained: int = 0
    still_open: int = 0
    overdue: int = 0
    closed: int = 0
    rated: int = 0
    satisfied: int = 0
    due: int = 0
    on_time: int = 0
    median_days: float | None = None
    scheduled: int = 0
    present: int = 0
    absent: int = 0
    substituted: int = 0
    unmarked: int = 0
    # Activities registered besides receptions (stations.models.records.DeputyActivity), on deputies' tables.
    activities: int = 0
    absent_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def events_held(self) -> int:
        return self.shifts_held + self.offshift_events

    @property
    def resolved_solved(self) -> int:
        return self.resolved - self.resolved_explained

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self.resolved, self.accepted)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.on_time, self.due)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.rated)

    @property
    def marked(self) -> int:
        return self.present + self.absent + self.substituted

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.present, self.marked)

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name.startswith("absent_") and name != "absent_by_reason":
                self.absent_by_reason[name.removeprefix("absent_")] = value or 0
            else:
                setattr(self, name, value if value is not None or name == "median_days" else 0)


# What each breakdown groups by, for each kind of record. A breakdown only computes the families of figures
# that make sense for it (visits have no handling body, duties no category).


def _station_of(site_path: str) -> Coalesce:
    # Rooms sit under a station, points under a station or a room: the hierarchy is at most three deep.
    return Coalesce(
        F(f"{site_path}__parent__parent"),
        F(f"{site_path}__parent"),
        F(site_path),
        output_field=models.BigIntegerField(),
    )


def _month(field_name: str) -> LocalMonth:
    return LocalMonth(field_name)


GROUPS: dict[str, dict[str, Any]] = {
    "month": {
        "shifts": _month("start"),
        "visits": _month("occurred_at"),
        "opinions": _month("registered_at"),
        "duties": _month("shift__start"),
    },
    "station": {
        "shifts": _station_of("roster__site"),
        "visits": _station_of("site"),
        "opinions": _station_of("site"),
        "duties": _station_of("shift__roster__site"),
    },
    "site": {
        "shifts": F("roster__site"),
        "visits": F("site"),
        "opinions": F("site"),
        "duties": F("shift__roster__site"),
    },
    # One level down from a region (issue 15): grouped through the site's district and its region chain.
    "district": {
        "shifts": F("roster__site__district"),
        "visits": F("site__district"),
        "opinions": F("site__district"),
        "duties": F("shift__roster__site__district"),
    },
    "city": {
        "shifts": F("roster__site__district__region__parent"),
        "visits": F("site__district__region__parent"),
        "opinions": F("site__district__region__parent"),
        "duties": F("shift__roster__site__district__region__parent"),
    },
    "province": {
        "shifts": F("roster__site__district__region__parent__parent"),
        "visits": F("site__district__region__parent__parent"),
        "opinions": F("site__district__region__parent__parent"),
        "duties": F("shift__roster__site__district__region__parent__parent"),
    },
    "category": {"visits": F("category"), "opinions": F("category")},
    # An opinion's channel is that of the visit it was raised at; one sent through the online station is online.
    "channel": {"visits": F("channel"), "opinions": Coalesce(F("visit__channel"), Value(Channel.ONLINE))},
    "body": {"opinions": F("handling_body")},
    # A deputy with mandates at several levels counts under each of them.
    "level": {"duties": F("deputy__mandates__level")},
}
FAMILIES_FOR_HEADLINE = ("shifts", "visits", "opinions", "duties")


def _site_ids(scope: Scope) -> QuerySet[Site, Any]:
    return scope.sites().values("pk")


def _in_scope(scope: Scope | None, site_path: str) -> Q:
    """Rows whose site (reached by `site_path`) is in the scope; None is every district the portal holds (the
    public page's all-districts figures, grouped by district and by station in one query each)."""
    if scope is None:
        return Q()
    if scope.kind == ScopeKind.DISTRICT:
        # A join on the site's district lets the planner start from the district's sites and use the per-site
        # indexes of visits and opinions, like a station's scope.
        return Q(**{f"{site_path}__district": scope.district})
    if scope.kind == ScopeKind.STATION:
        assert scope.site is not None  # a station's scope always names it (Scope.for_station)
        return Q(**{f"{site_path}__in": Site.objects.under_station(scope.site).order_by().values("pk")})
    return Q(**{f"{site_path}__in": _site_ids(scope)})


def shifts_in(scope: Scope | None, period: Period) -> QuerySet[DutyShift]:
    return DutyShift.objects.filter(_in_scope(scope, "roster__site"), start__gte=period.start, start__lt=period.end)


def held_shifts(scope: Scope | None, period: Period) -> QuerySet[DutyShift]:
    """Shifts that took place: a deputy on duty marked present or substituted (the substitute came), or a visit
    recorded for the shift."""
    present = Duty.objects.filter(shift=OuterRef("pk"), attendance__in=[Attendance.PRESENT, Attendance.SUBSTITUTED])
    visited = Visit.objects.filter(shift=OuterRef("pk"), archived_at__isnull=True)
    return shifts_in(scope, period).filter(Q(Exists(present)) | Q(Exists(visited)))


def visits_in(scope: Scope | None, period: Period) -> QuerySet[Visit]:
    return Visit.objects.filter(
        _in_scope(scope, "site"), archived_at__isnull=True, occurred_at__gte=period.start, occurred_at__lt=period.end
    )


def without_archived_visits(opinions: QuerySet[Opinion]) -> QuerySet[Opinion]:
    # NOT EXISTS, not NOT IN: PostgreSQL plans a NOT IN (subquery) as a filter over every row it reads, which
    # at province scale turned a district's opinions away from the per-site index into a scan of the whole
    # province's year (456,000 rows read to keep 4,600). An anti-join on the visit's primary key (through the
    # partial index of archived visits) keeps the per-site index. Opinions without a visit are kept.
    archived = Visit.objects.filter(pk=OuterRef("visit_id"), archived_at__isnull=False)
    return opinions.filter(~Exists(archived))


def opinions_in(scope: Scope | None, period: Period) -> QuerySet[Opinion]:
    return without_archived_visits(
        Opinion.objects.filter(_in_scope(scope, "site"), registered_at__gte=period.start, registered_at__lt=period.end)
    )


def duties_in(scope: Scope | None, period: Period) -> QuerySet[Duty]:
    return Duty.objects.filter(
        _in_scope(scope, "shift__roster__site"),
        shift__start__gte=period.start,
        shift__start__lt=period.end,
        shift__cancelled=False,
    )


def _visit_aggregates() -> dict[str, Any]:
    # Visits outside any shift are events once per site and local day: count the distinct site-day keys.
    day_key = SiteDay("site_id", "occurred_at")
    return {
        "visits": Count("pk"),
        "voters": Coalesce(Sum("people"), 0),
        "offshift_events": Count(day_key, distinct=True, filter=Q(shift__isnull=True)),
    }


def opinion_aggregates(today: dt.date) -> dict[str, Any]:
    aggregates = timeless_opinion_aggregates()
    del aggregates["due_replied"]
    aggregates.update(pending_opinion_aggregates(today))
    aggregates["due"] = Count(
        "pk", filter=Q(deadline__isnull=False) & (Q(replied_at__isnull=False) | Q(deadline__lt=today))
    )
    del aggregates["due_pending"]
    return aggregates


# The figures that change as days pass without any write: an opinion counts in them once its deadline has passed
# (deadline < today) and as long as it is what the figure names. The summary cells keep, per deadline, how many
# opinions are each of these, and add up those whose deadline is before the day asked about.
PENDING_BY_DEADLINE: dict[str, Q] = {
    # Overdue: still with the handling body (referred, no reply yet).
    "overdue": Q(state=State.REFERRED),
    # The part of "due" not yet answered.
    "due_pending": Q(replied_at__isnull=True),
}


def pending_opinion_aggregates(today: dt.date) -> dict[str, Any]:
    return {
        name: Count("pk", filter=Q(deadline__isnull=False, deadline__lt=today) & which)
        for name, which in PENDING_BY_DEADLINE.items()
    }


def timeless_opinion_aggregates() -> dict[str, Any]:
    """Opinion figures that depend on the records only, not on today's date (the summary cells keep these)."""
    replied_by_deadline: LessThanOrEqual[Any] = LessThanOrEqual(LocalDate("replied_at"), F("deadline"))
    return {
        "opinions": Count("pk"),
        "not_accepted": Count("pk", filter=Q(state=State.NOT_ACCEPTED)),
        "accepted": Count("pk", filter=Q(state__in=ACCEPTED_STATES)),
        "referred": Count("pk", filter=Q(state__in=REFERRED_STATES)),
        "replied": Count("pk", filter=Q(state__in=REPLIED_STATES)),
        "resolved": Count("pk", filter=Q(state__in=RESOLVED_STATES)),
        # A closed opinion is counted by its last answer (see with_last_answer); the rest of "resolved" was
        # solved (Figures.resolved_solved), so the two parts always add up to it.
        "resolved_explained": Count(
            "pk", filter=Q(state=State.EXPLAINED) | Q(state=State.CLOSED, _last_answer=OpinionAction.EXPLAIN)
        ),
        "still_open": Count("pk", filter=Q(state__in=OPEN_STATES)),
        "closed": Count("pk", filter=Q(state=State.CLOSED)),
        # The voter's own answer (tracking page) when given, otherwise what staff recorded on closing.
        "rated": Count("pk", filter=~Q(voter_satisfaction="") | Q(state=State.CLOSED)),
        "satisfied": Count(
            "pk",
            filter=Q(voter_satisfaction__in=SATISFIED_VOTES)
            | Q(voter_satisfaction="", state=State.CLOSED, satisfaction__in=SATISFIED_VOTES),
        ),
        "due_replied": Count("pk", filter=Q(deadline__isnull=False, replied_at__isnull=False)),
        "on_time": Count("pk", filter=Q(replied_at__isnull=False, deadline__isnull=False) & Q(replied_by_deadline)),
    }


def with_last_answer(opinions: QuerySet[Opinion]) -> QuerySet[Opinion]:
    """Each opinion with its last answer (resolve or explain), by the date the step happened: a closed opinion
    counts under the answer it was closed on."""
    last = (
        OpinionEvent.objects.filter(opinion=OuterRef("pk"), action__in=[OpinionAction.RESOLVE, OpinionAction.EXPLAIN])
        .order_by("-at", "-pk")
        .values("action")[:1]
    )
    return opinions.annotate(_last_answer=Subquery(last))


def duty_aggregates(*, distinct: bool = False) -> dict[str, Any]:
    # `distinct` when a join (a deputy's several mandates) could repeat a duty within one group.
    aggregates = {
        "scheduled": Count("pk", distinct=distinct),
        "present": Count("pk", distinct=distinct, filter=Q(attendance=Attendance.PRESENT)),
        "absent": Count("pk", distinct=distinct, filter=Q(attendance=Attendance.ABSENT)),
        "substituted": Count("pk", distinct=distinct, filter=Q(attendance=Attendance.SUBSTITUTED)),
        "unmarked": Count("pk", distinct=distinct, filter=Q(attendance=Attendance.UNMARKED)),
    }
    for reason in AbsenceReason:
        aggregates[f"absent_{reason.value}"] = Count(
            "pk", distinct=distinct, filter=Q(attendance=Attendance.ABSENT, absence_reason=reason.value)
        )
    return aggregates


def _grouped(qs: QuerySet[Any], group: Any, aggregates: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """{group key: {name: value}}; a single group keyed None when `group` is None."""
    if group is None:
        return {None: qs.aggregate(**aggregates)}
    rows = qs.annotate(_group=group).values("_group").annotate(**aggregates).order_by()
    return {_normalise_key(row.pop("_group")): row for row in rows}


def _normalise_key(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return local_date(value) if timezone.is_aware(value) else value.date()
    return value


def median_days(qs: QuerySet[Opinion], group: Any = None) -> dict[Any, float | None]:
    """Median days from registration to reply, per group, computed by the database.

    A window numbers the replied opinions of each group by their time to reply; only the one or two middle
    rows of each group come back (never every row), and the two middle values of an even group are averaged.
    """
    partition = [group] if group is not None else None
    waited = DaysBetween("replied_at", "registered_at")
    rows = (
        qs.filter(replied_at__isnull=False)
        .annotate(
            _group=group if group is not None else Value(0),
            _waited=waited,
            _rank=Window(RowNumber(), partition_by=partition, order_by=[waited.asc(), F("pk").asc()]),
            _count=Window(Count("pk"), partition_by=partition),
        )
        .filter(_rank__gte=(F("_count") + 1) / 2, _rank__lte=(F("_count") + 2) / 2)
        .values_list("_group", "_waited")
        .order_by()
    )
    middles: dict[Any, list[float]] = {}
    for key, waited_days in rows:
        middles.setdefault(_normalise_key(key) if group is not None else None, []).append(waited_days)
    return {key: sum(values) / len(values) for key, values in middles.items()}


def _compute(
    scope: Scope | None, period: Period, group_name: str | None, today: dt.date | None = None
) -> dict[Any, Figures]:
    today = today or local_today()
    groups = GROUPS[group_name] if group_name else dict.fromkeys(FAMILIES_FOR_HEADLINE)
    results: dict[Any, Figures] = {}

    def merge(values_by_key: dict[Any, dict[str, Any]]) -> None:
        for key, values in values_by_key.items():
            results.setdefault(key, Figures()).update(values)

    if "shifts" in groups:
        merge(_grouped(held_shifts(scope, period), groups["shifts"], {"shifts_held": Count("pk")}))
    if "visits" in groups:
        merge(_grouped(visits_in(scope, period), groups["visits"], _visit_aggregates()))
    if "opinions" in groups:
        opinions = opinions_in(scope, period)
        merge(_grouped(with_last_answer(opinions), groups["opinions"], opinion_aggregates(today)))
        merge({key: {"median_days": days} for key, days in median_days(opinions, groups["opinions"]).items()})
    if "duties" in groups:
        duties = duties_in(scope, period)
        if group_name == "level":
            # The filter and the grouping share one join, so only mandates current in the period count.
            duties = duties.filter(
                Q(deputy__mandates__term_end__isnull=True) | Q(deputy__mandates__term_end__gte=period.first),
                deputy__mandates__term_start__lte=period.last,
            )
        merge(_grouped(duties, groups["duties"], duty_aggregates(distinct=group_name == "level")))
    return results


def _figures(
    scope: Scope | None, period: Period, group_name: str | None, today: dt.date | None, live: bool
) -> dict[Any, Figures]:
    """From the summary cells where they cover the question (stations/selectors/cells.py), else from the records.
    `live` forces the records: for the tests and `manage.py check_figures`, which compare the two."""
    if not live:
        from stations.selectors import cells

        if cells.uses_cells(scope, period, group_name):
            return cells.figures_from_cells(scope, period, group_name, today or local_today())
    return _compute(scope, period, group_name, today)


def headline(*, scope: Scope | None, period: Period, today: dt.date | None = None, live: bool = False) -> Figures:
    """The headline figures of a scope (None: everything the portal holds) for a period."""
    return _figures(scope, period, None, today, live).get(None, Figures())


@dataclass
class Row:
    key: Any
    label: str
    figures: Figures
    # Where the row leads one level down: a region's key (code or id) for provinces, cities and districts, a
    # site's slug for stations; the views make the links.
    ref: str | None = None


def breakdown(*, scope: Scope, period: Period, by: str, today: dt.date | None = None, live: bool = False) -> list[Row]:
    """Figures per month, province/city/district/station/site, category, channel, handling body or deputy level,
    every group listed. A fixed number of queries whatever the number of groups (one grouped query per family
    of records, one for the labels)."""
    found = _figures(scope, period, by, today, live)
    if by in CHILD_LABELS:
        return [Row(key, label, found.get(key, Figures()), ref) for key, label, ref in CHILD_LABELS[by](scope)]
    return [Row(key, label, found.get(key, Figures())) for key, label in _group_labels(by, scope, period, found)]


def _region_ref(code: str | None, pk: int | None) -> str | None:
    return code or (str(pk) if pk is not None else None)


def _province_labels(scope: Scope) -> list[tuple[Any, str, str | None]]:
    rows = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code", "name").values_list("pk", "name", "code")
    return [(pk, name, _region_ref(code, pk)) for pk, name, code in rows]


def _city_labels(scope: Scope) -> list[tuple[Any, str, str | None]]:
    rows = (
        Region.objects.filter(level=RegionLevel.CITY, parent=scope.region)
        .order_by("code", "name")
        .values_list("pk", "name", "code")
    )
    return [(pk, name, _region_ref(code, pk)) for pk, name, code in rows]


def _district_labels(scope: Scope) -> list[tuple[Any, str, str | None]]:
    # Every district of the region is listed, with or without records yet.
    districts = District.objects.under_region(scope.region) if scope.region is not None else District.objects.all()
    rows = districts.order_by("region__code", "name").values_list("pk", "name", "region__code", "region_id")
    return [(pk, name, _region_ref(code, region_id)) for pk, name, code, region_id in rows]


def _station_labels(scope: Scope) -> list[tuple[Any, str, str | None]]:
    rows = scope.sites().filter(kind=SiteKind.STATION).order_by(*network_ordering()).values_list("pk", "name", "slug")
    return list(rows)


CHILD_LABELS = {
    "province": _province_labels,
    "city": _city_labels,
    "district": _district_labels,
    "station": _station_labels,
}


def _group_labels(by: str, scope: Scope, period: Period, found: dict[Any, Figures]) -> Iterable[tuple[Any, str]]:
    if by == "month":
        for month in period.month_starts():
            yield month, str(_("%(year)s-%(month)02d") % {"year": month.year, "month": month.month})
    elif by == "site":
        yield from sites_in_tree_order(scope.sites())
    elif by == "category":
        yield from ((choice.value, str(choice.label)) for choice in Category)
    elif by == "channel":
        yield from ((choice.value, str(choice.label)) for choice in Channel)
    elif by == "body":
        keys = [key for key in found if key is not None]
        yield from HandlingBody.objects.filter(pk__in=keys).order_by("name").values_list("pk", "name")
    elif by == "level":
        yield from ((choice.value, str(choice.label)) for choice in Level)
    else:
        raise ValueError(f"unknown breakdown {by!r}")


def default_scope() -> Scope:
    """Where the figures open without `?region=`: a portal's one district exactly as before regions existed; with
    several districts the smallest region holding them all, or every region when they span provinces or some
    district has no region yet. At most three small queries, none over sites or records."""
    districts = list(District.objects.select_related("region__parent__parent").order_by("pk")[:2])
    if len(districts) == 1:
        return Scope.for_district(districts[0])
    if not districts or District.objects.filter(region__isnull=True).exists():
        return Scope.everything()
    chains = set(District.objects.values_list("region__parent__parent", "region__parent").distinct())
    provinces = {province for province, _city in chains}
    cities = {city for _province, city in chains}
    if len(provinces) != 1 or None in provinces:
        return Scope.everything()
    top = provinces.pop() if len(cities) > 1 else cities.pop()
    return Scope.for_region(Region.objects.select_related("parent").get(pk=top or 0))


def region_trail(scope: Scope) -> list[Region]:
    """The regions above and at the scope's place, from the province down (breadcrumbs); reads `parent` links,
    so select_related them (a district's `region__parent__parent`, a region's `parent__parent__parent`)."""
    region = scope.region if scope.region is not None else (scope.district.region if scope.district else None)
    if region is None:
        return []
    return [*region.ancestors(), region]


def sites_in_tree_order(sites: QuerySet[Site]) -> list[tuple[int, str]]:
    """A station first, then each room followed by its points, then the station's own points."""
    rows = list(sites.values_list("pk", "name", "kind", "parent_id"))
    children: dict[int | None, list[tuple[int, str, str, int | None]]] = {}
    ids = {row[0] for row in rows}
    for row in rows:
        parent = row[3] if row[3] in ids else None
        children.setdefault(parent, []).append(row)
    ordered: list[tuple[int, str]] = []

    def walk(parent: int | None) -> None:
        for pk, name, _kind, _parent in sorted(children.get(parent, []), key=lambda r: (kind_rank(r[2]), r[1])):
            ordered.append((pk, name))
            walk(pk)

    walk(None)
    return ordered


def stations_figures(*, district: District, period: Period, today: dt.date | None = None) -> list[Row]:
    """One row per station of the district (with its rooms and points): a fixed number of queries."""
    return breakdown(scope=Scope.for_district(district), period=period, by="station", today=today)


# --- a deputy's performance record and the district's attendance table -------------------------------------


@dataclass
class DeputyRecord:
    deputy: Deputy
    year: int
    figures: Figures
    substitutions_served: int
    opinion_states: list[tuple[str, str, int]]
    duties: list[Duty]
    opinions: list[Opinion]


def deputy_record(*, deputy: Deputy, year: int, today: dt.date | None = None) -> DeputyRecord:
    """履职档案: shifts, attendance, visits received, voters met, opinions raised at the deputy's receptions."""
    today = today or local_today()
    period = Period.year(year)
    figures = Figures()
    duties = Duty.objects.filter(
        deputy=deputy, shift__start__gte=period.start, shift__start__lt=period.end, shift__cancelled=False
    )
    figures.update(duties.aggregate(**duty_aggregates()))
    visits = Visit.objects.filter(
        visit_deputies__deputy=deputy,
        archived_at__isnull=True,
        occurred_at__gte=period.start,
        occurred_at__lt=period.end,
    )
    figures.update(visits.aggregate(visits=Count("pk"), voters=Coalesce(Sum("people"), 0)))
    opinions = Opinion.objects.filter(
        visit__visit_deputies__deputy=deputy,
        visit__archived_at__isnull=True,
        registered_at__gte=period.start,
        registered_at__lt=period.end,
    )
    figures.update(with_last_answer(opinions).aggregate(**opinion_aggregates(today)))
    figures.median_days = median_days(opinions).get(None)
    by_state = dict(opinions.values_list("state").annotate(n=Count("pk")).order_by())
    return DeputyRecord(
        deputy=deputy,
        year=year,
        figures=figures,
        substitutions_served=Duty.objects.filter(
            substitute=deputy,
            shift__start__gte=period.start,
            shift__start__lt=period.end,
            shift__cancelled=False,
        ).count(),
        opinion_states=[(state.value, str(state.label), by_state.get(state.value, 0)) for state in State],
        duties=list(duties.select_related("shift__roster__site", "substitute").order_by("shift__start")),
        opinions=list(opinions.select_related("site", "handling_body").order_by("registered_at", "pk")),
    )


ATTENDANCE_SORTS = (
    "name",
    "scheduled",
    "present",
    "absent",
    "substituted",
    "unmarked",
    "rate",
    "visits",
    "voters",
    "activities",
)


@dataclass
class AttendanceRow:
    deputy: Deputy
    figures: Figures

    @property
    def sort_values(self) -> dict[str, Any]:
        f = self.figures
        return {
            "scheduled": f.scheduled,
            "present": f.present,
            "absent": f.absent,
            "substituted": f.substituted,
            "unmarked": f.unmarked,
            "rate": f.attendance_rate,
            "visits": f.visits,
            "voters": f.voters,
            "activities": f.activities,
        }


def deputy_attendance(
    *, year: int, sort: str = "name", district: District | None = None, deputies: QuerySet[Deputy] | None = None
) -> list[AttendanceRow]:
    """Every deputy with their attendance, visits received and voters met in a year.

    Two grouped queries (duties by deputy, presences at visits by deputy) besides the deputies themselves,
    whatever their number. Counting both in one query would multiply duties by visits (two joins) or need
    a correlated subquery per deputy that PostgreSQL runs once per joined row: seconds for a district.
    `deputies` limits the table to an administrator's scope (policy.visible_deputy_records).
    """
    period = Period.year(year)
    if deputies is None:
        deputies = Deputy.objects.all()
    if district is not None:
        deputies = deputies.filter(district=district)
    duties = Duty.objects.filter(
        deputy__in=deputies, shift__start__gte=period.start, shift__start__lt=period.end, shift__cancelled=False
    )
    by_deputy = {row.pop("deputy"): row for row in duties.values("deputy").annotate(**duty_aggregates()).order_by()}
    presences = VisitDeputy.objects.filter(
        deputy__in=deputies,
        visit__archived_at__isnull=True,
        visit__occurred_at__gte=period.start,
        visit__occurred_at__lt=period.end,
    )
    visits = {
        row.pop("deputy"): row
        for row in presences.values("deputy")
        .annotate(visits=Count("visit", distinct=True), voters=Coalesce(Sum("visit__people"), 0))
        .order_by()
    }
    # Activities besides receptions (issue 16) are few per deputy: counted in the deputies' own query, through
    # the (deputy, held_on) index, rather than by one more query.
    activities = (
        DeputyActivity.objects.filter(deputy=OuterRef("pk"), held_on__gte=period.first, held_on__lte=period.last)
        .order_by()
        .values("deputy")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = []
    listed = deputies.annotate(activity_count=Coalesce(Subquery(activities), 0))
    for deputy in listed.order_by("name", "pk").prefetch_related("mandates", "assignments__site"):
        figures = Figures()
        figures.update(by_deputy.get(deputy.pk, {}))
        figures.update(visits.get(deputy.pk, {}))
        figures.activities = getattr(deputy, "activity_count", 0)  # annotated above
        rows.append(AttendanceRow(deputy, figures))
    column = sort.removeprefix("-")
    if column in ATTENDANCE_SORTS and column != "name":
        # Deputies come from the database in name order; a stable sort keeps it among equals, and a deputy
        # without any marked duty (no rate) comes last either way.
        present = [r for r in rows if r.sort_values[column] is not None]
        missing = [r for r in rows if r.sort_values[column] is None]
        present.sort(key=lambda r: r.sort_values[column], reverse=sort.startswith("-"))
        rows = present + missing
    elif sort == "-name":
        rows.reverse()
    return rows
