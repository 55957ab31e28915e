"""Figures of the seed's other practices (issue 16), computed by the database: records by annual theme,
pairing of deputies with voters by station, and deputies' activities beyond receptions.

Like stations.selectors.stats, every figure is an aggregation query grouped by what the table needs; Python
loops only over the groups (themes, stations, deputies). The definitions below are shown on the pages and
copied into the README.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from stations.models import (
    ActivityKind,
    Deputy,
    DeputyActivity,
    District,
    DutyShift,
    Pairing,
    PairingContact,
    PairingDeed,
    Site,
    SiteKind,
    Theme,
)
from stations.models.sites import network_ordering
from stations.selectors.stats import (
    RESOLVED_STATES,
    Period,
    Scope,
    ScopeKind,
    opinions_in,
    visits_in,
)

THEME_DEFINITIONS: list[tuple[str, Any, Any]] = [
    (
        "theme",
        _("Annual activity theme"),
        _(
            "A theme of the district's central work chosen for a year, by the district (for every station) or by a station. Staff tag receptions, visits and opinions with the year's themes; a record may carry several themes and then counts under each, so the theme rows may add up to more than the whole."
        ),
    ),
    (
        "theme_receptions",
        _("Receptions tagged"),
        _(
            "Duty shifts in the period, not cancelled, tagged with the theme (a shift counts in the period in which it starts)."
        ),
    ),
    (
        "theme_visits",
        _("Visits tagged"),
        _(
            "Visits recorded in the period and tagged with the theme; archived visits do not count. Voters: the sum of their number of people."
        ),
    ),
    (
        "theme_opinions",
        _("Opinions tagged"),
        _(
            "Opinions received in the period and tagged with the theme (an opinion raised at a tagged visit carries the visit's themes); resolved as in the headline figures."
        ),
    ),
]

PAIRING_DEFINITIONS: list[tuple[str, Any, Any]] = [
    (
        "deputies_paired",
        _("Deputies paired"),
        _("Deputies with at least one pairing in force on some day of the period, each counted once per station."),
    ),
    (
        "voters_paired",
        _("Voters paired"),
        _(
            "Pairings in force on some day of the period: one per voter, a household counts once (its people are shown beside it)."
        ),
    ),
    ("contacts", _("Contacts"), _("Contacts between paired deputies and their voters dated in the period.")),
    (
        "deeds",
        _("Things done"),
        _(
            "Concrete things the paired deputies did for their voters (办实事), dated in the period, whatever the outcome."
        ),
    ),
]

ACTIVITY_DEFINITIONS: list[tuple[str, Any, Any]] = [
    (
        "activities",
        _("Other activities"),
        _(
            "Activities of the deputy registered besides receptions (study sessions at the station, inspections, research, meetings with voters elsewhere), dated in the year."
        ),
    ),
]


# --- themes ---------------------------------------------------------------------------------------------------


def themes_for_scope(scope: Scope, years: Iterable[int]) -> QuerySet[Theme]:
    """The themes a scope works on in the given years: every theme of the districts in a region (or the whole
    portal), all of the district's for a district, otherwise the district's own and those the station chose."""
    if scope.kind in (ScopeKind.ALL, ScopeKind.REGION):
        districts = scope.sites().order_by().values("district_id")
        return Theme.objects.filter(district__in=districts, year__in=list(years)).order_by("year", "position", "name")
    themes = Theme.objects.filter(district=scope.district, year__in=list(years))
    if scope.kind != ScopeKind.DISTRICT:
        assert scope.site is not None
        themes = themes.for_station(scope.site.station)
    return themes.order_by("year", "position", "name")


def station_themes(station: Site, year: int) -> list[Theme]:
    """What the public site page shows: the year's themes of the site's station."""
    return list(Theme.objects.of_year(year).for_station(station).order_by("position", "name"))


@dataclass
class ThemeRow:
    key: int | None
    label: str
    receptions: int = 0
    visits: int = 0
    voters: int = 0
    opinions: int = 0
    resolved: int = 0


def _count(qs: QuerySet[Any], value: Any = None) -> Coalesce:
    """A scalar subquery: how many rows (or the sum of `value`) the queryset holds, 0 when none."""
    aggregate = Sum(value) if value is not None else Count("pk")
    return Coalesce(Subquery(qs.order_by().annotate(_one=Value(1)).values("_one").annotate(n=aggregate).values("n")), 0)


def theme_breakdown(*, scope: Scope, period: Period) -> list[ThemeRow]:
    """One row per theme of the period's years (every theme listed, even at zero), then the records carrying no
    theme. One query, whatever the number of records: each theme's counts are correlated subqueries through the
    tag tables' theme index (themes are a handful a year), the untagged counts scalar subqueries computed once."""
    years = range(period.first.year, period.last.year + 1)
    site_ids = scope.sites().values("pk")
    shifts = DutyShift.objects.filter(
        roster__site__in=site_ids, start__gte=period.start, start__lt=period.end, cancelled=False
    )
    visits = visits_in(scope, period)
    opinions = opinions_in(scope, period)
    resolved = opinions.filter(state__in=RESOLVED_STATES)
    tagged = {"themes": OuterRef("pk")}
    untagged = {"themes__isnull": True}
    found = (
        themes_for_scope(scope, years)
        .annotate(
            n_receptions=_count(shifts.filter(**tagged)),
            n_visits=_count(visits.filter(**tagged)),
            n_voters=_count(visits.filter(**tagged), "people"),
            n_opinions=_count(opinions.filter(**tagged)),
            n_resolved=_count(resolved.filter(**tagged)),
            u_receptions=_count(shifts.filter(**untagged)),
            u_visits=_count(visits.filter(**untagged)),
            u_voters=_count(visits.filter(**untagged), "people"),
            u_opinions=_count(opinions.filter(**untagged)),
            u_resolved=_count(resolved.filter(**untagged)),
        )
        .values_list(
            "pk",
            "year",
            "name",
            "n_receptions",
            "n_visits",
            "n_voters",
            "n_opinions",
            "n_resolved",
            "u_receptions",
            "u_visits",
            "u_voters",
            "u_opinions",
            "u_resolved",
        )
    )
    several_years = period.first.year != period.last.year
    rows: list[ThemeRow] = []
    for pk, year, name, *counts in found:
        rows.append(ThemeRow(pk, f"{year} {name}" if several_years else name, *counts[:5]))
        untagged_counts = counts[5:]
    if rows:
        rows.append(ThemeRow(None, str(_("Not tagged with a theme")), *untagged_counts))
    return rows


