"""The network (sites with the areas they serve), the published reception days with the deputies on duty, and the
public figures with their definitions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.params.functions import Query

from stations.api import schemas
from stations.api.errors import ApiError
from stations.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, counted_window, envelope
from stations.bounds import EARLIEST, LATEST
from stations.clock import local_today, start_of_day
from stations.forms.stats import public_form
from stations.models import Area, District, Duty, DutyShift, Site, SiteKind
from stations.models.sites import network_ordering
from stations.selectors import stats
from stations.selectors.stats import DEFINITIONS, Figures, Scope
from stations.stats_tables import PUBLIC_COLUMNS

router = Router(tags=["network"])

PAGE = Query(1, ge=1, le=MAX_PAGE, description="The page, from 1.")
PAGE_SIZE = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE}.")


def site_url(request: HttpRequest, slug: str) -> str:
    return request.build_absolute_uri(reverse("stations:site_detail", kwargs={"slug": slug}))


def _public_sites():
    areas = Prefetch("areas", queryset=Area.objects.order_by("town", "name", "pk"))
    return Site.objects.active().select_related("parent__parent").prefetch_related(areas)


def site_out(request: HttpRequest, site: Site) -> dict[str, Any]:
    station = site.parent.parent if site.parent and site.parent.parent else site.parent or site
    return {
        "id": site.slug,
        "name": site.name,
        "kind": site.kind,
        "parent_id": site.parent.slug if site.parent else None,
        "station_id": station.slug,
        "town": site.town,
        "address": site.address,
        "latitude": float(site.latitude) if site.latitude is not None else None,
        "longitude": float(site.longitude) if site.longitude is not None else None,
        "sector": site.sector,
        "established": site.established,
        "online": site.accepts_online,
        "areas_served": [{"name": a.name, "kind": a.kind, "town": a.town} for a in site.areas.all()],
        "url": site_url(request, site.slug),
    }


@router.get("/sites", response={200: schemas.SitePage, **schemas.ERRORS}, summary="Sites: stations, rooms and points")
def site_list(
    request: HttpRequest,
    q: str = Query("", max_length=100, description="A village, community, town or site name."),
    kind: SiteKind | None = Query(None, description="Only stations, rooms or points."),
    station: str = Query("", max_length=80, description="Only this station (its id) with its rooms and points."),
    online: bool | None = Query(None, description="Only sites that take opinions online (true) or that do not."),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Active sites in the network's reading order: a station, then its rooms, then its points. `parent_id` and
    `station_id` rebuild the tree."""
    sites = _public_sites().search(q)
    if kind:
        sites = sites.filter(kind=kind)
    if station:
        top = Site.objects.stations().filter(slug=station).first()
        if top is None:
            raise Http404(_("No station with this id."))
        sites = sites.under_station(top)
    if online is not None:
        online_ids = Site.objects.accepting_online().values("pk")
        sites = sites.filter(pk__in=online_ids) if online else sites.exclude(pk__in=online_ids)
    found = counted_window(sites, page=page, page_size=page_size)
    rows = sites.order_by(*network_ordering(), "pk")[found.offset : found.stop]
    return envelope(request, found, [site_out(request, site) for site in rows])


@router.get("/sites/{site_id}", response={200: schemas.SiteOut, **schemas.ERRORS}, summary="One site")
def site_detail(request: HttpRequest, site_id: str) -> dict[str, Any]:
    return site_out(request, get_object_or_404(_public_sites(), slug=site_id))


# --- reception days -----------------------------------------------------------------------------------------


def _bounded(day: dt.date | None, name: str) -> dt.date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ApiError(
            400,
            _("%(name)s: a date between %(first)s and %(last)s.") % {"name": name, "first": EARLIEST, "last": LATEST},
        )
    return day


