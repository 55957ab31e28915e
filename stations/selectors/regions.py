"""Reads about regions for the public region page (issue 15): a region's children with their counts and the
stations below it (a town's: its sites). A fixed number of queries whatever the number of districts, towns or
sites: the counts are one grouped query, the stations or sites a page of a paginated list.

A town or street region is matched to its sites by name within its county's district (`Site.town`; why not a
foreign key: stations/services/regions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from stations.models import Region, RegionLevel, Site, SiteKind
from stations.models.sites import SiteQuerySet, network_ordering

# The path from a site to the region one level below each level (the child whose row it counts in). Under a
# county the child is a town, named by the site's own `town` (matched to the child regions by name).
CHILD_PATH: dict[str, str] = {
    RegionLevel.PROVINCE: "district__region__parent",
    RegionLevel.CITY: "district__region",
    RegionLevel.COUNTY: "town",
}


@dataclass
class ChildCounts:
    """A child region (or, under a county, none: its stations are listed instead) with what lies below it."""

    region: Region
    districts: int = 0
    stations: int = 0
    rooms: int = 0
    points: int = 0


def region_by_key(key: str) -> Region | None:
    """A region by code or id, with its ancestors (breadcrumbs) and its district (a county's) loaded."""
    return Region.objects.select_related("parent__parent__parent", "district").by_key(key)


def sites_below(region: Region) -> SiteQuerySet:
    """The active sites of every district below the region (a town's: its district's sites in that town);
    joins of known depth through indexed foreign keys, as the figures do."""
    sites = Site.objects.active()
    if region.level == RegionLevel.PROVINCE:
        return sites.filter(district__region__parent__parent=region)
    if region.level == RegionLevel.CITY:
        return sites.filter(district__region__parent=region)
    if region.level == RegionLevel.COUNTY:
        return sites.filter(district__region=region)
    return sites.filter(district__region=region.parent_id, town=region.name)


def children_with_counts(region: Region) -> list[ChildCounts]:
    """The region's child regions (cities of a province, counties of a city, towns of a county), each with its
    districts, stations, rooms and points: two queries (the children, one grouped count)."""
    children = [ChildCounts(child) for child in region.children.select_related("district").order_by("code", "name")]
    path = CHILD_PATH.get(region.level)
    if path is None or not children:
        return children
    rows: QuerySet[Any, dict[str, Any]] = (
        sites_below(region)
        .values(child=F(path))
        .annotate(
            districts=Count("district", distinct=True),
            stations=Count("pk", filter=Q(kind=SiteKind.STATION)),
            rooms=Count("pk", filter=Q(kind=SiteKind.ROOM)),
            points=Count("pk", filter=Q(kind=SiteKind.POINT)),
        )
        .order_by()
    )
    by_child = {row.pop("child"): row for row in rows}
    for child in children:
        key = child.region.name if region.level == RegionLevel.COUNTY else child.region.pk
        for name, value in by_child.get(key, {}).items():
            setattr(child, name, value)
    return children


def town_of(site: Site) -> Region | None:
    """The town or street region the site names (`Site.town`, matched by name under its district's county: see
    services/regions.py), for its breadcrumbs; None when its district has no county region. One indexed look-up."""
    county = site.district.region
    if county is None or county.level != RegionLevel.COUNTY or not site.town.strip():
        return None
    return Region.objects.filter(parent=county, level=RegionLevel.TOWN, name=site.town.strip()).first()


def sites_of_town(region: Region) -> SiteQuerySet:
    """A town's active sites (stations, rooms and points) in the network's order, with what their rows show."""
    return sites_below(region).select_related("parent", "station").order_by(*network_ordering())


def stations_below(region: Region) -> SiteQuerySet:
    """The stations below the region, by district then in the network's order (paginate it)."""
    return (
        sites_below(region)
        .filter(kind=SiteKind.STATION)
        .select_related("district")
        .order_by("district__name", *network_ordering())
    )