# --- pairing --------------------------------------------------------------------------------------------------


@dataclass
class PairingRow:
    key: int | None
    label: str
    deputies_paired: int = 0
    voters_paired: int = 0
    households: int = 0
    household_people: int = 0
    contacts: int = 0
    deeds: int = 0
    slug: str = ""  # a district's, when the rows are districts: the link that narrows the page to it


def pairing_figures(*, sites: QuerySet[Site], period: Period, by_district: bool = False) -> list[PairingRow]:
    """Pairing figures per station of `sites` (a station with its rooms and points), or per district of them
    (`by_district`: a province's 1,000 stations are no table), and a total row first when there are several
    rows. Four grouped queries whatever the number of pairings."""
    site_ids = sites.values("pk")
    if by_district:
        groups = District.objects.filter(pk__in=sites.values("district_id")).order_by("name", "pk")
        rows = {pk: PairingRow(pk, name, slug=slug) for pk, name, slug in groups.values_list("pk", "name", "slug")}
        key = "district"
    else:
        stations = Site.objects.filter(kind=SiteKind.STATION, pk__in=sites.values("station_id"))
        rows = {
            pk: PairingRow(pk, name) for pk, name in stations.order_by(*network_ordering()).values_list("pk", "name")
        }
        key = "station"
    pairings = Pairing.objects.filter(site__in=site_ids).active_between(period.first, period.last)
    for found in (
        pairings.values(f"site__{key}")
        .annotate(
            deputies=Count("deputy", distinct=True),
            voters=Count("pk"),
            households=Count("pk", filter=Q(kind="household")),
            people=Coalesce(Sum("household_size", filter=Q(kind="household")), 0),
        )
        .order_by()
    ):
        if (target := rows.get(found[f"site__{key}"])) is not None:
            target.deputies_paired, target.voters_paired = found["deputies"], found["voters"]
            target.households, target.household_people = found["households"], found["people"]
    for model, attr in ((PairingContact, "contacts"), (PairingDeed, "deeds")):
        dated = model.objects.filter(
            pairing__site__in=site_ids, happened_on__gte=period.first, happened_on__lte=period.last
        )
        for group, n in dated.values_list(f"pairing__site__{key}").annotate(n=Count("pk")).order_by():
            if (target := rows.get(group)) is not None:
                setattr(target, attr, n)
    result = list(rows.values())
    if len(result) > 1:
        total = PairingRow(None, str(_("All districts") if by_district else _("All stations")))
        # A deputy paired at two stations counts once in the total.
        total.deputies_paired = pairings.values("deputy").distinct().count()
        for row in result:
            total.voters_paired += row.voters_paired
            total.households += row.households
            total.household_people += row.household_people
            total.contacts += row.contacts
            total.deeds += row.deeds
        result.insert(0, total)
    return result


