"""Public pages about the network, for voters: no sign-in needed.

The home page, the tree and search of sites, a site's page, the deputy list and a deputy's public profile.
Nothing here shows a deputy's phone number: it is private contact data for staff.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from stations.bounds import FIRST_YEAR, LAST_YEAR
from stations.clock import local_today
from stations.forms.sites import DeputyFilter, SiteSearchForm
from stations.paging import bounded_page
from stations.selectors.records import station_themes
from stations.selectors.regions import town_of
from stations.selectors.schedule import next_reception_day
from stations.selectors.sites import (
    deputies_at,
    district_figures,
    district_stations,
    network_figures,
    public_deputies,
    search_sites,
    site_with_relations,
    station_nodes,
)

DEPUTIES_PER_PAGE = 24
# /sites/: a page of stations shows their rooms and points too (a district's network, a few pages at most).
STATIONS_PER_PAGE = 20
SITES_PER_PAGE = 20
DISTRICTS_PER_PAGE = 50
# A station's rooms and points shown in the list (and points under each room); all of them on its own page.
CHILDREN_SHOWN = 15


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "stations/home.html",
        {
            "figures": network_figures(),
            "search_form": SiteSearchForm(),
            "next_reception_day": next_reception_day(),
        },
    )


def site_list(request: HttpRequest) -> HttpResponse:
    """The network a page at a time: the districts (when the portal holds several), a district's stations with
    their rooms and points, and the search; never every site at once (issue 15)."""
    form = SiteSearchForm(request.GET or None)
    query = ""
    results = None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    districts = district_figures()
    district = None
    slug = request.GET.get("district", "")
    if slug:
        district = next((row.district for row in districts if row.district.slug == slug), None)
        if district is None:
            raise Http404  # a stale link says so plainly
    elif len(districts) == 1:
        district = districts[0].district  # one district: its stations are the top of the network
    if query:
        results = bounded_page(search_sites(query, district=district), SITES_PER_PAGE, request.GET.get("page"))
    context: dict[str, object] = {
        "children_shown": f":{CHILDREN_SHOWN}",
        "children_limit": CHILDREN_SHOWN,
        "search_form": form,
        "query": query,
        "results": results,
        "district": district,
        "several_districts": len(districts) > 1,
    }
    if district is not None:
        figures = next(row.figures for row in districts if row.district == district)
        context["figures"] = figures
        # The stations show under the search only when it found nothing, so that the voter can browse instead.
        if results is None or not results.object_list:
            number = request.GET.get("page") if results is None else 1
            stations = bounded_page(
                district_stations(district), STATIONS_PER_PAGE, number, known_count=figures.stations
            )
            context.update({"stations": stations, "tree": station_nodes(stations.object_list)})
    else:
        context.update(
            {
                "districts": bounded_page(districts, DISTRICTS_PER_PAGE, request.GET.get("page")),
                "figures": network_figures(),
            }
        )
    return render(request, "stations/sites/site_list.html", context)


def _year(request: HttpRequest) -> int | None:
    """`?year=2027`: the roster year asked for; anything else is ignored (the page shows the current year)."""
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and len(value) == 4 else None


def site_detail(request: HttpRequest, slug: str) -> HttpResponse:
    site = site_with_relations(slug)
    if site is None:
        raise Http404
    year = _year(request)
    theme_year = year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else local_today().year
    return render(
        request,
        "stations/sites/site_detail.html",
        {
            "site": site,
            "town": town_of(site),
            "deputies": list(deputies_at(site)),
            "year": year,
            # The year's activity themes of the site's station (issue 16).
            "theme_year": theme_year,
            "themes": station_themes(site.station, theme_year),
        },
    )


def deputy_list(request: HttpRequest) -> HttpResponse:
    deputy_filter = DeputyFilter(request.GET or None, queryset=public_deputies().order_by("name", "pk"))
    # Counted up to a bound: 150,000 deputies at province scale are not counted on every page view.
    page = bounded_page(deputy_filter.qs, DEPUTIES_PER_PAGE, request.GET.get("page"))
    return render(
        request,
        "stations/sites/deputy_list.html",
        {
            "filter": deputy_filter,
            "page": page,
            "deputies": page.object_list,
            "unknown_site": deputy_filter.unknown_site,
        },
    )


def deputy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    deputy = get_object_or_404(public_deputies().select_related("district"), slug=slug)
    return render(request, "stations/sites/deputy_detail.html", {"deputy": deputy})
