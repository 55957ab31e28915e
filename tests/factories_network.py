"""Builders for the network in bulk: many sites, areas and deputies in a handful of queries."""

from __future__ import annotations

import datetime as dt

from stations.models import Area, Assignment, Deputy, District, Mandate, Site, SiteKind

LEVELS = ("province", "city", "district", "town")


def build_network(district: District, *, sites: int, deputies_per_site: int = 2) -> list[Site]:
    """`sites` active sites: a tenth stations, the rest rooms with a point under every fifth room. Each room
    serves one village; every site has `deputies_per_site` deputies with one or two mandates."""
    station_count = max(1, sites // 10)
    remaining = sites - station_count
    point_count = remaining // 5
    room_count = remaining - point_count
    stations = Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.STATION,
            name=f"第{i}镇代表联络站",
            slug=f"bulk-station-{i}",
            town=f"第{i}镇",
            is_online=i % 2 == 0,
        )
        for i in range(station_count)
    )
    rooms = Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.ROOM,
            parent=stations[i % station_count],
            name=f"第{i}村代表联络室",
            slug=f"bulk-room-{i}",
            town=stations[i % station_count].town,
        )
        for i in range(room_count)
    )
    points = Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.POINT,
            parent=rooms[i % room_count] if i % 2 else stations[i % station_count],
            name=f"第{i}企业代表联络点",
            slug=f"bulk-point-{i}",
            town=stations[i % station_count].town,
            sector="enterprise",
        )
        for i in range(point_count)
    )
    areas = Area.objects.bulk_create(
        Area(district=district, town=room.town, name=f"第{i}村") for i, room in enumerate(rooms)
    )
    Site.areas.through.objects.bulk_create(
        Site.areas.through(site_id=room.pk, area_id=area.pk) for room, area in zip(rooms, areas, strict=True)
    )
    all_sites = [*stations, *rooms, *points]
    build_deputies(district, sites=all_sites, per_site=deputies_per_site)
    return all_sites


def build_deputies(district: District, *, sites: list[Site], per_site: int, prefix: str = "bulk") -> list[Deputy]:
    """`per_site` deputies for each site, every one with a mandate (every third with a second one)."""
    deputies = Deputy.objects.bulk_create(
        Deputy(
            district=district,
            name=f"代表{prefix}{n}",
            slug=f"{prefix}-deputy-{n}",
            gender="f" if n % 3 == 0 else "m",
            sector="enterprise" if n % 4 == 0 else "general",
        )
        for n in range(len(sites) * per_site)
    )
    Mandate.objects.bulk_create(
        [
            Mandate(deputy=deputy, level=LEVELS[n % 4], term_start=dt.date(2022, 1, 1), term_end=dt.date(2027, 1, 1))
            for n, deputy in enumerate(deputies)
        ]
        + [
            Mandate(deputy=deputy, level="district", term_start=dt.date(2021, 12, 1), term_end=dt.date(2026, 12, 1))
            for n, deputy in enumerate(deputies)
            if n % 3 == 0 and LEVELS[n % 4] != "district"
        ]
    )
    Assignment.objects.bulk_create(
        Assignment(deputy=deputy, site=sites[n // per_site]) for n, deputy in enumerate(deputies)
    )
    return deputies
