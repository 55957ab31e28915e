"""The statistics as tables: the same objects feed the page, the charts and the CSV and XLSX exports, so an
export always matches what the page shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from stations import caching
from stations.exports import xlsx_append, xlsx_bytes
from stations.models import AbsenceReason
from stations.selectors.records import THEME_DEFINITIONS, ThemeRow, theme_breakdown
from stations.selectors.stats import DEFINITIONS, TERMS, Figures, Period, Row, Scope, breakdown, headline


class Rate(float):
    """A share, shown as a percentage with one decimal."""


class Days(float):
    """A number of days, shown with one decimal."""


def rate(value: float | None) -> Rate | None:
    return None if value is None else Rate(value)


def days(value: float | None) -> Days | None:
    return None if value is None else Days(value)


EMPTY = "—"


def display(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, Rate):
        return f"{value * 100:.1f}%"
    if isinstance(value, Days):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Bar:
    label: str
    display: str
    width: str


@dataclass
class Chart:
    title: str
    bars: list[Bar]


@dataclass
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart_column: int | None = None
    # The first row is the total of the others (the district above its stations): it stays in the table but
    # not in the chart, where it would dwarf every station's bar.
    total_first: bool = False
    # Links one level down, one per row (None where a row leads nowhere): the page shows them, exports do not.
    links: list[str | None] = field(default_factory=list)
    # What the links are made from (`staff_tables` keeps them with the cached tables; the links are the user's).
    link_by: str | None = None
    link_rows: list[Row] = field(default_factory=list)

    @property
    def display_rows(self) -> list[list[str]]:
        return [[display(value) for value in row] for row in self.rows]

    @property
    def linked_rows(self) -> list[tuple[str | None, list[str]]]:
        links = self.links or [None] * len(self.rows)
        return list(zip(links, self.display_rows, strict=True))

    @property
    def chart(self) -> Chart | None:
        rows = self.rows[1:] if self.total_first else self.rows
        if self.chart_column is None or not rows:
            return None
        values = [row[self.chart_column] or 0 for row in rows]
        top = max(values) or 1
        bars = [
            Bar(label=str(row[0]), display=display(row[self.chart_column]), width=f"{100 * value / top:.1f}")
            for row, value in zip(rows, values, strict=True)
        ]
        title = _("%(table)s: %(column)s") % {"table": self.title, "column": self.columns[self.chart_column]}
        return Chart(title=str(title), bars=bars)


# --- the columns each table shows ----------------------------------------------------------------------------

COLUMN_VALUES = {
    "events_held": lambda f: f.events_held,
    "visits": lambda f: f.visits,
    "voters": lambda f: f.voters,
    "opinions": lambda f: f.opinions,
    "accepted": lambda f: f.accepted,
    "referred": lambda f: f.referred,
    "replied": lambda f: f.replied,
    "resolved": lambda f: f.resolved,
    "resolved_solved": lambda f: f.resolved_solved,
    "resolved_explained": lambda f: f.resolved_explained,
    "still_open": lambda f: f.still_open,
    "overdue": lambda f: f.overdue,
    "closed": lambda f: f.closed,
    "resolution_rate": lambda f: rate(f.resolution_rate),
    "on_time_rate": lambda f: rate(f.on_time_rate),
    "median_days": lambda f: days(f.median_days),
    "satisfaction_rate": lambda f: rate(f.satisfaction_rate),
    "scheduled": lambda f: f.scheduled,
    "present": lambda f: f.present,
    "absent": lambda f: f.absent,
    "substituted": lambda f: f.substituted,
    "unmarked": lambda f: f.unmarked,
    "attendance_rate": lambda f: rate(f.attendance_rate),
}
COLUMN_TERMS = {**TERMS, "replied": _("Replied"), "closed": _("Closed")}

PUBLIC_COLUMNS = [
    "events_held",
    "visits",
    "voters",
    "opinions",
    "accepted",
    "resolved",
    "resolved_solved",
    "resolved_explained",
    "still_open",
    "overdue",
    "resolution_rate",
    "on_time_rate",
    "median_days",
    "satisfaction_rate",
]
BREAKDOWNS: list[tuple[str, Any, Any, list[str], str]] = [
    # (breakdown, title, first column, columns, charted column)
    (
        "month",
        _("By month"),
        _("Month"),
        [
            "events_held",
            "visits",
            "voters",
            "opinions",
            "accepted",
            "resolved",
            "resolved_solved",
            "resolved_explained",
            "still_open",
            "overdue",
            "resolution_rate",
        ],
        "voters",
    ),
    ("station", _("By station"), _("Station"), [*PUBLIC_COLUMNS, "scheduled", "present", "attendance_rate"], "voters"),
    ("site", _("By site"), _("Site"), [*PUBLIC_COLUMNS, "scheduled", "present", "attendance_rate"], "voters"),
    (
        "category",
        _("By category"),
        _("Category"),
        ["visits", "voters", "opinions", "accepted", "resolved", "resolution_rate", "median_days"],
        "opinions",
    ),
    ("channel", _("By channel"), _("Channel"), ["visits", "voters", "opinions"], "voters"),
    (
        "body",
        _("By handling body"),
        _("Handling body"),
        ["referred", "replied", "resolved", "on_time_rate", "median_days", "closed", "satisfaction_rate"],
        "referred",
    ),
    (
        "level",
        _("By deputy level"),
        _("Level"),
        ["scheduled", "present", "absent", "substituted", "unmarked", "attendance_rate"],
        "present",
    ),
]


# The breakdown one level down from a place, as the tables name it (issue 15).
CHILD_TABLES: dict[str, tuple[Any, Any]] = {
    "province": (_("Figures by province"), _("Province")),
    "city": (_("Figures by city"), _("City")),
    "district": (_("Figures by district"), _("County or district")),
    "station": (_("Figures by station"), _("Station")),
}
CHILD_SLUGS = {"province": "provinces", "city": "cities", "district": "districts", "station": "stations"}

Linker = Callable[[str, Row], str | None]


def figures_table(slug: str, title: Any, first: Any, rows: list[Row], columns: list[str], charted: str | None) -> Table:
    return Table(
        slug=slug,
        title=str(title),
        columns=[str(first), *(str(COLUMN_TERMS[c]) for c in columns)],
        rows=[[row.label, *(COLUMN_VALUES[c](row.figures) for c in columns)] for row in rows],
        chart_column=columns.index(charted) + 1 if charted else None,
    )


def headline_table(figures: Figures) -> Table:
    rows: list[list[Any]] = []
    rows.append([str(TERMS["events_held"]), figures.events_held])
    rows.append([str(_("of which duty shifts held")), figures.shifts_held])
    rows.append([str(_("of which site-days with visits outside shifts")), figures.offshift_events])
    for key in ("visits", "voters", "opinions", "not_accepted", "accepted", "referred"):
        rows.append([str(TERMS[key]), getattr(figures, key)])
    for key in ("resolved", "resolved_solved", "resolved_explained", "still_open", "overdue"):
        rows.append([str(TERMS[key]), getattr(figures, key)])
    for key in ("resolution_rate", "on_time_rate", "median_days", "satisfaction_rate"):
        rows.append([str(TERMS[key]), COLUMN_VALUES[key](figures)])
    for key in ("scheduled", "present", "absent"):
        rows.append([str(TERMS[key]), getattr(figures, key)])
    for reason in AbsenceReason:
        label = _("absent: %(reason)s") % {"reason": reason.label}
        rows.append([str(label), figures.absent_by_reason.get(reason.value, 0)])
    for key in ("substituted", "unmarked", "attendance_rate"):
        rows.append([str(TERMS[key]), COLUMN_VALUES[key](figures)])
    return Table(
        slug="headline", title=str(_("Headline figures")), columns=[str(_("Figure")), str(_("Value"))], rows=rows
    )


STAFF_CHILD_COLUMNS = [*PUBLIC_COLUMNS, "scheduled", "present", "attendance_rate"]


def staff_tables(*, scope: Scope, period: Period, link: Linker | None = None) -> list[Table]:
    """The headline table and every breakdown that makes sense for the scope. Above a district the breakdown one
    level down (provinces, cities or districts, each row linked by `link`) takes the place of the station and
    site tables, which would list a province's every site; the handling bodies' table is left out there too
    (bodies belong to districts: a province's would list every body of every district, 200,000 cells a year
    to add up at full size — 4-6 s; a district's is read in 40-65 ms).

    The tables come from the cache while no figure they show has changed (`caching.remembered` under the scopes of
    `_staff_table_scopes`, which every write that changes such a figure renews, and the clock's): a province's year is 3-6 s of
    reading and adding up cells at full size, the same for every administrator who may see it. The links are
    made per request, from the user's own choices."""
    tables = caching.remembered(
        f"staff-tables\n{scope.key}\n{period.slug}",
        scopes=_staff_table_scopes(scope),
        compute=lambda: _staff_tables(scope, period),
    )
    if link is None:
        return tables
    # The cached tables may be shared by this process's requests: each gets its own copies to put its links on.
    tables = [replace(table) for table in tables]
    for table in tables:
        if table.link_by is not None:
            table.links = [link(table.link_by, row) for row in table.link_rows]
    return tables


def _staff_table_scopes(scope: Scope) -> list[str]:
    """A district's, station's or site's tables change with that district's cells and with what any figures name
    (FIGURE_LABELS); a region's with any district's (STATS, renewed by every change of a figure)."""
    if scope.district is not None:
        return [caching.FIGURE_LABELS, caching.district_figures_scope(scope.district.pk)]
    return [caching.STATS]


def _staff_tables(scope: Scope, period: Period) -> list[Table]:
    tables = [headline_table(headline(scope=scope, period=period))]
    children = scope.children_by
    for by, title, first, columns, charted in BREAKDOWNS:
        if by == "site" and scope.kind != "station":
            continue
        if by == "body" and scope.kind not in ("district", "station", "site"):
            continue
        if by == "station":
            if children is None:
                continue
            if children != "station":
                title, first = CHILD_TABLES[children]
                by, columns = children, STAFF_CHILD_COLUMNS
        rows = breakdown(scope=scope, period=period, by=by)
        table = figures_table(CHILD_SLUGS.get(by, by) if by != "station" else by, title, first, rows, columns, charted)
        if by in CHILD_SLUGS:
            table.link_by, table.link_rows = by, rows
        tables.append(table)
    themes = theme_breakdown(scope=scope, period=period)
    if themes:  # a period whose years have no theme has nothing to break down
        tables.append(theme_table(themes))
    return tables


def public_table(
    *,
    district_figures: Figures,
    district_name: str,
    station_rows: list[Row],
    by: str = "station",
    link: Linker | None = None,
) -> Table:
    """The place's total above one row per place one level down (stations of a district, districts of a city,
    cities of a province…), each linked down by `link`."""
    title, first = CHILD_TABLES[by]
    table = figures_table(CHILD_SLUGS[by], title, first, station_rows, PUBLIC_COLUMNS, charted="voters")
    district_row = [district_name, *(COLUMN_VALUES[c](district_figures) for c in PUBLIC_COLUMNS)]
    table.rows.insert(0, district_row)
    table.total_first = True
    if link is not None:
        table.links = [None, *(link(by, row) for row in station_rows)]
    return table


# --- exports ---------------------------------------------------------------------------------------------------


def _sheet_title(title: str, used: set[str]) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    candidate, n = cleaned, 2
    while candidate in used:
        candidate = f"{cleaned[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate


def to_xlsx(tables: list[Table], *, heading: str) -> bytes:
    """One sheet per table, numbers as numbers (rates with a percentage format), then the definitions."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append([heading])
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = bold
        for row in table.rows:
            xlsx_append(sheet, [EMPTY if value is None else value for value in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, Rate):
                    cell.number_format = "0.0%"
                elif isinstance(value, Days):
                    cell.number_format = "0.0"
        sheet.column_dimensions["A"].width = 28
    sheet = workbook.create_sheet(_sheet_title(str(_("Definitions")), used))
    sheet.append([str(_("Figure")), str(_("Definition"))])
    for _key, term, text in [*DEFINITIONS, *THEME_DEFINITIONS]:
        sheet.append([str(term), str(text)])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    return xlsx_bytes(workbook)


# --- annual themes (issue 16) ------------------------------------------------------------------------------------


def theme_table(rows: list[ThemeRow]) -> Table:
    """Receptions, visits, voters and opinions by the year's activity themes, then the records without one."""
    return Table(
        slug="theme",
        title=str(_("By annual theme")),
        columns=[
            str(_("Theme")),
            str(_("Receptions tagged")),
            str(_("Visits tagged")),
            str(TERMS["voters"]),
            str(_("Opinions tagged")),
            str(TERMS["resolved"]),
        ],
        rows=[[row.label, row.receptions, row.visits, row.voters, row.opinions, row.resolved] for row in rows],
        chart_column=4,
    )
