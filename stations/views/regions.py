"""The public page of a region (issue 15): where it lies, what lies below it, its stations."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from stations.selectors.regions import children_with_counts, region_by_key, sites_below, stations_below
from stations.selectors.sites import network_figures

STATIONS_PER_PAGE = 25


def region_detail(request: HttpRequest, key: str) -> HttpResponse:
    """`/regions/<code or id>/`: breadcrumbs up to the province, the child regions with their counts, the
    figures' link, and the stations of its districts, a page at a time."""
    region = region_by_key(key)
    if region is None:
        raise Http404
    page = Paginator(stations_below(region), STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "stations/regions/region_detail.html",
        {
            "region": region,
            "trail": region.ancestors(),
            "children": children_with_counts(region),
            "figures": network_figures(sites=sites_below(region)),
            "page": page,
            "stations": page.object_list,
        },
    )
