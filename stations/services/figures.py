"""Keeping the summary cells of the figures exact (issue 15): recompute, don't increment.

A service that changes anything a figure depends on names the district-months it touched and, for each, the
families of figures its write can change (`figures_touch(keys=...)` with `Touch(district, month, family)`, from
the helpers below for a visit, an opinion, a shift); at the end of the outermost service, or of an import batch or
the demo loader (`figures_deferred()`), each touched district-month is recomputed once from the records
(stations.selectors.cells.cell_values, the live definitions), for the families touched only, and only those
families' fields of its cells are replaced, inside the same transaction. Cells therefore equal the live figures
by construction, whatever the order of the writes; nothing is ever added to or subtracted from a cell.

Families (stats.FAMILIES_FOR_HEADLINE; their fields: cells.FAMILY_FIELDS) and what each is computed from:
- "visits": visits (not archived): their month, site, people, category, channel, whether they have a shift;
- "shifts": shifts held: a shift with a duty marked present or substituted, or a visit (not archived) recorded
  for it; counted in the shift's month;
- "duties": duties of shifts not cancelled, by attendance and absence reason, in the shift's month;
- "opinions": opinions (not of an archived visit): state, dates, deadline, handling body, votes, last answer,
  category, and the channel of the visit they were raised at.
A write names every family whose inputs it changes: a visit its month's visits, its shift's month's shifts and,
once it has opinions, their months' opinions; an opinion's step its month's opinions; who is on a shift the
shift's month's duties; attendance and a moved shift the shift's month's duties and shifts. When in doubt (the
admin's saves and deletions, a site moved, a whole roster generated) a write names every family
(`touches(..., EVERY_FAMILY)`). tests/test_figure_cells.py checks every service's write against a full
recompute, and that leaving out any family a service names leaves a difference.

Why a lock first: under PostgreSQL's READ COMMITTED, two transactions writing visits of the same district-month
each see only their own uncommitted rows. If both aggregated without waiting, the one committing last would
replace the cells with figures missing the other's visit. So a recompute first takes a row lock on the
district-month's FigureMonth row (created if missing, INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR
UPDATE). The second writer waits there until the first commits; its aggregation and its reading of the cells
it keeps are new statements, whose snapshot (READ COMMITTED) then includes the first writer's committed rows and
cells as well as its own. The last to commit always computes from everything, whichever families each touched.
Locks are taken in (district, month) order, so two writers touching the same months cannot deadlock on them.
SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from stations import caching
from stations.clock import local_date
from stations.models import District, DutyShift, FigureCell, FigureMonth, Opinion, Site, Visit
from stations.selectors.cells import DIMENSIONS, FAMILY_FIELDS, FAMILY_PRESENCE, cell_values
from stations.selectors.stats import FAMILIES_FOR_HEADLINE, Period, Scope

MonthKey = tuple[int, dt.date]

SHIFTS, VISITS, OPINIONS, DUTIES = "shifts", "visits", "opinions", "duties"
EVERY_FAMILY: frozenset[str] = frozenset(FAMILIES_FOR_HEADLINE)
# Who is on a shift (assign, remove, swap, a substitute planned in advance): all are refused once attendance is
# marked, so they cannot make a shift held or not; attendance, and a shift moved to another day, can.
ROSTER = frozenset({DUTIES})
ATTENDANCE = frozenset({DUTIES, SHIFTS})


class Touch(NamedTuple):
    """A district-month whose figures of one family a write may have changed."""

    district: int
    month: dt.date
    family: str


_deferred: ContextVar[set[Touch] | None] = ContextVar("figures_deferred", default=None)


def touches(keys: Iterable[MonthKey], families: Iterable[str]) -> set[Touch]:
    """Each of the district-months `keys` for each of `families`."""
    chosen = frozenset(families)
    unknown = chosen - EVERY_FAMILY
    if unknown:
        raise ValueError(f"unknown families of figures: {sorted(unknown)}")
    return {Touch(district, month, family) for district, month in keys for family in chosen}


def every_family(found: Iterable[Touch]) -> set[Touch]:
    """The district-months of `found`, each for every family (a change whose effects are not worked out)."""
    return touches({(touch.district, touch.month) for touch in found}, EVERY_FAMILY)


def month_of(moment: dt.datetime) -> dt.date:
    return local_date(moment).replace(day=1)


def _district_of(site: Site | int) -> int:
    if isinstance(site, Site):
        return site.district_id
    return Site.objects.values_list("district_id", flat=True).get(pk=site)


def visit_keys(visit: Visit, *, with_opinions: bool = True) -> set[Touch]:
    """A visit counts in its month's visits; it can make its shift "held" (the shift is the visit's site's,
    stations.selectors.visits.shift_at); archiving it, or changing its channel, changes its opinions' figures
    (`with_opinions`: those already written; new ones name their own months)."""
    district = _district_of(visit.site)
    found = {Touch(district, month_of(visit.occurred_at), VISITS)}
    if visit.shift is not None:
        found.add(Touch(district, month_of(visit.shift.start), SHIFTS))
    if with_opinions and visit.pk is not None:
        for site_id, registered_at in Opinion.objects.filter(visit=visit).values_list("site_id", "registered_at"):
            found.add(Touch(_district_of(site_id), month_of(registered_at), OPINIONS))
    return found


def opinion_keys(opinion: Opinion) -> set[Touch]:
    return {Touch(_district_of(opinion.site), month_of(opinion.registered_at), OPINIONS)}


def shift_keys(shift: DutyShift, families: Iterable[str]) -> set[Touch]:
    """The shift's month, for `families`: ROSTER when only who is on it changes, ATTENDANCE when whether it was
    held may change too."""
    return touches({(_district_of(shift.roster.site), month_of(shift.start))}, families)


def keys_of(obj: object) -> set[Touch]:
    """The district-months a record counts in, for a change made outside the services (the admin saves models
    itself): before and after the change, the union is what to recompute, every family of them."""
    from stations.models import Duty, OpinionEvent, Roster

    if getattr(obj, "pk", None) is None:
        return set()
    found: set[Touch] = set()
    if isinstance(obj, Visit):
        found = visit_keys(obj)
    elif isinstance(obj, Opinion):
        found = opinion_keys(obj)
    elif isinstance(obj, OpinionEvent):
        found = opinion_keys(obj.opinion)
    elif isinstance(obj, DutyShift):
        found = shift_keys(obj, EVERY_FAMILY)
    elif isinstance(obj, Duty):
        found = shift_keys(obj.shift, EVERY_FAMILY)
    elif isinstance(obj, Roster):
        found = touches({(obj.site.district_id, month) for month in Period.year(obj.year).month_starts()}, EVERY_FAMILY)
    return every_family(found)


def site_move_keys(*, site: Site, district_id: int, parent_id: int | None = None) -> set[Touch]:
    """A site moving from its stored district to `district_id` moves all its records: every month of both, every
    family. One moving under another parent moves them to another station's cells: every month of its district."""
    if site.pk is None:
        return set()
    stored = Site.objects.filter(pk=site.pk).values_list("district_id", "parent_id").first()
    if stored is None or stored == (district_id, parent_id):
        return set()
    before = stored[0]
    months = FigureMonth.objects.filter(district_id__in=[before, district_id]).values_list("district_id", "month")
    keys = set(months) | {(before, m) for _d, m in months} | {(district_id, m) for _d, m in months}
    return touches(keys, EVERY_FAMILY)


