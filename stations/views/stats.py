"""The figures: the public table, the staff statistics with exports, deputies' records and attendance."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_now
from stations.exports import XLSX_CONTENT_TYPE, attachment, csv_attachment
from stations.forms.stats import StatsForm, public_form, roster_year_choices, year_from
from stations.models import AbsenceReason, Deputy, District, Region
from stations.models.sites import network_ordering
from stations.paging import SELECT_LIMIT, bounded_count, bounded_page
from stations.policy import (
    can_record_activity,
    can_view_deputy_attendance,
    can_write,
    deputy_record_for_user,
    requires,
    staff_required,
    stats_districts,
    visible_deputy_records,
)
from stations.selectors import records, stats
from stations.selectors.stats import DEFINITIONS, TERMS, Scope
from stations.stats_tables import public_table, staff_tables, theme_table, to_xlsx

STAFF_DEFINITIONS = [*DEFINITIONS, *records.THEME_DEFINITIONS]


def _period_query(request: HttpRequest) -> dict[str, str]:
    return {key: value for key in PERIOD_KEYS if (value := request.GET.get(key, ""))}


def public_region_scope(key: str) -> Scope:
    """`?region=<code or id>` of the public figures: any region (the figures are public); 404 when unknown."""
    region = Region.objects.select_related("parent__parent__parent", "district").by_key(key)
    if region is None:
        raise Http404
    return Scope.for_region(region)


def public_stats(request: HttpRequest) -> HttpResponse:
    """A place's headline figures above one row per place one level down (a district's stations, a city's
    districts, a province's cities), for a year or months of it: aggregates only, a fixed number of queries
    whatever the number of districts (`?region=<code or id>`; without it the portal's own top, see
    stats.default_scope)."""
    key = request.GET.get("region", "")
    scope = public_region_scope(key) if key else stats.default_scope()
    form = public_form(request.GET)
    tables = []
    theme_tables = []
    period = None
    period_query = _period_query(request)

    def link(by: str, row: stats.Row) -> str | None:
        if row.ref is None:
            return None
        if by == "station":
            return reverse("stations:site_detail", kwargs={"slug": row.ref})
        return f"{reverse('stations:public_stats')}?{urlencode({'region': row.ref, **period_query})}"

    if form.is_valid():
        period = form.period()
        by = scope.children_by or "station"
        figures = stats.headline(scope=scope, period=period)
        rows = stats.breakdown(scope=scope, period=period, by=by)
        tables.append(
            public_table(district_figures=figures, district_name=scope.name, station_rows=rows, by=by, link=link)
        )
        themes = records.theme_breakdown(scope=scope, period=period)
        if themes:
            theme_tables.append((scope.name, theme_table(themes)))
    trail = stats.region_trail(scope)
    return render(
        request,
        "stations/stats/public.html",
        {
            "form": form,
            "tables": tables,
            "theme_tables": theme_tables,
            "period": period,
            "definitions": [*DEFINITIONS, *records.THEME_DEFINITIONS],
            "scope": scope,
            "trail": trail,
            "region_key": key,
            "period_query": urlencode(period_query),
        },
    )


PERIOD_KEYS = ("year", "month_from", "month_to", "date_from", "date_to")


def _export_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("export", "table"):
        query.pop(key, None)
    return query.urlencode()


@staff_required
def staff_stats(request: HttpRequest) -> HttpResponse:
    """Figures for a scope the user may see and any period, with charts and exports of every table."""
    form = StatsForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "stations/stats/staff.html", {"form": form, "definitions": STAFF_DEFINITIONS})
    scope, period = form.selected_scope(), form.period()
    period_query = _period_query(request)
    choosable = set(form.scopes)

    def link(by: str, row: stats.Row) -> str | None:
        # One level down on the same page: a region or district by `?region=`, a station by its scope.
        if row.ref is None:
            return None
        if by == "station":
            key = f"station:{row.ref}"
            return f"?{urlencode({'scope': key, **period_query})}" if key in choosable else None
        return f"?{urlencode({'region': row.ref, **period_query})}"

    tables = staff_tables(scope=scope, period=period, link=link)
    heading = f"{scope.label} · {period.label}"
    filename = f"figures-{scope.key.replace(':', '-')}-{period.slug}"
    export = request.GET.get("export")
    if export == "xlsx":
        audit(
            action=AuditAction.EXPORT_STATS,
            actor=Actor.from_request(request),
            summary=f"figures {scope.key} {period.slug} xlsx",
        )
        return attachment(to_xlsx(tables, heading=heading), filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)
    if export == "csv":
        table = next((t for t in tables if t.slug == request.GET.get("table")), None)
        if table is None:
            raise Http404
        audit(
            action=AuditAction.EXPORT_STATS,
            actor=Actor.from_request(request),
            summary=f"figures {scope.key} {period.slug} {table.slug}",
        )
        return csv_attachment([table.columns, *table.display_rows], filename=f"{filename}-{table.slug}.csv")
    return render(
        request,
        "stations/stats/staff.html",
        {
            "form": form,
            "scope": scope,
            "period": period,
            "heading": heading,
            "tables": tables,
            "query": _export_query(request),
            "definitions": STAFF_DEFINITIONS,
            "can_view_deputy_attendance": can_view_deputy_attendance(request.user),
            # Breadcrumbs only as high as the user may go (a city administrator's stop at the city).
            "trail": [r for r in stats.region_trail(scope) if Scope.for_region(r).key in choosable],
            "period_query": urlencode(period_query),
        },
    )


@login_required
def deputy_record(request: HttpRequest, slug: str) -> HttpResponse:
    """A deputy's performance record (履职档案) for a year, printable."""
    deputy = deputy_record_for_user(request.user, slug)
    years = roster_year_choices()
    year = year_from(request.GET, years)
    record = stats.deputy_record(deputy=deputy, year=year)
    return render(
        request,
        "stations/stats/deputy_record.html",
        {
            "deputy": deputy,
            "record": record,
            "absences": [
                (reason.value, reason.label, record.figures.absent_by_reason.get(reason.value, 0))
                for reason in AbsenceReason
            ],
            "year": year,
            "years": years,
            "levels": deputy.mandates.order_by("term_start"),
            "sites": deputy.assignments.select_related("site").order_by(*network_ordering("site__")),
            "printed_at": local_now(),
            "definitions": [d for d in DEFINITIONS if d[0] in RECORD_TERMS] + records.ACTIVITY_DEFINITIONS,
            # Besides receptions (issue 16): activities, pairing, and the one-page report of the year.
            "activities": records.deputy_activities(deputy=deputy, year=year),
            "pairing": records.deputy_pairing_summary(deputy=deputy, year=year),
            "can_record_activity": can_write(request.user) and can_record_activity(request.user, deputy),
        },
    )


