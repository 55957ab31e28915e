"""Roster look-ups: who is busy when (conflicts), the staff month grid, and wording shared by pages and messages."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import formats

from stations.clock import local_date, local_time
from stations.models import Attendance, Deputy, Duty, DutyShift, Site, SiteKind
from stations.models.rosters import DutyShiftQuerySet, month_day
from stations.planning.rosters import Fairness, assess_fairness

# Deputies who did not come (absent, or replaced by a substitute) are not busy at that time.
NOT_THERE = (Attendance.ABSENT, Attendance.SUBSTITUTED)


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    """`2027年12月20日 09:00–11:30` in Chinese, `Dec. 20, 2027 09:00–11:30` in English."""
    local_start, local_end = local_time(start), local_time(end)
    day = formats.date_format(local_start.date(), "DATE_FORMAT")
    return f"{day} {local_start:%H:%M}–{local_end:%H:%M}"


def format_day(moment: dt.datetime) -> str:
    """`12月20日` / `December 20`: short enough for "moved from … to …"."""
    return month_day(local_date(moment))


@dataclass(frozen=True)
class Busy:
    """A deputy is on `shift` (on duty, or standing in as a substitute)."""

    deputy_id: int
    shift: DutyShift


def busy_between(
    *, deputy_ids: Iterable[int], start: dt.datetime, end: dt.datetime, exclude_shift_ids: Iterable[int] = ()
) -> list[Busy]:
    """Every shift, at any site, on which one of the deputies is busy at a time overlapping [start, end)."""
    ids = set(deputy_ids)
    if not ids:
        return []
    duties = (
        Duty.objects.filter(shift__cancelled=False, shift__start__lt=end, shift__end__gt=start)
        .filter(Q(deputy_id__in=ids) | Q(substitute_id__in=ids))
        .exclude(shift_id__in=list(exclude_shift_ids))
        .select_related("shift__roster__site")
        .order_by("shift__start", "pk")
    )
    found = []
    for duty in duties:
        if duty.deputy_id in ids and duty.attendance not in NOT_THERE:
            found.append(Busy(duty.deputy_id, duty.shift))
        if duty.substitute_id in ids and duty.attendance == Attendance.SUBSTITUTED:
            found.append(Busy(duty.substitute_id, duty.shift))
    return found


def busy_map(*, deputy_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> dict[int, list[DutyShift]]:
    """The same for a whole period at once (roster generation reads a year in one query)."""
    result: dict[int, list[DutyShift]] = defaultdict(list)
    for busy in busy_between(deputy_ids=deputy_ids, start=start, end=end):
        result[busy.deputy_id].append(busy.shift)
    return result


def shifts_with_duties(queryset: DutyShiftQuerySet) -> DutyShiftQuerySet:
    """Shifts with their site (and its parents, for grouping by station) and deputies, in a fixed number of
    queries however many shifts there are."""
    duties = Duty.objects.select_related("deputy", "substitute").order_by("deputy__name", "pk")
    return queryset.select_related("roster__site__parent__parent", "roster__site__station").prefetch_related(
        Prefetch("duties", queryset=duties),
        Prefetch("duties__deputy__mandates"),
    )


@dataclass(frozen=True)
class GridShift:
    """One reception in a station's year grid: what its cell shows."""

    pk: int
    day: int  # the local day of the month it is held on
    duties: int  # deputies on it, whatever their attendance
    was_moved: bool


def year_grid_cells(*, sites: Iterable[Site], year: int) -> dict[tuple[int, int], list[GridShift]]:
    """The cells of a station's year grid: (site id, local month) → its receptions in order, from one grouped
    query of plain values. A station's year is a few hundred receptions; as model instances with their sites and
    deputies they cost more than the rest of the page together (issue 15: 1,400 objects, 50 ms a request)."""
    rows = (
        DutyShift.objects.filter(roster__site__in=list(sites), roster__year=year)
        .values_list("pk", "roster__site_id", "start", "original_start")
        .annotate(duty_count=Count("duties"))
        .order_by("start", "pk")
    )
    cells: dict[tuple[int, int], list[GridShift]] = defaultdict(list)
    for pk, site_id, start, original_start, duty_count in rows:
        local = local_time(start)
        moved = original_start is not None and original_start != start
        cells[(site_id, local.month)].append(GridShift(pk, local.day, duty_count, moved))
    return cells


def month_shifts(*, sites: Iterable[Site], year: int, month: int) -> QuerySet[DutyShift]:
    """The receptions of a roster year held in one local month, with their deputies in name order: the month
    under the year grid (the grid puts them in the same month)."""
    duties = Duty.objects.select_related("deputy").order_by("deputy__name", "pk")
    return (
        DutyShift.objects.filter(roster__site__in=list(sites), roster__year=year, start__month=month)
        .select_related("roster")
        .prefetch_related(Prefetch("duties", queryset=duties))
        .order_by("start", "pk")
    )


def deputies_for_station(station: Site) -> QuerySet[Deputy]:
    """Deputies assigned to any site of the station: the people a head may put on its shifts."""
    return (
        Deputy.objects.active()
        .filter(assignments__site__in=Site.objects.under_station(station))
        .distinct()
        .order_by("name", "pk")
    )


def with_children(site: Site) -> QuerySet[Site]:
    """The site and every active room and point below it (the hierarchy is at most three deep)."""
    if site.kind == SiteKind.STATION:
        return Site.objects.active().under_station(site)
    return Site.objects.active().filter(Q(pk=site.pk) | Q(parent_id=site.pk))


@dataclass(frozen=True)
class DeputyLoad:
    deputy: Deputy
    duties: int
    short: bool
    over: bool


@dataclass(frozen=True)
class YearFairness:
    """A station's year as the head checks it before publishing: every deputy who may serve, with their duties."""

    rows: list[DeputyLoad]
    fairness: Fairness

    @property
    def short(self) -> list[DeputyLoad]:
        return [row for row in self.rows if row.short]

    @property
    def over(self) -> list[DeputyLoad]:
        return [row for row in self.rows if row.over]


def station_year_fairness(*, station: Site, year: int) -> YearFairness:
    """Duties per deputy over every site of the station in `year` (drafts included, cancelled receptions not),
    in two queries; deputies of the station with no duty count as 0."""
    planned = Q(
        duties__shift__roster__site__in=Site.objects.under_station(station),
        duties__shift__roster__year=year,
        duties__shift__cancelled=False,
    )
    counted = (
        Deputy.objects.filter(pk__in=deputies_for_station(station).values("pk"))
        .annotate(year_duties=Count("duties", filter=planned))
        .order_by("name", "pk")
    )
    deputies: list[tuple[Deputy, int]] = [(deputy, getattr(deputy, "year_duties", 0)) for deputy in counted]
    fairness = assess_fairness({deputy.pk: count for deputy, count in deputies})
    rows = [
        DeputyLoad(deputy, count, deputy.pk in fairness.short, deputy.pk in fairness.over) for deputy, count in deputies
    ]
    return YearFairness(rows=rows, fairness=fairness)