def stored_keys_of(obj: object) -> set[Touch]:
    """`keys_of` the record as the database holds it now (before a change)."""
    pk = getattr(obj, "pk", None)
    if pk is None:
        return set()
    if isinstance(obj, Site):
        return site_move_keys(site=obj, district_id=obj.district_id, parent_id=obj.parent_id)
    stored = type(obj)._default_manager.filter(pk=pk).first()  # type: ignore[attr-defined]
    return keys_of(stored) if stored is not None else set()


def figures_touch(*, keys: Iterable[Touch]) -> None:
    """The families of figures of the district-months `keys` changed: recompute them now, or at the end of the
    batch being deferred."""
    pending = _deferred.get()
    if pending is not None:
        pending.update(keys)
        return
    recompute_touched(keys)


@contextmanager
def figures_deferred() -> Iterator[set[Touch]]:
    """Recompute every district-month touched inside the block once, at its end (an import, the demo loader, a
    roster generation), each for the union of the families touched in it; nested blocks leave it to the
    outermost. Nothing is recomputed if the block raises; a caller that rolls back clears the set it is given."""
    outer = _deferred.get()
    if outer is not None:
        yield outer
        return
    touched: set[Touch] = set()
    token = _deferred.set(touched)
    try:
        yield touched
    finally:
        _deferred.reset(token)
    recompute_touched(touched)


