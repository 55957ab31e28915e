"""Keeping the summary cells of the figures exact (issue 15): recompute, don't increment.

A service that changes anything a figure depends on names the district-months it touched
(`figures_touch(keys=...)`, with the helpers below for a visit, an opinion, a shift); at the end of the
outermost service, or of an import batch or the demo loader (`figures_deferred()`), each touched district-month
is recomputed once from the records (stations.selectors.cells.cell_values, the live definitions) and its cells
replaced, inside the same transaction. Cells therefore equal the live figures by construction, whatever the
order of the writes; nothing is ever added to or subtracted from a cell.

Why a lock first: under PostgreSQL's READ COMMITTED, two transactions writing visits of the same district-month
each see only their own uncommitted rows. If both aggregated without waiting, the one committing last would
replace the cells with figures missing the other's visit. So a recompute first takes a row lock on the
district-month's FigureMonth row (created if missing, INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR
UPDATE). The second writer waits there until the first commits; its aggregation is a new statement, whose
snapshot (READ COMMITTED) then includes the first writer's committed rows as well as its own. The last to commit
always computes from everything. Locks are taken in (district, month) order, so two writers touching the same
months cannot deadlock on them. SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from stations import caching
from stations.clock import local_date
from stations.models import District, DutyShift, FigureCell, FigureMonth, Opinion, Site, Visit
from stations.selectors.cells import cell_values
from stations.selectors.stats import Period, Scope

MonthKey = tuple[int, dt.date]

_deferred: ContextVar[set[MonthKey] | None] = ContextVar("figures_deferred", default=None)


def month_of(moment: dt.datetime) -> dt.date:
    return local_date(moment).replace(day=1)


def _district_of(site: Site | int) -> int:
    if isinstance(site, Site):
        return site.district_id
    return Site.objects.values_list("district_id", flat=True).get(pk=site)


def visit_keys(visit: Visit, *, with_opinions: bool = True) -> set[MonthKey]:
    """A visit counts in its month; it can make its shift "held" (the shift is the visit's site's, stations.
    selectors.visits.shift_at); archiving it hides its opinions (`with_opinions`: those already written)."""
    district = _district_of(visit.site)
    keys = {(district, month_of(visit.occurred_at))}
    if visit.shift is not None:
        keys.add((district, month_of(visit.shift.start)))
    if with_opinions and visit.pk is not None:
        for site_id, registered_at in Opinion.objects.filter(visit=visit).values_list("site_id", "registered_at"):
            keys.add((_district_of(site_id), month_of(registered_at)))
    return keys


def opinion_keys(opinion: Opinion) -> set[MonthKey]:
    return {(_district_of(opinion.site), month_of(opinion.registered_at))}


def shift_keys(shift: DutyShift) -> set[MonthKey]:
    return {(_district_of(shift.roster.site), month_of(shift.start))}


def keys_of(obj: object) -> set[MonthKey]:
    """The district-months a record counts in, for a change made outside the services (the admin saves models
    itself): before and after the change, the union is what to recompute."""
    from stations.models import Duty, OpinionEvent, Roster

    if getattr(obj, "pk", None) is None:
        return set()
    if isinstance(obj, Visit):
        return visit_keys(obj)
    if isinstance(obj, Opinion):
        return opinion_keys(obj)
    if isinstance(obj, OpinionEvent):
        return opinion_keys(obj.opinion)
    if isinstance(obj, DutyShift):
        return shift_keys(obj)
    if isinstance(obj, Duty):
        return shift_keys(obj.shift)
    if isinstance(obj, Roster):
        return {(obj.site.district_id, month) for month in Period.year(obj.year).month_starts()}
    return set()


def site_move_keys(*, site: Site, district_id: int, parent_id: int | None = None) -> set[MonthKey]:
    """A site moving from its stored district to `district_id` moves all its records: every month of both. One
    moving under another parent moves them to another station's cells: every month of its district."""
    if site.pk is None:
        return set()
    stored = Site.objects.filter(pk=site.pk).values_list("district_id", "parent_id").first()
    if stored is None or stored == (district_id, parent_id):
        return set()
    before = stored[0]
    months = FigureMonth.objects.filter(district_id__in=[before, district_id]).values_list("district_id", "month")
    return set(months) | {(before, m) for _d, m in months} | {(district_id, m) for _d, m in months}


