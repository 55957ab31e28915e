"""Public pages about the network, for voters: no sign-in needed.

The home page, the tree and search of sites, a site's page, the deputy list and a deputy's public profile.
Nothing here shows a deputy's phone number: it is private contact data for staff.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from stations.forms.sites import DeputyFilter, SiteSearchForm
from stations.selectors.schedule import next_reception_day
from stations.selectors.sites import (
    deputies_at,
    network_figures,
    public_deputies,
    search_sites,
    site_tree,
    site_with_relations,
)

DEPUTIES_PER_PAGE = 24


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
    form = SiteSearchForm(request.GET or None)
    query = ""
    results = None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            results = search_sites(query)
    return render(
        request,
        "stations/sites/site_list.html",
        {
            "search_form": form,
            "query": query,
            "results": results,
            # The tree stays on the page under the results, so a voter whose search found nothing can browse.
            "tree": site_tree(),
            "figures": network_figures(),
        },
    )


def _year(request: HttpRequest) -> int | None:
    """`?year=2027`: the roster year asked for; anything else is ignored (the page shows the current year)."""
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and len(value) == 4 else None


def site_detail(request: HttpRequest, slug: str) -> HttpResponse:
    site = site_with_relations(slug)
    if site is None:
        raise Http404
    return render(
        request,
        "stations/sites/site_detail.html",
        {"site": site, "deputies": list(deputies_at(site)), "year": _year(request)},
    )


def deputy_list(request: HttpRequest) -> HttpResponse:
    deputy_filter = DeputyFilter(request.GET or None, queryset=public_deputies().order_by("name", "pk"))
    page = Paginator(deputy_filter.qs, DEPUTIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "stations/sites/deputy_list.html",
        {"filter": deputy_filter, "page": page, "deputies": page.object_list},
    )


def deputy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    deputy = get_object_or_404(public_deputies().select_related("district"), slug=slug)
    return render(request, "stations/sites/deputy_detail.html", {"deputy": deputy})