P = ParamSpec("P")
R = TypeVar("R")


def keeps_figures(func: Callable[P, R]) -> Callable[P, R]:
    """A service (under its transaction.atomic) whose nested services' touches are recomputed once, at its end."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with figures_deferred():
            return func(*args, **kwargs)

    return wrapper


def figures_recompute(*, keys: Iterable[MonthKey], families: Iterable[str] = EVERY_FAMILY) -> int:
    """Recompute the district-months `keys` (every family unless told): after rows were written without the
    services (the test factories), or to time a recompute."""
    return recompute_touched(touches(keys, families))


# No savepoint of its own: a recompute runs at the end of the write that touched the cells, whose transaction
# rolls back with it on any error (two queries fewer per write).
@transaction.atomic(savepoint=False)
def recompute_touched(found: Iterable[Touch]) -> int:
    """Replace, in the cells of each district-month touched, the fields of the families touched, from the
    records, under the district-month's lock (see above). The months of one district touched for the same
    families are aggregated together (cells.cell_values: 1 to 8 grouped queries), then the district-months'
    cells of the dimensions those families cover are read once and only those that differ are written. Returns
    the number of cells written (created, changed or deleted)."""
    wanted: dict[MonthKey, set[str]] = {}
    for district, month, family in found:
        if family not in EVERY_FAMILY:
            raise ValueError(f"unknown family of figures: {family!r}")
        wanted.setdefault((district, month), set()).add(family)
    if not wanted:
        return 0
    ordered = sorted(wanted)
    FigureMonth.objects.bulk_create(
        [FigureMonth(district_id=district, month=month) for district, month in ordered], ignore_conflicts=True
    )
    districts = {district for district, _month in ordered}
    months = {month for _district, month in ordered}
    # Lock before aggregating, in a fixed order.
    locked = FigureMonth.objects.select_for_update().order_by("district_id", "month")
    list(locked.filter(district_id__in=districts, month__in=months).values_list("pk"))
    groups: dict[tuple[int, frozenset[str]], list[dt.date]] = {}
    for district, month in ordered:
        groups.setdefault((district, frozenset(wanted[(district, month)])), []).append(month)
    written = 0
    for (district, families), group_months in groups.items():
        last = group_months[-1]
        period = Period(
            group_months[0], (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        )
        values = cell_values(Scope.for_district(District(pk=district)), period, families)
        written += _replace(district, group_months, families, values)
    FigureMonth.objects.filter(district_id__in=districts, month__in=months).update(computed_at=timezone.now())
    # The figures' pages and the staff tables kept in the cache are renewed once this commits: this is the one place
    # every change of a cell passes (the record services leave it to this; see caching.figures_changed).
    caching.figures_changed(districts)
    return written


def _empty(name: str) -> Any:
    return {} if name in _EMPTY else 0


def _replace(
    district: int,
    months: list[dt.date],
    families: frozenset[str],
    values: dict[tuple[int, dt.date, str, str], dict[str, Any]],
) -> int:
    """Put `values` (the `families`' fields of the district's `months`) into the cells, keeping the other
    families' fields: a cell that no family has any more is deleted, one that gains a family is created."""
    chosen = set(months)
    fields = [name for family in sorted(families) for name in FAMILY_FIELDS[family]]
    fresh = {
        (month, dimension, key): found
        for (d, month, dimension, key), found in values.items()
        if d == district and month in chosen
    }
    dimensions = [dimension for dimension, covered in DIMENSIONS.items() if families & set(covered)]
    stored = FigureCell.objects.filter(district_id=district, month__in=chosen, dimension__in=dimensions)
    changed: list[FigureCell] = []
    emptied: list[int] = []
    seen = set()
    for cell in stored:
        identity = (cell.month, cell.dimension, cell.key)
        seen.add(identity)
        found = fresh.get(identity, {})
        differs = False
        for name in fields:
            value = found.get(name, _empty(name))
            if getattr(cell, name) != value:
                setattr(cell, name, value)
                differs = True
        if not any(getattr(cell, presence) for presence in FAMILY_PRESENCE.values()):
            emptied.append(cell.pk)
        elif differs:
            changed.append(cell)
    created = [
        FigureCell(
            district_id=district,
            month=month,
            dimension=dimension,
            key=key,
            **{name: found[name] for name in fields if name in found},
        )
        for (month, dimension, key), found in fresh.items()
        if (month, dimension, key) not in seen
    ]
    if emptied:
        FigureCell.objects.filter(pk__in=emptied).delete()
    if changed:
        FigureCell.objects.bulk_update(changed, fields, batch_size=500)
    if created:
        FigureCell.objects.bulk_create(created, batch_size=1000)
    return len(emptied) + len(changed) + len(created)


