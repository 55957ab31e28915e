"""Reads about the network: its size, the tree of sites, a site's deputies. Every function here runs a fixed
number of queries whatever the number of sites, so public pages stay fast as the network grows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count, Prefetch, Q, QuerySet

from stations import paging
from stations.models import Deputy, District, Mandate, Region, Site, SiteKind
from stations.models.sites import SiteQuerySet, kind_rank, network_ordering
from stations.paging import SELECT_LIMIT
from stations.validators import pk_from


@dataclass(frozen=True)
class NetworkFigures:
    stations: int
    rooms: int
    points: int
    online: int


def network_figures(*, sites: QuerySet[Site] | None = None) -> NetworkFigures:
    """How many active stations, rooms, points and online stations there are, counted in one query."""
    sites = Site.objects.active() if sites is None else sites
    counts = sites.aggregate(
        stations=Count("pk", filter=Q(kind=SiteKind.STATION)),
        rooms=Count("pk", filter=Q(kind=SiteKind.ROOM)),
        points=Count("pk", filter=Q(kind=SiteKind.POINT)),
        online=Count("pk", filter=Q(is_online=True)),
    )
    return NetworkFigures(**counts)


@dataclass
class SiteNode:
    """A site with the sites directly under it, for drawing the tree."""

    site: Site
    children: list[SiteNode] = field(default_factory=list)

    @property
    def room_count(self) -> int:
        return sum(1 for child in self.children if child.site.kind == SiteKind.ROOM)

    @property
    def point_count(self) -> int:
        return sum(1 for child in self.children if child.site.kind == SiteKind.POINT) + sum(
            1 for child in self.children for grandchild in child.children if grandchild.site.kind == SiteKind.POINT
        )


def _tree_order(site: Site) -> tuple[int, str]:
    # Rooms before points (the model's default ordering sorts kinds alphabetically), then by slug: slugs are
    # written in pinyin, which gives the alphabetical order Chinese readers expect, where sorting the names
    # themselves would follow Unicode code points.
    return (kind_rank(site.kind), site.slug)


# The region chain above a district (county → city → province), read in the districts' own grouped query.
_REGION_PATHS = ("district__region", "district__region__parent", "district__region__parent__parent")
_REGION_FIELDS = ("id", "name", "code", "level")


def _region_chain(row: dict[str, Any]) -> Region | None:
    """The district's county region with its parents attached (so `ancestors` and the breadcrumbs need no query)."""
    chain = [
        Region(**{name: row.pop(f"{path}__{name}") for name in _REGION_FIELDS}) if row[f"{path}__id"] else None
        for path in _REGION_PATHS
    ]
    for region, parent in zip(chain, chain[1:], strict=False):
        if region is not None:
            region.parent = parent
    for path in _REGION_PATHS:
        for name in _REGION_FIELDS:
            row.pop(f"{path}__{name}", None)
    return chain[0]


def district_figures() -> list[DistrictFigures]:
    """Every district with active sites, with its counts and its region chain, in one grouped query (the top of
    /sites/ when the portal holds several districts)."""
    rows = (
        Site.objects.active()
        .values(
            "district_id",
            "district__name",
            "district__slug",
            *(f"{path}__{name}" for path in _REGION_PATHS for name in _REGION_FIELDS),
        )
        .annotate(
            stations=Count("pk", filter=Q(kind=SiteKind.STATION)),
            rooms=Count("pk", filter=Q(kind=SiteKind.ROOM)),
            points=Count("pk", filter=Q(kind=SiteKind.POINT)),
            online=Count("pk", filter=Q(is_online=True)),
        )
        .order_by("district__name", "district_id")
    )
    found = []
    for row in rows:
        district = District(pk=row.pop("district_id"), name=row.pop("district__name"), slug=row.pop("district__slug"))
        district.region = _region_chain(row)
        found.append(DistrictFigures(district, NetworkFigures(**row)))
    return found


@dataclass(frozen=True)
class DistrictFigures:
    district: District
    figures: NetworkFigures


def station_nodes(stations: Iterable[Site]) -> list[SiteNode]:
    """The given stations (one page of them), each with its active rooms and points and the points under rooms,
    in two queries (the sites, their areas) through the indexed `Site.station`, whatever the network's size."""
    stations = list(stations)
    sites = (
        Site.objects.active()
        .filter(station__in=[station.pk for station in stations])
        .exclude(kind=SiteKind.STATION)
        .prefetch_related("areas")
        .only("pk", "kind", "name", "slug", "town", "parent_id", "station_id", "is_online", "sector", "is_active")
    )
    nodes: dict[int, SiteNode] = {station.pk: SiteNode(station) for station in stations}
    children = sorted(sites, key=_tree_order)
    nodes.update({site.pk: SiteNode(site) for site in children})
    for site in children:
        parent = nodes.get(site.parent_id) if site.parent_id is not None else None
        if parent is not None:
            parent.children.append(nodes[site.pk])
        # A point under an inactive room is left out: voters cannot reach the room either.
    return [nodes[station.pk] for station in stations]


