"""The figures: the public table, the staff statistics with exports, deputies' records and attendance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from stations.audit import Actor, AuditAction, audit
from stations.clock import local_now
from stations.exports import XLSX_CONTENT_TYPE, attachment, csv_attachment
from stations.forms.stats import StatsForm, public_form, roster_year_choices, year_from
from stations.models import AbsenceReason
from stations.models.sites import network_ordering
from stations.policy import (
    can_view_deputy_attendance,
    deputy_record_for_user,
    requires,
    staff_required,
)
from stations.selectors import stats
from stations.selectors.stats import DEFINITIONS, TERMS
from stations.stats_tables import public_table, staff_tables, to_xlsx


def public_stats(request: HttpRequest) -> HttpResponse:
    """The district's headline figures and each station's, for a year or months of it: aggregates only."""
    form = public_form(request.GET)
    tables = []
    period = None
    if form.is_valid():
        period = form.period()
        for found in stats.districts_figures(period=period):
            tables.append(
                public_table(
                    district_figures=found.figures, district_name=found.district.name, station_rows=found.stations
                )
            )
    return render(
        request,
        "stations/stats/public.html",
        {"form": form, "tables": tables, "period": period, "definitions": DEFINITIONS},
    )


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
        return render(request, "stations/stats/staff.html", {"form": form, "definitions": DEFINITIONS})
    scope, period = form.selected_scope(), form.period()
    tables = staff_tables(scope=scope, period=period)
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
            "definitions": DEFINITIONS,
            "can_view_deputy_attendance": can_view_deputy_attendance(request.user),
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
            "definitions": [d for d in DEFINITIONS if d[0] in RECORD_TERMS],
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


@requires(can_view_deputy_attendance)
def deputy_attendance(request: HttpRequest) -> HttpResponse:
    """Every deputy's attendance for a year, sortable by any column."""
    years = roster_year_choices()
    year = year_from(request.GET, years)
    sort = request.GET.get("sort", "name")
    if sort.removeprefix("-") not in stats.ATTENDANCE_SORTS:
        sort = "name"
    rows = stats.deputy_attendance(year=year, sort=sort)
    return render(
        request,
        "stations/stats/deputy_attendance.html",
        {"rows": rows, "year": year, "years": years, "sort": sort, "headers": _sort_headers(sort)},
    )