@router.get(
    "/shifts", response={200: schemas.ShiftPage, **schemas.ERRORS}, summary="Reception days and the deputies on duty"
)
def shift_list(
    request: HttpRequest,
    date_from: dt.date | None = Query(None, description="From this day (default: today)."),
    date_to: dt.date | None = Query(None, description="Up to and including this day."),
    site: str = Query("", max_length=80, description="Only this site (its id)."),
    station: str = Query("", max_length=80, description="Only this station (its id) with its rooms and points."),
    deputy: str = Query("", max_length=80, description="Only the receptions of this deputy (a person id)."),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Published rosters only (a draft roster is not public), cancelled receptions left out; by start time."""
    first = _bounded(date_from, "date_from") or local_today()
    last = _bounded(date_to, "date_to")
    shifts = DutyShift.objects.published().filter(start__gte=start_of_day(first))
    if last is not None:
        if last < first:
            raise ApiError(400, _("date_to: the last day cannot be before the first."))
        shifts = shifts.filter(start__lt=start_of_day(last + dt.timedelta(days=1)))
    if site:
        shifts = shifts.filter(roster__site__slug=site)
    if station:
        top = Site.objects.stations().filter(slug=station).first()
        if top is None:
            raise Http404(_("No station with this id."))
        shifts = shifts.filter(roster__site__in=Site.objects.under_station(top))
    if deputy:
        shifts = shifts.filter(duties__deputy__slug=deputy)
    found = counted_window(shifts, page=page, page_size=page_size)
    duties = Prefetch("duties", queryset=Duty.objects.select_related("deputy").order_by("deputy__name", "pk"))
    rows = shifts.select_related("roster__site").prefetch_related(duties).order_by("start", "pk")
    results = [
        {
            "id": shift.pk,
            "site_id": shift.roster.site.slug,
            "site_name": shift.roster.site.name,
            "start": shift.start,
            "end": shift.end,
            "moved_from": shift.original_start if shift.was_moved else None,
            "deputies": [{"person_id": d.deputy.slug, "name": d.deputy.name} for d in shift.duties.all()],
        }
        for shift in rows[found.offset : found.stop]
    ]
    return envelope(request, found, results)


# --- figures ------------------------------------------------------------------------------------------------


def _figures(figures: Figures) -> dict[str, float | int | None]:
    values: dict[str, float | int | None] = {}
    for key in [*PUBLIC_COLUMNS, "not_accepted", "referred"]:
        value = getattr(figures, key)
        # Rates and medians to four places: 0.3333, not 0.3333333333333333.
        values[key] = round(value, 4) if isinstance(value, float) else value
    return values


# A district's figures come with one row per station: a page holds a few districts, so that a province's hundred
# (440 KB and 1,201 queries in one answer at full size) are read a page at a time.
FIGURES_PAGE_SIZE = 20


@router.get(
    "/figures", response={200: schemas.FiguresOut, **schemas.ERRORS}, summary="Public figures with their definitions"
)
def figures(
    request: HttpRequest,
    year: int | None = Query(None, description="The year (default: this year)."),
    month_from: int | None = Query(None, description="First month, 1–12 (default 1)."),
    month_to: int | None = Query(None, description="Last month, 1–12 (default 12)."),
    district: str = Query("", max_length=80, description="Only this district (its id)."),
    page: int = PAGE,
    page_size: int = Query(
        5, ge=1, le=FIGURES_PAGE_SIZE, description=f"Districts per page, at most {FIGURES_PAGE_SIZE}."
    ),
) -> dict[str, Any]:
    """Each district's figures and its stations' for a year or months of a year, as on /stats/: aggregates only,
    a page of districts at a time in name order."""
    query = request.GET.copy()
    for name in list(query):
        if name not in ("year", "month_from", "month_to"):
            del query[name]
    form = public_form(query)
    if not form.is_valid():
        problems = [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]
        raise ApiError(400, *problems)
    period = form.period()
    districts = District.objects.order_by("name", "pk")
    if district:
        districts = districts.filter(slug=district)
        if not districts.exists():
            raise Http404(_("No district with this id."))
    found = counted_window(districts, page=page, page_size=page_size)
    results = []
    for shown in districts[found.offset : found.stop]:
        # One query for the district's headline and two for its stations (summary cells, issue 15).
        rows = stats.stations_figures(district=shown, period=period)
        slugs = dict(Site.objects.filter(pk__in=[row.key for row in rows]).values_list("pk", "slug"))
        results.append(
            {
                "id": shown.slug,
                "name": shown.name,
                "figures": _figures(stats.headline(scope=Scope.for_district(shown), period=period)),
                "stations": [
                    {"id": slugs[row.key], "name": row.label, "figures": _figures(row.figures)} for row in rows
                ],
            }
        )
    page_info = envelope(request, found, [])
    del page_info["results"]  # the districts are the page's items
    return {
        **page_info,
        "period": {"first": period.first, "last": period.last, "label": period.label},
        "definitions": [{"key": key, "term": str(term), "definition": str(text)} for key, term, text in DEFINITIONS],
        "districts": results,
    }