def years_with_records() -> list[int]:
    """Every year from the first visit, opinion, shift or cell to the last (the cells' too: records deleted behind
    the services' back leave cells to clear)."""
    moments = []
    for model, name in ((Visit, "occurred_at"), (Opinion, "registered_at"), (DutyShift, "start")):
        found = model._default_manager.aggregate(first=Min(name), last=Max(name))
        moments += [value for value in found.values() if value is not None]
    years = [local_date(moment).year for moment in moments]
    cells = FigureCell.objects.aggregate(first=Min("month"), last=Max("month"))
    years += [month.year for month in cells.values() if month is not None]
    return list(range(min(years), max(years) + 1)) if years else []


@transaction.atomic
def figures_rebuild(*, district: District | None = None, year: int | None = None) -> int:
    """Every cell of a district (or of every district) for a year (or every year with records), recomputed
    set-based: 8 grouped queries per year whatever the number of districts. For data inserted without the
    services (scripts/gen_province.py) and as the operator's repair. Returns the number of cells written."""
    years = [year] if year is not None else years_with_records()
    scope = Scope.for_district(district) if district is not None else None
    cells = FigureCell.objects.all()
    months = FigureMonth.objects.all()
    if district is not None:
        cells, months = cells.filter(district=district), months.filter(district=district)
    district_ids = [district.pk] if district is not None else list(District.objects.values_list("pk", flat=True))
    written = 0
    for each in years:
        period = Period.year(each)
        # The months' rows first, locked: writers wait for the rebuild rather than race it.
        FigureMonth.objects.bulk_create(
            [FigureMonth(district_id=d, month=m) for d in district_ids for m in period.month_starts()],
            ignore_conflicts=True,
        )
        in_year = {"month__gte": period.first, "month__lte": period.last}
        list(months.filter(**in_year).select_for_update().order_by("district_id", "month").values_list("pk"))
        values = cell_values(scope, period)
        cells.filter(**in_year).delete()
        FigureCell.objects.bulk_create(
            [
                FigureCell(district_id=d, month=month, dimension=dimension, key=key, **fields)
                for (d, month, dimension, key), fields in values.items()
            ],
            batch_size=2000,
        )
        months.filter(**in_year).update(computed_at=timezone.now())
        written += len(values)
    return written


def cell_differences(period: Period) -> list[str]:
    """Every cell of the period that differs from what the records give now, named (district, month, key); a
    cell kept with nothing in it (a breakdown would list its key with zeros) is one."""
    fresh = cell_values(None, period)
    stored = {
        (row.district_id, row.month, row.dimension, row.key): row
        for row in FigureCell.objects.filter(month__gte=period.first, month__lte=period.last)
    }
    names = [f.name for f in FigureCell._meta.concrete_fields if f.name not in _CELL_IDENTITY]
    problems = []
    for key in sorted(set(fresh) | set(stored), key=str):
        want = {name: fresh.get(key, {}).get(name, _EMPTY.get(name, 0)) for name in names}
        row = stored.get(key)
        have = {name: getattr(row, name) if row is not None else _EMPTY.get(name, 0) for name in names}
        if row is not None and key not in fresh and want == have:
            district, month, dimension, cell_key = key
            problems.append(f"district {district} {month:%Y-%m} {dimension or 'total'}:{cell_key}: no records")
        elif want != have:
            wrong = sorted(name for name in names if want[name] != have[name])
            district, month, dimension, cell_key = key
            problems.append(
                f"district {district} {month:%Y-%m} {dimension or 'total'}:{cell_key}: "
                + ", ".join(f"{name} {have[name]!r} should be {want[name]!r}" for name in wrong)
            )
    return problems


_CELL_IDENTITY = {"id", "district", "month", "dimension", "key"}
_EMPTY: dict[str, Any] = {"absent_by_reason": {}, "reply_day_counts": {}, "reply_days": {}, "pending_deadlines": {}}
