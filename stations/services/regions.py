"""Writes to the regions: the towns and streets under a district's county, kept in step with the network.

A site names its town or street as text (`Site.town`); the town's `Region` (level TOWN, under the county-level
region its district is attached to) is what the region pages, the figures' `?region=` and the breadcrumbs
show. The network's services (`site_upsert`) and the admin's site and district pages call `town_region_ensure` /
`district_towns_ensure`, so every town a site names has its region as soon as the site is written.

Decisions (README "Towns and streets"):
- A town region is matched to its sites by name within the district (`Site.town`), not by a foreign key on the
  site: the text is what the staff type, what the imports carry and what the schedule's town chooser shows, so a
  link would be a second copy to keep in step on every write path (services, admin, imports, bulk generators),
  and it would not be faster: a town lies inside one district, whose sites one indexed equality finds.
- A town region left with no site (the station renamed its town, or moved) is kept: regions are administrative
  data, the town still exists, and an administrator may have given it its national code. Its row on the county
  page shows zeros; delete it in the admin (*Regions*) if it was a typing mistake.
- A district without a county region has nothing to hang towns on: nothing is created, and nothing fails.
"""

from __future__ import annotations

from django.db import transaction

from stations import caching
from stations.audit import Actor, AuditAction, audit
from stations.models import District, Region, RegionLevel, Site


def _county_of(district: District) -> Region | None:
    region = district.region
    return region if region is not None and region.level == RegionLevel.COUNTY else None


@transaction.atomic
def town_region_ensure(*, district: District, town: str, actor: Actor) -> Region | None:
    """The town or street region named `town` under the district's county, created (and audited) if missing.
    None when the district has no county region or the name is empty."""
    county = _county_of(district)
    name = town.strip()
    if county is None or not name:
        return None
    existing = Region.objects.filter(parent=county, name=name).first()
    if existing is not None:
        return existing
    region = Region(name=name, level=RegionLevel.TOWN, parent=county)
    region.full_clean()
    region.save()
    audit(
        action=AuditAction.REGION_CREATED,
        actor=actor,
        target=region,
        summary=f"{county.name} {name}",
        changes={
            "name": {"from": None, "to": name},
            "level": {"from": None, "to": RegionLevel.TOWN.value},
            "parent": {"from": None, "to": county.name},
        },
    )
    caching.invalidate({caching.NETWORK})  # the region pages, the breadcrumbs
    return region


@transaction.atomic
def district_towns_ensure(*, district: District, actor: Actor) -> list[Region]:
    """Every town its sites name has its region under the district's county (after a district is attached to a
    county, a station moved into it, rooms added in the admin): two queries when nothing is missing. Returns
    the regions created."""
    county = _county_of(district)
    if county is None:
        return []
    named = set(Site.objects.filter(district=district).order_by().values_list("town", flat=True).distinct())
    present = set(Region.objects.filter(parent=county).values_list("name", flat=True))
    created: list[Region] = []
    for town in sorted({name.strip() for name in named} - present - {""}):
        region = town_region_ensure(district=district, town=town, actor=actor)
        if region is not None:
            created.append(region)
    return created
