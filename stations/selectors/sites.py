"""Reads about the network: its size, the tree of sites, a site's deputies. Every function here runs a fixed
number of queries whatever the number of sites, so public pages stay fast as the network grows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from stations.models import Deputy, Mandate, Site, SiteKind
from stations.models.sites import kind_rank


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


REGION_FIELDS = ("name", "code", "level", "parent_id")


def _tree_order(site: Site) -> tuple[int, str]:
    # Rooms before points (the model's default ordering sorts kinds alphabetically), then by slug: slugs are
    # written in pinyin, which gives the alphabetical order Chinese readers expect, where sorting the names
    # themselves would follow Unicode code points.
    return (kind_rank(site.kind), site.slug)


def site_tree() -> list[SiteNode]:
    """The active stations, each with its rooms and points (and the points under rooms), in two queries."""
    sites = list(
        Site.objects.active()
        # The district's regions come in the same query: the tree links each district's region chain (issue 15).
        .select_related("district__region__parent__parent")
        .prefetch_related("areas")
        .only(
            "pk",
            "kind",
            "name",
            "slug",
            "town",
            "parent_id",
            "is_online",
            "sector",
            "district_id",
            "district__name",
            "district__slug",
            *(f"district__region{up}__{name}" for up in ("", "__parent", "__parent__parent") for name in REGION_FIELDS),
        )
    )
    nodes: dict[int | None, SiteNode] = {site.pk: SiteNode(site) for site in sorted(sites, key=_tree_order)}
    roots: list[SiteNode] = []
    for node in nodes.values():
        parent = nodes.get(node.site.parent_id)
        if parent is not None:
            parent.children.append(node)
        elif node.site.kind == SiteKind.STATION:
            roots.append(node)
        # A room or point under an inactive parent is left out: voters cannot reach the parent either.
    roots.sort(key=lambda node: (node.site.district.name, node.site.district_id, _tree_order(node.site)))
    return roots


def search_sites(text: str) -> list[Site]:
    """Sites whose name, town, or a village or community they serve matches the text; stations first."""
    sites = Site.objects.active().search(text).select_related("parent", "parent__parent").prefetch_related("areas")
    return sorted(sites, key=_tree_order)


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
        .select_related("district__region__parent__parent", "parent", "parent__parent")
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
