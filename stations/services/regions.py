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
- A town region renamed in the admin takes its sites and villages with it (`town_renamed`): their `town` text is
  how they belong to it, so each is renamed too (a site's change in its history and the audit log).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from stations import caching
from stations.audit import Actor, AuditAction, audit
from stations.models import Area, District, Region, RegionLevel, Site


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
    caching.invalidate({caching.NETWORK, caching.REGIONS})  # the region pages, the site pages' breadcrumbs
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


def _town_district(region: Region) -> District | None:
    county = region.parent
    if region.level != RegionLevel.TOWN or county is None:
        return None
    return District.objects.filter(region=county).first()


def town_rename_problem(*, region: Region, old_name: str, new_name: str) -> str | None:
    """Why the town region `region` cannot be renamed from `old_name` to `new_name` taking its villages with it (a
    village of the same name in both towns: villages are unique by name within a town), or None."""
    district = _town_district(region)
    old_name, new_name = old_name.strip(), new_name.strip()
    if district is None or old_name == new_name:
        return None
    names = Area.objects.filter(district=district, town=old_name).values("name")
    clash = sorted(Area.objects.filter(district=district, town=new_name, name__in=names).values_list("name", flat=True))
    if clash:
        return _("Both towns have villages named %(names)s: rename or merge them first.") % {"names": "、".join(clash)}
    return None


@transaction.atomic
def town_renamed(*, region: Region, old_name: str, actor: Actor) -> int:
    """The town region was renamed (in the admin) from `old_name`: the district's sites and villages that named the
    old name name the new one, each site's change kept in its history and the audit log. Returns how many sites."""
    district = _town_district(region)
    if district is None or old_name == region.name:
        return 0
    problem = town_rename_problem(region=region, old_name=old_name, new_name=region.name)
    if problem:  # the admin's form said so already: never half-renamed
        raise ValidationError({"name": problem})
    sites = list(Site.objects.filter(district=district, town=old_name).order_by("pk"))
    scopes: set[str] = {caching.NETWORK, caching.REGIONS}
    for site in sites:
        site.town = region.name
        site._history_user = actor.user  # type: ignore[attr-defined]  # read by django-simple-history
        site.full_clean()
        site.save(update_fields=["town"])
        audit(
            action=AuditAction.SITE_UPDATED,
            actor=actor,
            target=site,
            summary=site.name,
            changes={"town": {"from": old_name, "to": region.name}},
        )
        scopes |= caching.site_scopes(site)
    Area.objects.filter(district=district, town=old_name).update(town=region.name)
    caching.invalidate(scopes)
    return len(sites)
