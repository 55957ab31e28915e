"""Deputies in Popolo's shapes (https://www.popoloproject.com/specs/), so that tools built for Popolo data read
them: persons (the deputies, each with their memberships), organizations (the people's congress of each level,
and the liaison sites), memberships (a mandate: a seat in a congress; an assignment: a deputy serving a site) and
posts (a seat: a congress and the electoral district it represents).

Identifiers are stable strings: a person is the deputy's slug (as in /deputies/<slug>/), a site its slug prefixed
"site:", a congress "congress:<level>", a post "post:<level>:<electoral district>", a membership
"mandate:<n>" or "assignment:<n>". A deputy's phone number is never part of any of them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router

from stations.api import schemas
from stations.api.network import PAGE, PAGE_SIZE
from stations.api.pagination import count_limit, counted_window, envelope, window
from stations.models import Assignment, Deputy, Level, Mandate, Site, SiteKind
from stations.models.sites import network_ordering
from stations.paging import bounded_count

router = Router(tags=["Popolo"])

CONGRESS_NAMES = {
    Level.PROVINCE: gettext_lazy("provincial people's congress"),
    Level.CITY: gettext_lazy("city people's congress"),
    Level.DISTRICT: gettext_lazy("district people's congress"),
    Level.TOWN: gettext_lazy("town people's congress"),
}
SITE_CLASSIFICATIONS = {
    SiteKind.STATION: "liaison station",
    SiteKind.ROOM: "liaison room",
    SiteKind.POINT: "liaison point",
}
GENDERS = {"f": "female", "m": "male"}
DEPUTY_ROLE = "deputy"
ASSIGNED_ROLE = "assigned deputy"


def congress_id(level: str) -> str:
    return f"congress:{level}"


def site_org_id(slug: str) -> str:
    return f"site:{slug}"


def post_id(level: str, electoral_district: str) -> str | None:
    return f"post:{level}:{electoral_district}" if electoral_district else None


def mandate_membership(mandate: Mandate, person: str) -> dict[str, Any]:
    return {
        "id": f"mandate:{mandate.pk}",
        "person_id": person,
        "organization_id": congress_id(mandate.level),
        "post_id": post_id(mandate.level, mandate.electoral_district),
        "role": DEPUTY_ROLE,
        "label": str(mandate.title),
        "start_date": mandate.term_start,
        "end_date": mandate.term_end,
    }


def assignment_membership(assignment: Assignment, person: str) -> dict[str, Any]:
    return {
        "id": f"assignment:{assignment.pk}",
        "person_id": person,
        "organization_id": site_org_id(assignment.site.slug),
        "post_id": None,
        "role": ASSIGNED_ROLE,
        "label": assignment.site.name,
        "start_date": assignment.since,
        "end_date": None,
    }


def _persons():
    mandates = Prefetch("mandates", queryset=Mandate.objects.order_by("level", "term_start", "pk"))
    assignments = Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(site__is_active=True).select_related("site").order_by("site__slug", "pk"),
    )
    return Deputy.objects.active().prefetch_related(mandates, assignments)


def person_out(request: HttpRequest, deputy: Deputy) -> dict[str, Any]:
    memberships = [mandate_membership(m, deputy.slug) for m in deputy.mandates.all()]
    memberships += [assignment_membership(a, deputy.slug) for a in deputy.assignments.all()]
    page = request.build_absolute_uri(reverse("stations:deputy_detail", kwargs={"slug": deputy.slug}))
    return {
        "id": deputy.slug,
        "name": deputy.name,
        "gender": GENDERS.get(deputy.gender, deputy.gender),
        "image": request.build_absolute_uri(deputy.photo.url) if deputy.photo else None,
        "biography": deputy.biography,
        "memberships": memberships,
        "links": [{"url": page, "note": _("the deputy's page on the portal")}],
    }


@router.get("/persons", response={200: schemas.PersonPage, **schemas.ERRORS}, summary="Deputies (Popolo persons)")
def person_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Active deputies by name, each with their memberships."""
    deputies = _persons()
    found = counted_window(deputies, page=page, page_size=page_size)
    rows = deputies.order_by("name", "pk")[found.offset : found.stop]
    return envelope(request, found, [person_out(request, deputy) for deputy in rows])


