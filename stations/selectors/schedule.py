"""Schedule look-ups shared by the home page, site pages and the public schedule."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from stations.clock import local_date, local_today, start_of_day
from stations.models import Attendance, Deputy, District, Duty, DutyShift, Roster, Site, SiteKind
from stations.models.rosters import DEFAULT_RECEPTION_DAY, DutyShiftQuerySet
from stations.models.sites import network_ordering
from stations.selectors.rosters import NOT_THERE, shifts_with_duties


def default_reception_day(today: dt.date) -> dt.date:
    """The next 20th on or after `today` ("每月20日，不见不散")."""
    if today.day <= DEFAULT_RECEPTION_DAY:
        return today.replace(day=DEFAULT_RECEPTION_DAY)
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_of_next.replace(day=DEFAULT_RECEPTION_DAY)


def next_reception_day(today: dt.date | None = None) -> dt.date:
    """The next day on which a published shift starts; the next 20th when nothing is published yet."""
    today = today or local_today()
    first = (
        DutyShift.objects.published()
        .filter(start__gte=start_of_day(today))
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )
    if first is None:
        return default_reception_day(today)
    return local_date(first)


def towns(district: District) -> list[Site]:
    """The district's stations as a voter knows them, by their town or street (one station per town), in network
    order: a district's towns, tens of them, never the province's."""
    return list(
        Site.objects.active()
        .filter(kind=SiteKind.STATION, district=district)
        .order_by("town", "name", "pk")
        .only("slug", "town", "name", "district_id")
    )


def next_day_in_town(station: Site, today: dt.date | None = None) -> tuple[dt.date, list[DutyShift]]:
    """The next day on which a published reception starts at the station or any room or point under it, and
    every reception of the station's sites that day (the next 20th and none before anything is published)."""
    today = today or local_today()
    # An indexed equality on the site's station (the OR over parent and grandparent it replaces led PostgreSQL
    # into nested loops over every shift of the district).
    in_town = published_shifts().filter(roster__site__station=station, roster__site__is_active=True)
    first = in_town.filter(start__gte=start_of_day(today)).order_by("start").values_list("start", flat=True).first()
    if first is None:
        return default_reception_day(today), []
    day = local_date(first)
    shifts = shifts_with_duties(in_town.on_date(day)).order_by(*network_ordering("roster__site__"), "start")
    return day, list(shifts)


def published_shifts() -> DutyShiftQuerySet:
    return DutyShift.objects.published()


def shifts_on_day(day: dt.date) -> QuerySet[DutyShift]:
    """Every site open on `day`, grouped by station then site, with the deputies on duty."""
    return shifts_with_duties(published_shifts().on_date(day)).order_by(*network_ordering("roster__site__"), "start")


def duties_of(deputy: Deputy) -> DutyShiftQuerySet:
    """Published shifts the deputy serves on: their own duties, or standing in for someone."""
    served = Duty.objects.filter(
        Q(deputy=deputy) & ~Q(attendance__in=NOT_THERE) | Q(substitute=deputy, attendance=Attendance.SUBSTITUTED)
    )
    return published_shifts().filter(pk__in=served.values("shift_id"))


def upcoming_for_site(site: Site, limit: int = 12) -> list[DutyShift]:
    return list(shifts_with_duties(published_shifts().filter(roster__site=site).upcoming())[:limit])


def upcoming_for_deputy(deputy: Deputy, limit: int = 12) -> list[DutyShift]:
    return list(shifts_with_duties(duties_of(deputy).upcoming())[:limit])


def year_roster(site: Site, year: int) -> list[DutyShift]:
    return list(shifts_with_duties(published_shifts().filter(roster__site=site, roster__year=year)).order_by("start"))


def roster_year_for(site: Site, today: dt.date | None = None) -> int:
    """The year whose roster a site's public pages show: this year, or next year once this year's receptions
    are over and next year's roster is out."""
    today = today or local_today()
    upcoming = published_shifts().filter(roster__site=site).upcoming().values_list("roster__year", flat=True).first()
    return upcoming or today.year


def published_years(site: Site) -> tuple[list[int], int]:
    """The years of the site's published rosters that still matter to voters (last year and later), and the
    one its pages show by default (as `roster_year_for`: the year of the next reception), in one query."""
    now = timezone.now()
    rows = list(
        Roster.objects.filter(site=site, published_at__isnull=False, year__gte=local_today().year - 1)
        .annotate(last_end=Max("shifts__end", filter=Q(shifts__cancelled=False)))
        .order_by("year")
        .values_list("year", "last_end")
    )
    upcoming = [year for year, last_end in rows if last_end is not None and last_end >= now]
    return [year for year, _last in rows], upcoming[0] if upcoming else local_today().year


def group_by_station(shifts: list[DutyShift]) -> list[tuple[Site, list[DutyShift]]]:
    """[(station, its shifts)], stations in the order their first shift comes; needs `shifts_with_duties`."""
    groups: dict[int, tuple[Site, list[DutyShift]]] = {}
    for shift in shifts:
        station = shift.roster.site.station
        groups.setdefault(station.pk, (station, []))[1].append(shift)
    return list(groups.values())


def site_page_url(site: Site) -> str:
    """The site's public page. The page itself comes with the network work; until its URL exists the site's
    schedule stands in, so posters and feeds never break."""
    try:
        return site.get_absolute_url()
    except NoReverseMatch:
        return f"{reverse('stations:schedule')}?site={site.slug}"
