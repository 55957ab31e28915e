"""The public page of a region (issue 15): where it lies, what lies below it, its stations (a town's: its sites)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from stations.models import RegionLevel
from stations.selectors.regions import (
    children_with_counts,
    region_by_key,
    sites_below,
    sites_of_town,
    stations_below,
)
from stations.selectors.sites import network_figures

STATIONS_PER_PAGE = 25
# A town's stations offered as links to their schedules (one station per town in practice; a few at most).
TOWN_SCHEDULES = 10


def region_detail(request: HttpRequest, key: str) -> HttpResponse:
    """`/regions/<code or id>/`: breadcrumbs up to the province, the child regions with their counts (a county's:
    its towns), the figures' link, and the stations of its districts a page at a time; a town's page lists its
    sites (stations, rooms and points) a page at a time and links to its stations' schedules."""
    region = region_by_key(key)
    if region is None:
        raise Http404
    is_town = region.level == RegionLevel.TOWN
    listed = sites_of_town(region) if is_town else stations_below(region)
    page = Paginator(listed, STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "stations/regions/region_detail.html",
        {
            "region": region,
            "trail": region.ancestors(),
            "children": [] if is_town else children_with_counts(region),
            "counts_districts": region.level in (RegionLevel.PROVINCE, RegionLevel.CITY),
            "figures": network_figures(sites=sites_below(region)),
            "is_town": is_town,
            "town_stations": list(stations_below(region)[:TOWN_SCHEDULES]) if is_town else [],
            "page": page,
            "stations": page.object_list,
        },
    )