def district_stations(district: District) -> SiteQuerySet:
    """The district's active stations in network order (by town, then name): what /sites/ pages through."""
    return Site.objects.active().stations().filter(district=district).order_by("town", "name", "pk")


def search_sites(text: str, *, district: District | None = None) -> SiteQuerySet:
    """Sites whose name, town, or a village or community they serve matches the text, in network order (a page
    at a time: the view paginates)."""
    sites = Site.objects.active().search(text)
    if district is not None:
        sites = sites.filter(district=district)
    return (
        sites.select_related("parent", "parent__parent").prefetch_related("areas").order_by(*network_ordering(), "pk")
    )


def public_deputies() -> QuerySet[Deputy]:
    """Active deputies with what their cards show (levels and sites) prefetched."""
    return Deputy.objects.active().prefetch_related(
        Prefetch("mandates", queryset=Mandate.objects.order_by("term_start")),
        Prefetch("sites", queryset=Site.objects.active().in_network_order()),
    )


def site_with_relations(slug: str) -> Site | None:
    """An active site with its parent chain, areas and active children (rooms first) loaded."""
    site = (
        Site.objects.active()
        # The district's region chain too (the breadcrumbs go up to the province), in the same query.
        .select_related("district__region__parent__parent", "parent", "parent__parent", "station")
        .prefetch_related(
            "areas",
            Prefetch(
                "children",
                queryset=Site.objects.active().prefetch_related("areas"),
                to_attr="active_children",
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if site is not None:
        site.active_children.sort(key=_tree_order)  # type: ignore[attr-defined]  # Prefetch(to_attr=...) sets it
    return site


def deputies_at(site: Site) -> QuerySet[Deputy]:
    """The active deputies assigned to the site, with their mandates for the levels they show."""
    return (
        Deputy.objects.active()
        .filter(assignments__site=site)
        .prefetch_related(Prefetch("mandates", queryset=Mandate.objects.order_by("term_start")))
        .order_by("name")
    )


@dataclass(frozen=True)
class OnlineChoice:
    """The sites the opinion form's select offers, and why it offers no more."""

    sites: list[Site]
    too_many: bool  # more match than a select holds: narrow by district or name first


def online_site_choice(*, text: str = "", district: District | None = None, around: Site | None = None) -> OnlineChoice:
    """Sites taking opinions online for the opinion form's select: those of the station of `around` (the site a
    link named), else those matching the name (and district), else all of them if they fit a select. One query,
    at most SELECT_LIMIT + 1 rows, whatever the size of the network."""
    sites = Site.objects.accepting_online()
    if around is not None:
        sites = sites.filter(station_id=around.station_id)
    else:
        if district is not None:
            sites = sites.filter(district=district)
        if text:
            sites = sites.search(text)
    found = list(sites.in_network_order().only("pk", "name", "town")[: SELECT_LIMIT + 1])
    if len(found) > SELECT_LIMIT:
        return OnlineChoice(sites=[], too_many=True)
    return OnlineChoice(sites=found, too_many=False)


def sites_for_select(sites: QuerySet[Site]) -> list[Site] | None:
    """The sites in network order while they fit one select (SELECT_LIMIT), None when a search must choose the
    site instead (an administrator of many districts). One query of at most SELECT_LIMIT + 1 rows (read when called: tests make it small)."""
    # Counted first (an index-only LIMIT): sorting a province's 10,000 sites in network order to learn that they
    # are too many took 25-40 ms.
    if sites.order_by()[: paging.SELECT_LIMIT + 1].count() > paging.SELECT_LIMIT:
        return None
    return list(sites.order_by(*network_ordering()))


def site_search(sites: QuerySet[Site], text: str) -> QuerySet[Site]:
    """The sites whose name, town or code (the slug posters and links carry) holds the text, in network order,
    with the station and district each match shows so that namesakes are told apart."""
    return cast(SiteQuerySet, sites).named(text).select_related("station", "district").order_by(*network_ordering())


def site_asked(sites: QuerySet[Site], value: object) -> Site | None:
    """The site named by `?site=` (the chooser's links) when it is one of `sites`: one indexed look-up."""
    pk = pk_from(value)
    return sites.filter(pk=pk).select_related("station", "district").first() if pk is not None else None
