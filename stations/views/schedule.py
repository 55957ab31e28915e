"""Public duty schedule: who is on duty where and when, calendar feeds and the printable wall poster."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from stations.calendars import build_calendar
from stations.forms.rosters import ScheduleFilterForm
from stations.models import CalendarFeed, Deputy, District, DutyShift, Site
from stations.models.sites import LEVEL_ORDER
from stations.paging import bounded_page
from stations.portal import portal_url
from stations.selectors.rosters import shifts_with_duties
from stations.selectors.schedule import (
    duties_of,
    group_by_station,
    next_day_in_town,
    next_reception_day,
    published_shifts,
    roster_year_for,
    shifts_on_day,
    site_page_url,
    towns,
    upcoming_for_deputy,
    upcoming_for_site,
    year_roster,
)

# Calendar feeds reach back a little so a phone still shows last month's reception.
FEED_PAST_DAYS = 92


# The town a voter chose, remembered for a year so that the schedule opens on it next time (not personal data:
# a station's slug, the same for everybody in the town).
TOWN_COOKIE = "schedule_town"
TOWN_COOKIE_AGE = 365 * 24 * 3600
# Queries that ask for a day's list or a site's or deputy's receptions (kept as printed posters and old links
# point at them); `town` and `district` alone choose the town.
DAY_FILTERS = ("date", "site", "deputy")
# A day's receptions a page at a time: a district holds hundreds of sites, a province ten thousand (issue 15).
SHIFTS_PER_PAGE = 30
# Towns (or districts) to choose from, a page at a time; Nanhu's 15 towns fit one page.
TOWNS_PER_PAGE = 30


def _district(request: HttpRequest, districts: list[District]) -> District | None:
    """`?district=<slug>` (404 when unknown), else the only district of a portal that holds one."""
    slug = request.GET.get("district", "")
    if slug:
        found = next((district for district in districts if district.slug == slug), None)
        if found is None:
            raise Http404
        return found
    return districts[0] if len(districts) == 1 else None


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """Opens on the voter's town: its next reception day (a town chooser first, the town remembered in a
    cookie); `?date=` a day's receptions in a district, a town or at a site (a page at a time), `?site=<slug>`,
    `?deputy=<slug>` their coming receptions."""
    districts = list(District.objects.order_by("name", "pk"))
    if not any(key in request.GET for key in DAY_FILTERS):
        return _town_schedule(request, districts)
    raw = ScheduleFilterForm(request.GET)
    raw.is_valid()  # a bad date shows its error next to the field; the other filters still apply
    data = raw.cleaned_data
    site = (
        get_object_or_404(Site.objects.active().select_related("district"), slug=data["site"])
        if data.get("site")
        else None
    )
    town = (
        get_object_or_404(Site.objects.active().stations().select_related("district"), slug=data["town"])
        if data.get("town") and not site
        else None
    )
    deputy = get_object_or_404(Deputy.objects.active(), slug=data["deputy"]) if data.get("deputy") else None
    district = site.district if site else town.district if town else _district(request, districts)
    form = ScheduleFilterForm(request.GET, district=district)
    form.is_valid()
    day = data.get("date")
    page = None

    if day is None and (site or deputy):
        # A site's or a deputy's own schedule: their coming receptions rather than one day.
        if site and not deputy:
            shifts = upcoming_for_site(site)
        else:
            assert deputy is not None  # site or deputy, and not the site alone
            shifts = upcoming_for_deputy(deputy)
        if site and deputy:
            shifts = [shift for shift in shifts if shift.roster.site_id == site.pk]
        mode = "upcoming"
    else:
        day = day or next_reception_day()
        queryset = shifts_on_day(day)
        # The sites' ids are read first (one indexed query): given as constants, PostgreSQL plans the day's shifts
        # through their roster and site indexes; a join on the site's district or station was planned as nested
        # loops over every shift on freshly filled tables (minutes in CI).
        if site:
            queryset = queryset.filter(roster__site=site)
        elif town:
            queryset = queryset.filter(
                roster__site_id__in=list(Site.objects.under_station(town).values_list("pk", flat=True))
            )
        elif district:
            queryset = queryset.filter(roster__site_id__in=list(district.sites.values_list("pk", flat=True)))
        elif not deputy:
            queryset = queryset.none()  # several districts and none chosen: the page asks for one
        if deputy:
            queryset = queryset.filter(pk__in=duties_of(deputy).values("pk"))
        page = bounded_page(queryset, SHIFTS_PER_PAGE, request.GET.get("page"))
        shifts = list(page.object_list)
        mode = "day"
    next_day = next_reception_day() if mode == "day" and not shifts else None
    return render(
        request,
        "stations/rosters/schedule.html",
        {
            "form": form,
            "site": site,
            "town": town,
            "district": district,
            "districts": districts if district is None and not (site or deputy) else [],
            "deputy": deputy,
            "day": day,
            "mode": mode,
            "page": page,
            "shifts": shifts,
            "groups": group_by_station(shifts) if mode == "day" and not site else [],
            "next_day": next_day if next_day != day else None,
            "site_page_url": site_page_url(site) if site else "",
        },
    )


def _town_schedule(request: HttpRequest, districts: list[District]) -> HttpResponse:
    """`/schedule/` and `?town=<station slug>`: the chosen town's next reception day, or the town chooser (the
    towns of one district: `?district=` or the district of the town chosen, when the portal holds several)."""
    asked = "town" in request.GET
    slug = request.GET.get("town", "") if asked else request.COOKIES.get(TOWN_COOKIE, "")
    district = _district(request, districts)
    station = None
    town_list: list[Site] = []
    if district is not None:
        town_list = towns(district)
        station = next((town for town in town_list if town.slug == slug), None) if slug else None
    elif slug:  # several districts: the town names its own
        station = Site.objects.active().stations().filter(slug=slug).select_related("district").first()
        if station is not None:
            district = station.district
            town_list = towns(district)
    if asked and slug and station is None:
        raise Http404  # a stale printed link says so plainly; a stale cookie is simply forgotten
    # The chooser: a page of towns (a select too while they fit one page), a page of districts before that.
    towns_page = bounded_page(town_list, TOWNS_PER_PAGE, request.GET.get("page"))
    context: dict[str, Any] = {
        "towns": towns_page.object_list,
        "towns_page": towns_page,
        "district": district,
        "districts": bounded_page(districts, TOWNS_PER_PAGE, request.GET.get("page")) if len(districts) > 1 else [],
        "station": station,
        "mode": "town",
        "district_day": None,
    }
    if station is not None:
        day, shifts = next_day_in_town(station)
        context.update({"day": day, "shifts": shifts, "groups": []})
    else:
        context["district_day"] = next_reception_day()
    response = render(request, "stations/rosters/schedule.html", context)
    if station is not None and asked:
        response.set_cookie(TOWN_COOKIE, station.slug, max_age=TOWN_COOKIE_AGE, samesite="Lax", httponly=True)
    elif asked or (slug and station is None):
        response.delete_cookie(TOWN_COOKIE, samesite="Lax")
    return response


def _ics_response(
    request: HttpRequest, *, name: str, filename: str, shifts, alarm_before: dt.timedelta | None = None
) -> HttpResponse:
    since = timezone.now() - dt.timedelta(days=FEED_PAST_DAYS)
    shifts = shifts_with_duties(shifts.filter(end__gte=since)).order_by("start")

    def url_for(shift: DutyShift) -> str:
        return portal_url(site_page_url(shift.roster.site))

    body = build_calendar(name=name, shifts=shifts, url_for=url_for, alarm_before=alarm_before)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_GET
def site_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    site = get_object_or_404(Site.objects.active(), slug=slug)
    return _ics_response(
        request,
        name=_("Receptions at %(site)s") % {"site": site.name},
        filename=f"{site.slug}.ics",
        shifts=published_shifts().filter(roster__site=site),
    )


@require_GET
def deputy_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    deputy = get_object_or_404(Deputy.objects.active(), slug=slug)
    return _ics_response(
        request,
        name=_("Duties of %(deputy)s") % {"deputy": deputy.name},
        filename=f"{deputy.slug}.ics",
        shifts=duties_of(deputy),
    )


@never_cache
@require_GET
def deputy_private_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """A deputy's private feed (the address is the key; revoked or unknown: 404): their duties with a reminder
    the day before each, for the calendar app on their phone."""
    feed = get_object_or_404(
        CalendarFeed.objects.filter(revoked_at__isnull=True, deputy__is_active=True).select_related("deputy"),
        token=token,
    )
    return _ics_response(
        request,
        name=_("My duties (%(deputy)s)") % {"deputy": feed.deputy.name},
        filename="my-duties.ics",
        shifts=duties_of(feed.deputy),
        alarm_before=dt.timedelta(days=1),
    )


@require_GET
def site_poster(request: HttpRequest, slug: str) -> HttpResponse:
    """The A4 wall poster of a site: its deputies, the year's reception days, and a QR code to its page."""
    site = get_object_or_404(Site.objects.active().select_related("station"), slug=slug)
    year = roster_year_for(site)
    if request.GET.get("year", "").isdigit():
        year = int(request.GET["year"])
    deputies = list(Deputy.objects.active().filter(assignments__site=site).prefetch_related("mandates").distinct())
    deputies.sort(
        key=lambda deputy: (min((LEVEL_ORDER.get(m.level, 9) for m in deputy.mandates.all()), default=9), deputy.name)
    )
    # PORTAL_URL, not the address of the computer that prints: a poster printed at a desk on 127.0.0.1 or an
    # intranet name must still work from a voter's phone.
    page_url = portal_url(site_page_url(site))
    qr = segno.make(page_url, error="m").svg_inline(
        scale=4, border=2, omitsize=True, svgclass="poster-qr", title=_("QR code: %(url)s") % {"url": page_url}
    )
    return render(
        request,
        "stations/rosters/poster.html",
        {
            "site": site,
            "year": year,
            "shifts": year_roster(site, year),
            "deputies": deputies,
            "page_url": page_url,
            # A room without its own line gives its station's: voters call the station.
            "phone": site.phone or site.station.phone,
            # segno escapes the title it writes into the SVG; nothing else in it comes from users.
            "qr_svg": mark_safe(qr),  # noqa: S308
            "schedule_url": f"{reverse('stations:schedule')}?site={site.slug}",
        },
    )