def pairing_list(pairings: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """Pairings for a list page: with their deputy and site, and how many contacts and things done each has."""
    return pairings.select_related("deputy", "site").annotate(
        contact_count=Count("contacts", distinct=True), deed_count=Count("deeds", distinct=True)
    )


# --- deputies' activities -------------------------------------------------------------------------------------


@dataclass
class ActivitySummary:
    total: int = 0
    by_kind: list[tuple[str, str, int]] = field(default_factory=list)
    hours: float = 0.0
    entries: list[DeputyActivity] = field(default_factory=list)


def deputy_activities(*, deputy: Deputy, year: int) -> ActivitySummary:
    """The deputy's registered activities of a year, counted by kind, with the entries themselves."""
    period = Period.year(year)
    activities = DeputyActivity.objects.filter(deputy=deputy, held_on__gte=period.first, held_on__lte=period.last)
    counts = dict(activities.values_list("kind").annotate(n=Count("pk")).order_by())
    hours = activities.aggregate(h=Sum("hours"))["h"]
    return ActivitySummary(
        total=sum(counts.values()),
        by_kind=[(kind.value, str(kind.label), counts.get(kind.value, 0)) for kind in ActivityKind],
        hours=float(hours or 0),
        entries=list(activities.select_related("site").order_by("held_on", "pk")),
    )


def activity_counts(*, year: int, deputies: QuerySet[Deputy]) -> dict[int, int]:
    """Activities per deputy in a year, in one grouped query (for the attendance table)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return dict(
        DeputyActivity.objects.filter(deputy__in=deputies, held_on__gte=first, held_on__lte=last)
        .values_list("deputy")
        .annotate(n=Count("pk"))
        .order_by()
    )


def deputy_pairing_summary(*, deputy: Deputy, year: int) -> dict[str, int]:
    """The deputy's pairing in a year: voters paired, contacts and things done."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return {
        "voters_paired": Pairing.objects.filter(deputy=deputy).active_between(first, last).count(),
        "contacts": PairingContact.objects.filter(
            pairing__deputy=deputy, happened_on__gte=first, happened_on__lte=last
        ).count(),
        "deeds": PairingDeed.objects.filter(
            pairing__deputy=deputy, happened_on__gte=first, happened_on__lte=last
        ).count(),
    }