def stored_keys_of(obj: object) -> set[MonthKey]:
    """`keys_of` the record as the database holds it now (before a change)."""
    pk = getattr(obj, "pk", None)
    if pk is None:
        return set()
    if isinstance(obj, Site):
        return site_move_keys(site=obj, district_id=obj.district_id, parent_id=obj.parent_id)
    stored = type(obj)._default_manager.filter(pk=pk).first()  # type: ignore[attr-defined]
    return keys_of(stored) if stored is not None else set()


def figures_touch(*, keys: Iterable[MonthKey]) -> None:
    """The district-months `keys` changed: recompute them now, or at the end of the batch being deferred."""
    pending = _deferred.get()
    if pending is not None:
        pending.update(keys)
        return
    figures_recompute(keys=keys)


@contextmanager
def figures_deferred() -> Iterator[set[MonthKey]]:
    """Recompute every district-month touched inside the block once, at its end (an import, the demo loader, a
    roster generation); nested blocks leave it to the outermost. Nothing is recomputed if the block raises; a
    caller that rolls back clears the set it is given."""
    outer = _deferred.get()
    if outer is not None:
        yield outer
        return
    touched: set[MonthKey] = set()
    token = _deferred.set(touched)
    try:
        yield touched
    finally:
        _deferred.reset(token)
    figures_recompute(keys=touched)


P = ParamSpec("P")
R = TypeVar("R")


def keeps_figures(func: Callable[P, R]) -> Callable[P, R]:
    """A service (under its transaction.atomic) whose nested services' touches are recomputed once, at its end."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with figures_deferred():
            return func(*args, **kwargs)

    return wrapper


@transaction.atomic
def figures_recompute(*, keys: Iterable[MonthKey]) -> int:
    """Replace the cells of each district-month from the records, under the district-month's lock (see above).
    The months of one district are aggregated together (8 grouped queries per district touched). Returns the
    number of cells written."""
    wanted = sorted(set(keys))
    if not wanted:
        return 0
    FigureMonth.objects.bulk_create(
        [FigureMonth(district_id=district, month=month) for district, month in wanted], ignore_conflicts=True
    )
    by_district: dict[int, list[dt.date]] = {}
    for district, month in wanted:
        by_district.setdefault(district, []).append(month)
    # Lock before aggregating, in a fixed order.
    locked = FigureMonth.objects.select_for_update().order_by("district_id", "month")
    list(locked.filter(district_id__in=by_district, month__in={month for _d, month in wanted}).values_list("pk"))
    written = 0
    for district, months in by_district.items():
        last = months[-1]
        period = Period(months[0], (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1))
        values = cell_values(Scope.for_district(District(pk=district)), period)
        written += _replace(district, months, values)
    FigureMonth.objects.filter(district_id__in=by_district, month__in={m for _d, m in wanted}).update(
        computed_at=timezone.now()
    )
    # The figures' pages and the staff tables kept in the cache are renewed once this commits. The services name
    # the public figures' scope themselves too; this is the one place every change of a cell passes.
    caching.invalidate({caching.STATS})
    return written


def _replace(district: int, months: list[dt.date], values: dict[tuple[int, dt.date, str, str], dict[str, Any]]) -> int:
    chosen = set(months)
    FigureCell.objects.filter(district_id=district, month__in=chosen).delete()
    cells = [
        FigureCell(district_id=d, month=month, dimension=dimension, key=key, **fields)
        for (d, month, dimension, key), fields in values.items()
        if d == district and month in chosen
    ]
    FigureCell.objects.bulk_create(cells, batch_size=1000)
    return len(cells)


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
    """Every cell of the period that differs from what the records give now, named (district, month, key)."""
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
        if want != have:
            wrong = sorted(name for name in names if want[name] != have[name])
            district, month, dimension, cell_key = key
            problems.append(
                f"district {district} {month:%Y-%m} {dimension or 'total'}:{cell_key}: "
                + ", ".join(f"{name} {have[name]!r} should be {want[name]!r}" for name in wrong)
            )
    return problems


_CELL_IDENTITY = {"id", "district", "month", "dimension", "key"}
_EMPTY: dict[str, Any] = {"absent_by_reason": {}, "reply_day_counts": {}, "reply_days": {}, "pending_deadlines": {}}