@router.get(
    "/persons/{person_id}",
    response={200: schemas.PopoloPerson, **schemas.ERRORS},
    summary="One deputy (a Popolo person)",
)
def person_detail(request: HttpRequest, person_id: str) -> dict[str, Any]:
    return person_out(request, get_object_or_404(_persons(), slug=person_id))


@router.get(
    "/organizations",
    response={200: schemas.OrganizationPage, **schemas.ERRORS},
    summary="Congresses and sites (Popolo organizations)",
)
def organization_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """The people's congress of each level (highest first), then the active sites in the network's order, a room's
    or point's `parent_id` naming the site above it."""
    congresses = [
        {
            "id": congress_id(level),
            "name": str(CONGRESS_NAMES[level]),
            "classification": "legislature",
            "parent_id": None,
        }
        for level in Level
    ]
    sites = Site.objects.active().select_related("parent")
    found = counted_window(sites, page=page, page_size=page_size, before=len(congresses))
    results = congresses[found.offset : found.stop]
    site_start = max(0, found.offset - len(congresses))
    site_stop = found.stop - len(congresses)
    if site_stop > 0:
        for site in sites.order_by(*network_ordering(), "pk")[site_start:site_stop]:
            results.append(
                {
                    "id": site_org_id(site.slug),
                    "name": site.name,
                    "classification": SITE_CLASSIFICATIONS[SiteKind(site.kind)],
                    "parent_id": site_org_id(site.parent.slug) if site.parent else None,
                }
            )
    return envelope(request, found, results)


@router.get(
    "/memberships",
    response={200: schemas.MembershipPage, **schemas.ERRORS},
    summary="Mandates and site assignments (Popolo memberships)",
)
def membership_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Every mandate of an active deputy, then every assignment of one to an active site; each by its id."""
    mandates = Mandate.objects.filter(deputy__is_active=True).select_related("deputy")
    assignments = Assignment.objects.filter(deputy__is_active=True, site__is_active=True).select_related(
        "deputy", "site"
    )
    mandate_count, more = bounded_count(mandates, max_count=count_limit(page=page, page_size=page_size))
    if more:
        # More mandates than the page reaches: the page is all mandates and the list is longer than counted.
        found = window(count=mandate_count, page=page, page_size=page_size, exact=False)
    else:
        found = counted_window(assignments, page=page, page_size=page_size, before=mandate_count)
    results = (
        [mandate_membership(m, m.deputy.slug) for m in mandates.order_by("pk")[found.offset : found.stop]]
        if found.offset < mandate_count
        else []
    )
    start, stop = max(0, found.offset - mandate_count), found.stop - mandate_count
    if stop > 0:
        results += [assignment_membership(a, a.deputy.slug) for a in assignments.order_by("pk")[start:stop]]
    return envelope(request, found, results)


@router.get("/posts", response={200: schemas.PostPage, **schemas.ERRORS}, summary="Seats (Popolo posts)")
def post_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """One post per congress level and electoral district that an active deputy's mandate names."""
    seats = (
        Mandate.objects.filter(deputy__is_active=True)
        .exclude(electoral_district="")
        .values("level", "electoral_district")
        .annotate(holders=Count("pk"))
        .order_by("level", "electoral_district")
    )
    found = counted_window(seats, page=page, page_size=page_size)
    results = [
        {
            "id": post_id(seat["level"], seat["electoral_district"]),
            "label": f"{CONGRESS_NAMES[Level(seat['level'])]} · {seat['electoral_district']}",
            "role": DEPUTY_ROLE,
            "organization_id": congress_id(seat["level"]),
        }
        for seat in seats[found.offset : found.stop]
    ]
    return envelope(request, found, results)