RECORD_TERMS = {
    "visits",
    "voters",
    "opinions",
    "accepted",
    "resolved",
    "resolution_rate",
    "scheduled",
    "present",
    "absent",
    "substituted",
    "attendance_rate",
}

# (sort key, heading, first click sorts descending): numbers are most useful largest first.
ATTENDANCE_COLUMNS = [
    ("name", _("Deputy"), False),
    ("scheduled", TERMS["scheduled"], True),
    ("present", TERMS["present"], True),
    ("absent", TERMS["absent"], True),
    ("substituted", TERMS["substituted"], True),
    ("unmarked", TERMS["unmarked"], True),
    ("rate", TERMS["attendance_rate"], True),
    ("visits", _("Visits received"), True),
    ("voters", _("Voters met"), True),
    ("activities", _("Other activities"), True),
]


def _sort_headers(sort: str) -> list[dict]:
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    headers = []
    for key, label, desc_first in ATTENDANCE_COLUMNS:
        active = key == current
        # A click on the sorted column reverses it; on another column it sorts that column its natural way.
        reverse = (not descending) if active else desc_first
        next_sort = f"-{key}" if reverse else key
        headers.append(
            {
                "key": key,
                "label": label,
                "next": next_sort,
                "aria_sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    return headers


# The attendance table pages through the deputies (a province holds 150,000 of them); sorted by a figure it
# ranks every deputy of the chosen scope first, which it does only while the scope holds at most this many (a
# district: the ranking costs about 0.3 s for 1,500 deputies on PostgreSQL at scale 0.1).
ATTENDANCE_PAGE_SIZE = 50
FIGURE_SORT_LIMIT = 2000


@requires(can_view_deputy_attendance)
def deputy_attendance(request: HttpRequest) -> HttpResponse:
    """Deputies' attendance for a year, a page at a time, narrowed by district and name, sortable by any column
    (by a figure once the list is narrowed to at most FIGURE_SORT_LIMIT deputies)."""
    years = roster_year_choices()
    year = year_from(request.GET, years)
    sort = request.GET.get("sort", "name")
    if sort.removeprefix("-") not in stats.ATTENDANCE_SORTS:
        sort = "name"
    districts = list(stats_districts(request.user).order_by("name", "pk")[: SELECT_LIMIT + 1])
    district = _chosen(districts, request.GET.get("district", ""))
    name = request.GET.get("q", "").strip()[:50]
    deputies = visible_deputy_records(request.user)
    if district is not None:
        deputies = deputies.filter(district=district)
    if name:
        deputies = deputies.filter(name__icontains=name)
    sorted_by_figure = sort.removeprefix("-") != "name"
    too_many_to_rank = False
    if sorted_by_figure:
        _counted, too_many_to_rank = bounded_count(deputies, max_count=FIGURE_SORT_LIMIT)
        if too_many_to_rank:
            sort, sorted_by_figure = "name", False
    if sorted_by_figure:
        # Every deputy of the scope is ranked, then one page of them shown.
        ranked = stats.deputy_attendance(year=year, sort=sort, deputies=deputies)
        page = bounded_page(ranked, ATTENDANCE_PAGE_SIZE, request.GET.get("page"), max_count=FIGURE_SORT_LIMIT)
        rows = list(page.object_list)
    else:
        # In name order the database pages; the figures are counted for that page's deputies only.
        ordering = ("-name", "-pk") if sort == "-name" else ("name", "pk")
        page = bounded_page(deputies.order_by(*ordering).only("pk"), ATTENDANCE_PAGE_SIZE, request.GET.get("page"))
        # The page's deputies as a subquery (its LIMIT and OFFSET inside), not one more query for their ids.
        shown = Deputy.objects.filter(pk__in=cast(QuerySet[Deputy], page.object_list).values("pk"))
        rows = stats.deputy_attendance(year=year, sort=sort, deputies=shown)
    query: dict[str, str | int] = {"year": year}
    if district is not None:
        query["district"] = district.pk
    if name:
        query["q"] = name
    return render(
        request,
        "stations/stats/deputy_attendance.html",
        {
            "rows": rows,
            "page": page,
            "year": year,
            "years": years,
            "sort": sort,
            "headers": _sort_headers(sort),
            "districts": districts if 1 < len(districts) <= SELECT_LIMIT else [],
            "district": district,
            "name": name,
            "too_many_to_rank": too_many_to_rank,
            "figure_sort_limit": FIGURE_SORT_LIMIT,
            "list_query": urlencode(query),
        },
    )


def _chosen(districts: list[District], value: str) -> District | None:
    """The district asked for among those the user may choose (policy.stats_districts); none otherwise."""
    return next((district for district in districts if str(district.pk) == value), None)
