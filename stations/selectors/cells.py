"""The official figures from summary cells (issue 15), and the cells' own values computed from the records.

A cell (stations.models.FigureCell) holds the figures of one district, one local month and one group of a
breakdown ("" for the totals, or a category, a channel, a handling body) that do not depend on today's date.
`cell_values` computes them with the very definitions the live path uses (stations.selectors.stats: the same
querysets, the same aggregate dictionaries), grouped by district and month as well, so a cell equals the live
figures of its district-month by construction and a sum of cells equals the live figures of their union: every
count adds up over disjoint district-months (a shift, a visit, an opinion, a duty and an off-shift site-day
belong to one district and one month), and the median is taken over the merged histograms of days to reply,
which hold the exact values the live median is taken over.

What changes with the date alone (overdue; the part of "due" whose deadline passed without a reply) is never
stored as a figure: a cell keeps, for each deadline, how many of its opinions would count in it once that day has
passed (stats.PENDING_BY_DEADLINE: referred; not answered). Those depend on the records only; `figures_from_cells`
adds up the deadlines before the day asked about, so the figure moves as days pass without any write, and is
what the live count over the records gives for that day.

Reads use the cells for a district, a region above it or everything, over whole months, in total or by month,
district, city, province, station, category, channel or handling body. A station's or a site's scope, a town, a
period that is not whole months and the breakdowns by site and by deputy level stay on the live path: the first
are small, and a level breakdown counts a duty under every mandate current at any time in the period, which does
not add up over months (a mandate ending in March still counts June's duties in the year's breakdown).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.fields.json import KeyTransform

from stations.models import AbsenceReason, FigureCell, RegionLevel
from stations.selectors import stats
from stations.selectors.stats import GROUPS, DaysBetween, Figures, Period, Scope, ScopeKind

# The breakdowns stored as cells besides the totals (dimension ""), and the families of records each covers
# (those stats.GROUPS defines for it).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "": stats.FAMILIES_FOR_HEADLINE,
    "category": ("visits", "opinions"),
    "channel": ("visits", "opinions"),
    "body": ("opinions",),
    # A district's page opens on its stations (Scope.children_by): one cell per station and month.
    "station": stats.FAMILIES_FOR_HEADLINE,
}
COUNT_FIELDS = [
    "shifts_held",
    "offshift_events",
    "visits",
    "voters",
    "opinions",
    "not_accepted",
    "accepted",
    "referred",
    "replied",
    "resolved",
    "resolved_explained",
    "still_open",
    "closed",
    "rated",
    "satisfied",
    "due_replied",
    "on_time",
    "scheduled",
    "present",
    "absent",
    "substituted",
    "unmarked",
]
# The fields of a cell each family of records writes (a recompute of some families replaces these and keeps the
# others': stations.services.figures), and for each family the count that is at least 1 in every cell it writes
# (a Count("pk") over its rows): a cell none of whose families has its count is one no record gives any more.
FAMILY_FIELDS: dict[str, tuple[str, ...]] = {
    "shifts": ("shifts_held",),
    "visits": tuple(stats._visit_aggregates()),
    "opinions": (*stats.timeless_opinion_aggregates(), "reply_day_counts", "reply_days", "pending_deadlines"),
    "duties": (
        *(name for name in stats.duty_aggregates() if not name.startswith("absent_")),
        "absent_by_reason",
    ),
}
FAMILY_PRESENCE: dict[str, str] = {
    "shifts": "shifts_held",
    "visits": "visits",
    "opinions": "opinions",
    "duties": "scheduled",
}
# Breakdowns read from the cells: the cells' own dimensions, and groupings of the totals.
CELL_BREAKDOWNS = {"month", "district", "city", "province", "category", "channel", "body", "station"}

CellKey = tuple[int, dt.date, str, str]


def _key_text(value: Any) -> str:
    return "" if value is None else str(value)


def _month_key(value: Any) -> dt.date:
    found = stats._normalise_key(value)
    if isinstance(found, str):  # SQLite without a converter
        found = dt.date.fromisoformat(found[:10])
    assert isinstance(found, dt.date)
    return found


def day_bucket(value: float) -> str:
    """The whole day a time to reply falls in, as a JSON key (never a bare number: a key transform would read it
    as an array index)."""
    return f"d{math.floor(value)}"


# Each family of records is read grouped by district, month and the finest keys whose sums give its cells: every
# figure of a cell is a count or a sum over disjoint rows, so a coarser cell is the sum of finer groups. The one
# exception is a visit's off-shift events, a count of distinct site-days: a site-day belongs to one station (the
# total adds up over stations) but may have visits of several categories or channels, so those are read apart.
FINE_GROUPS: dict[str, list[tuple[str, ...]]] = {
    "shifts": [("station",)],
    "duties": [("station",)],
    "visits": [("station",), ("category",), ("channel",)],
    "opinions": [("station", "category", "channel", "body")],
}


def _annotated(qs: QuerySet[Any], family: str, dims: tuple[str, ...]) -> QuerySet[Any]:
    keys = {f"_k_{dim}": GROUPS[dim][family] for dim in dims}
    annotated: QuerySet[Any] = qs.annotate(_district=GROUPS["district"][family], _month=GROUPS["month"][family], **keys)
    return annotated


def _add(target: dict[str, Any], values: dict[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, dict):
            _add(target.setdefault(name, {}), value)
        elif isinstance(value, list):
            found = target.get(name)
            target[name] = [a + b for a, b in zip(found, value, strict=True)] if found else list(value)
        else:
            target[name] = target.get(name, 0) + value


def _roll_up(
    cells: dict[CellKey, dict[str, Any]],
    district: int,
    month: Any,
    dims: tuple[str, ...],
    keys: tuple[Any, ...],
    values: dict[str, Any],
    family: str,
) -> None:
    """Add one fine group's values into the cells it belongs to: the total (when these dims give it) and one cell
    per dimension of the cells that this family covers."""
    month = _month_key(month)
    targets = [("", "")] if "station" in dims or family == "opinions" else []
    targets += [(dim, _key_text(key)) for dim, key in zip(dims, keys, strict=True) if family in DIMENSIONS[dim]]
    for dimension, key in targets:
        _add(cells.setdefault((district, month, dimension, key), {}), values)


def cell_values(
    scope: Scope | None, period: Period, families: Iterable[str] = stats.FAMILIES_FOR_HEADLINE
) -> dict[CellKey, dict[str, Any]]:
    """The cells of every district-month of the scope and period, computed from the records: eight grouped
    queries (FINE_GROUPS, and the opinions' days to reply and deadlines), whatever the number of district-months.
    With `families`, only those families' queries run and the cells hold only their fields (FAMILY_FIELDS; and
    `absent_by_reason`, empty unless duties are among them): shifts 1 query, duties 1, visits 3, opinions 3."""
    chosen = set(families)
    unknown = chosen - set(FAMILY_FIELDS)
    if unknown:
        raise ValueError(f"unknown families of figures: {sorted(unknown)}")
    cells: dict[CellKey, dict[str, Any]] = {}
    sources: dict[str, tuple[QuerySet[Any], dict[str, Any]]] = {
        "shifts": (stats.held_shifts(scope, period), {"shifts_held": Count("pk")}),
        "duties": (stats.duties_in(scope, period), stats.duty_aggregates()),
        "visits": (stats.visits_in(scope, period), stats._visit_aggregates()),
        "opinions": (
            stats.with_last_answer(stats.opinions_in(scope, period)),
            stats.timeless_opinion_aggregates(),
        ),
    }
    for family, (qs, aggregates) in sources.items():
        if family not in chosen:
            continue
        for dims in FINE_GROUPS[family]:
            names = [f"_k_{dim}" for dim in dims]
            for row in (
                _annotated(qs, family, dims).values("_district", "_month", *names).annotate(**aggregates).order_by()
            ):
                district, month = row.pop("_district"), row.pop("_month")
                keys = tuple(row.pop(name) for name in names)
                _roll_up(cells, district, month, dims, keys, row, family)

    if "opinions" in chosen:
        _opinion_days(cells, scope, period)
    for values in cells.values():
        reasons = {
            name.removeprefix("absent_"): values.pop(name) for name in list(values) if name.startswith("absent_")
        }
        values["absent_by_reason"] = reasons
    return cells


def _opinion_days(cells: dict[CellKey, dict[str, Any]], scope: Scope | None, period: Period) -> None:
    """The opinions' days to reply and their counts by deadline, added into `cells` (two grouped queries)."""
    opinions = stats.opinions_in(scope, period)
    dims = FINE_GROUPS["opinions"][0]
    names = [f"_k_{dim}" for dim in dims]
    replied = (
        _annotated(opinions.filter(replied_at__isnull=False), "opinions", dims)
        .annotate(_waited=DaysBetween("replied_at", "registered_at"))
        .values_list("_district", "_month", *names, "_waited")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for district, month, *keys, waited, n in replied:
        bucket = day_bucket(float(waited))
        # repr() of a float reads back as the same float.
        values = {"reply_day_counts": {bucket: n}, "reply_days": {bucket: {repr(float(waited)): n}}}
        _roll_up(cells, district, month, dims, tuple(keys), values, "opinions")

    which = Q()
    for condition in stats.PENDING_BY_DEADLINE.values():
        which |= condition
    pending = (
        _annotated(opinions.filter(which, deadline__isnull=False), "opinions", dims)
        .values_list("_district", "_month", *names, "deadline")
        .annotate(**{name: Count("pk", filter=condition) for name, condition in stats.PENDING_BY_DEADLINE.items()})
        .order_by()
    )
    for district, month, *rest in pending:
        keys, deadline, counts = rest[: len(dims)], rest[len(dims)], rest[len(dims) + 1 :]
        values = {"pending_deadlines": {deadline.isoformat(): list(counts)}}
        _roll_up(cells, district, month, dims, tuple(keys), values, "opinions")


# --- reading ------------------------------------------------------------------------------------------------


def uses_cells(scope: Scope | None, period: Period, group_name: str | None) -> bool:
    if not period.is_whole_months or (group_name is not None and group_name not in CELL_BREAKDOWNS):
        return False
    if scope is None or scope.kind in (ScopeKind.ALL, ScopeKind.DISTRICT):
        return True
    return scope.kind == ScopeKind.REGION and scope.region is not None and scope.region.level in CELL_REGION_PATHS


# A region's districts, from a cell.
CELL_REGION_PATHS: dict[str, str] = {
    RegionLevel.PROVINCE: "district__region__parent__parent",
    RegionLevel.CITY: "district__region__parent",
    RegionLevel.COUNTY: "district__region",
}
CELL_GROUPS: dict[str, Any] = {
    "month": F("month"),
    "district": F("district"),
    "city": F("district__region__parent"),
    "province": F("district__region__parent__parent"),
}


def _cells_in(scope: Scope | None, period: Period, dimension: str) -> QuerySet[FigureCell]:
    cells = FigureCell.objects.filter(dimension=dimension, month__gte=period.first, month__lte=period.last)
    if scope is None or scope.kind == ScopeKind.ALL:
        return cells
    if scope.kind == ScopeKind.DISTRICT:
        return cells.filter(district=scope.district)
    assert scope.region is not None
    return cells.filter(**{CELL_REGION_PATHS[scope.region.level]: scope.region})


def _group_key(group_name: str | None, value: Any) -> Any:
    if group_name is None:
        return None
    if group_name in ("body", "station"):
        return int(value) if value else None
    if group_name == "month":
        return _month_key(value)
    return value


def middle_days(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The whole days holding the middle of the opinions answered, each with the middle's rank within its day:
    the rank (n+1)//2 and, when n is even, (n+2)//2, as stats.median_days picks its middle rows."""
    total = sum(counts.values())
    ranks = sorted({(total + 1) // 2, (total + 2) // 2}) if total else []
    found: list[tuple[str, int]] = []
    seen = 0
    for bucket in sorted(counts, key=lambda name: int(name[1:])):
        n = counts[bucket]
        while ranks and ranks[0] <= seen + n:
            found.append((bucket, ranks.pop(0) - seen))
        seen += n
        if not ranks:
            break
    return found


def value_at(values: dict[float, int], rank: int) -> float:
    """The value ranked `rank` (from 1) in a multiset given as {value: how many}."""
    seen = 0
    for value in sorted(values):
        seen += values[value]
        if rank <= seen:
            return value
    raise ValueError("rank beyond the values")


def _medians(
    cells: QuerySet[FigureCell],
    group: Any,
    group_name: str | None,
    coarse: dict[Any, dict[str, int]],
    fine: dict[Any, dict[str, dict[float, int]]] | None,
) -> dict[Any, float]:
    """{group: median days to reply}; without the values already read (`fine`), reads from the cells only the
    whole days that hold a middle."""
    middles = {key: middle_days(counts) for key, counts in coarse.items()}
    needed = sorted({bucket for found in middles.values() for bucket, _rank in found})
    if not needed:
        return {}
    if fine is None:
        fine = _days_read(cells, group, group_name, middles, needed)
    medians = {}
    for key, found in middles.items():
        if found:
            picked = [value_at(fine[key][bucket], rank) for bucket, rank in found]
            medians[key] = sum(picked) / len(picked)
    return medians


def _days_read(
    cells: QuerySet[FigureCell],
    group: Any,
    group_name: str | None,
    middles: dict[Any, list[tuple[str, int]]],
    needed: list[str],
) -> dict[Any, dict[str, dict[float, int]]]:
    columns = {f"_day{index}": KeyTransform(bucket, "reply_days") for index, bucket in enumerate(needed)}
    fine: dict[Any, dict[str, dict[float, int]]] = {}
    for row in cells.annotate(_group=group, **columns).values_list("_group", *columns):
        key = _group_key(group_name, row[0])
        wanted = {bucket for bucket, _rank in middles.get(key, [])}
        for bucket, values in zip(needed, row[1:], strict=True):
            if bucket in wanted and values:
                merged = fine.setdefault(key, {}).setdefault(bucket, {})
                for waited, n in values.items():
                    value = float(waited)
                    merged[value] = merged.get(value, 0) + n
    return fine


def figures_from_cells(
    scope: Scope | None, period: Period, group_name: str | None, today: dt.date
) -> dict[Any, Figures]:
    """What stats._compute returns for the same arguments, from the cells alone: one query for a district, two
    for a region or everything (the cells' counts, then only the whole days that hold the medians: a
    province-year's days to reply are as many as its opinions answered), whatever the number of districts and
    months. What depends on today (overdue, the unanswered part of "due") is added up from the cells' counts by
    deadline, the deadlines before today."""
    dimension = group_name if group_name in DIMENSIONS else ""
    group = F("key") if dimension else CELL_GROUPS.get(group_name or "", Value(0))
    cells = _cells_in(scope, period, dimension)
    whole = scope is not None and scope.kind == ScopeKind.DISTRICT
    rows = cells.annotate(_group=group).values_list(
        "_group", *COUNT_FIELDS, "absent_by_reason", "pending_deadlines", "reply_days" if whole else "reply_day_counts"
    )
    before_today = today.isoformat()  # ISO dates sort as the days do
    totals: dict[Any, list[int]] = {}
    reasons: dict[Any, dict[str, int]] = {}
    coarse: dict[Any, dict[str, int]] = {}
    fine: dict[Any, dict[str, dict[float, int]]] = {}
    late: dict[Any, list[int]] = {}
    width = len(COUNT_FIELDS)
    for row in rows:
        key = _group_key(group_name, row[0])
        sums = totals.setdefault(key, [0] * width)
        for index in range(width):
            sums[index] += row[1 + index]
        by_reason = reasons.setdefault(key, {})
        for reason, n in row[1 + width].items():
            by_reason[reason] = by_reason.get(reason, 0) + n
        passed = late.setdefault(key, [0, 0])
        for deadline, (overdue, unanswered) in row[2 + width].items():
            if deadline < before_today:
                passed[0] += overdue
                passed[1] += unanswered
        counts = coarse.setdefault(key, {})
        if whole:
            merged = fine.setdefault(key, {})
            for bucket, values in row[3 + width].items():
                counts[bucket] = counts.get(bucket, 0) + sum(values.values())
                day = merged.setdefault(bucket, {})
                for waited, n in values.items():
                    day[float(waited)] = day.get(float(waited), 0) + n
        else:
            for bucket, n in row[3 + width].items():
                counts[bucket] = counts.get(bucket, 0) + n
    medians = _medians(cells, group, group_name, coarse, fine if whole else None)

    found: dict[Any, Figures] = {}
    duties_seen = {key for key, sums in totals.items() if sums[COUNT_FIELDS.index("scheduled")]}
    for key, sums in totals.items():
        figures = Figures()
        values = dict(zip(COUNT_FIELDS, sums, strict=True))
        due_replied = values.pop("due_replied")
        figures.update(values)
        figures.overdue, due_pending = late[key]
        figures.due = due_replied + due_pending
        figures.median_days = medians.get(key)
        if key in duties_seen or group_name is None:
            # The live path lists every reason once a group has a duty (a grouped count of zero rows has none).
            figures.absent_by_reason = {reason.value: reasons[key].get(reason.value, 0) for reason in AbsenceReason}
        found[key] = figures
    if group_name is None and None not in found:
        figures = Figures()
        figures.absent_by_reason = {reason.value: 0 for reason in AbsenceReason}
        found[None] = figures
    return found


def touched_keys(keys: Iterable[CellKey]) -> set[tuple[int, dt.date]]:
    return {(district, month) for district, month, _dimension, _key in keys}
