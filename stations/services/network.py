"""Writes to the network: sites and the areas they serve, deputies with their mandates and assignments, and
reception rules. The admin keeps its own forms; imports (stations.services.imports) write through these.

Each `<thing>_upsert` finds the record by its natural key, creates it or changes the fields given, validates
with `full_clean()` and writes one audit entry when something changed. It returns the record and what
happened (`Outcome`), so that an import can say how many were created, updated and unchanged.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from stations import caching
from stations.audit import Actor, AuditAction, audit, masked_value
from stations.models import (
    Area,
    Assignment,
    Deputy,
    District,
    Mandate,
    ReceptionRule,
    Site,
)
from stations.services.regions import town_region_ensure

M = TypeVar("M", bound=models.Model)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _apply(instance: M, fields: dict[str, Any]) -> dict[str, Any]:
    """Set the fields that differ; the changes as the audit log keeps them."""
    changed: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(instance, name) != value:
            changed[name] = {
                "from": masked_value(name, getattr(instance, name)),
                "to": masked_value(name, value),
            }
            setattr(instance, name, value)
    return changed


def _save(
    *,
    instance: M,
    created: bool,
    fields: dict[str, Any],
    actor: Actor,
    actions: tuple[AuditAction, AuditAction],
    summary: str,
) -> tuple[M, Outcome]:
    changed = _apply(instance, fields)
    if not created and not changed:
        return instance, Outcome.UNCHANGED
    instance.full_clean()
    instance.save()
    audit(
        action=actions[0] if created else actions[1],
        actor=actor,
        target=instance,
        summary=summary,
        changes=changed,
    )
    return instance, Outcome.CREATED if created else Outcome.UPDATED


def _unique_slug(model: type[Site] | type[Deputy], base: str, fallback: str) -> str:
    base = slugify(base)[:60] or fallback
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def area_upsert(*, district: District, town: str, name: str, kind: str, actor: Actor) -> tuple[Area, Outcome]:
    """An area served, by its natural key: district, town, name."""
    area = Area.objects.filter(district=district, town=town.strip(), name=name.strip()).first()
    created = area is None
    if area is None:
        area = Area(district=district, town=town.strip(), name=name.strip())
    area, outcome = _save(
        instance=area,
        created=created,
        fields={"kind": kind},
        actor=actor,
        actions=(AuditAction.AREA_CREATED, AuditAction.AREA_UPDATED),
        summary=str(area),
    )
    if outcome == Outcome.UPDATED:
        caching.invalidate(caching.scopes_for(area))  # a new area serves no site yet
    return area, outcome


@transaction.atomic
def site_upsert(
    *,
    district: District,
    parent: Site | None,
    name: str,
    kind: str,
    town: str,
    actor: Actor,
    slug: str = "",
    address: str = "",
    phone: str = "",
    sector: str = "general",
    established: dt.date | None = None,
    is_online: bool = False,
    areas: list[Area] | None = None,
) -> tuple[Site, Outcome]:
    """A site, by its natural key: district, parent site and name (the path "station/room/point"). The slug
    given is used for a new site only: it is printed on posters and never changes on import."""
    site = Site.objects.filter(district=district, parent=parent, name=name.strip()).first()
    created = site is None
    if site is None:
        site = Site(
            district=district,
            parent=parent,
            name=name.strip(),
            slug=slug.strip() or _unique_slug(Site, f"{parent.slug if parent else district.slug}-site", "site"),
        )
    site, outcome = _save(
        instance=site,
        created=created,
        fields={
            "kind": kind,
            "town": town.strip(),
            "address": address.strip(),
            "phone": phone.strip(),
            "sector": sector,
            "established": established,
            "is_online": is_online,
        },
        actor=actor,
        actions=(AuditAction.SITE_CREATED, AuditAction.SITE_UPDATED),
        summary=site.name,
    )
    # The town it names has its region under the district's county (issue 15): checked on every write, not only
    # on a change, so that re-importing a district attached to its county since fills in its towns.
    town_region_ensure(district=district, town=site.town, actor=actor)
    if areas is not None:
        wanted = {area.pk for area in areas}
        present = set(site.areas.values_list("pk", flat=True))
        if wanted - present:
            site.areas.add(*(wanted - present))
            audit(
                action=AuditAction.SITE_UPDATED,
                actor=actor,
                target=site,
                summary=site.name,
                changes={"areas": {"added": sorted(str(area) for area in areas if area.pk not in present)}},
            )
            if outcome == Outcome.UNCHANGED:
                outcome = Outcome.UPDATED
    if outcome != Outcome.UNCHANGED:
        caching.invalidate(caching.site_scopes(site))
    return site, outcome


@transaction.atomic
def deputy_upsert(
    *,
    district: District,
    name: str,
    gender: str,
    actor: Actor,
    slug: str = "",
    sector: str = "general",
    occupation: str = "",
    phone: str = "",
) -> tuple[Deputy, Outcome]:
    """A deputy, by slug when given (the import's ID column), else by name within the district (refused as
    ambiguous when two deputies share the name: the file must then give the ID)."""
    deputy: Deputy | None
    if slug.strip():
        deputy = Deputy.objects.filter(slug=slug.strip()).first()
        if deputy is not None and deputy.district_id != district.pk:
            raise ValidationError({"slug": _("This ID belongs to a deputy of another district.")})
    else:
        same_name = list(Deputy.objects.filter(district=district, name=name.strip())[:2])
        if len(same_name) > 1:
            raise ValidationError(
                {"name": _("Several deputies have this name; give the deputy's ID to say which one.")}
            )
        deputy = same_name[0] if same_name else None
    created = deputy is None
    if deputy is None:
        deputy = Deputy(
            district=district,
            slug=slug.strip() or _unique_slug(Deputy, f"{district.slug}-deputy", "deputy"),
        )
    deputy, outcome = _save(
        instance=deputy,
        created=created,
        fields={
            "name": name.strip(),
            "gender": gender,
            "sector": sector,
            "occupation": occupation.strip(),
            "phone": phone.strip(),
        },
        actor=actor,
        actions=(AuditAction.DEPUTY_CREATED, AuditAction.DEPUTY_UPDATED),
        summary=name.strip(),
    )
    if outcome != Outcome.UNCHANGED:
        caching.invalidate(caching.deputy_scopes(deputy))
    return deputy, outcome


@transaction.atomic
def mandate_upsert(
    *,
    deputy: Deputy,
    level: str,
    term_start: dt.date,
    actor: Actor,
    term_end: dt.date | None = None,
    electoral_district: str = "",
) -> tuple[Mandate, Outcome]:
    """A mandate, by its natural key: deputy, level, start of the term."""
    mandate = Mandate.objects.filter(deputy=deputy, level=level, term_start=term_start).first()
    created = mandate is None
    if mandate is None:
        mandate = Mandate(deputy=deputy, level=level, term_start=term_start)
    mandate, outcome = _save(
        instance=mandate,
        created=created,
        fields={"term_end": term_end, "electoral_district": electoral_district.strip()},
        actor=actor,
        actions=(AuditAction.MANDATE_CREATED, AuditAction.MANDATE_UPDATED),
        summary=f"{deputy.name} {level} {term_start:%Y-%m-%d}",
    )
    if outcome != Outcome.UNCHANGED:
        caching.invalidate(caching.deputy_scopes(deputy))  # levels show wherever the deputy is named
    return mandate, outcome


@transaction.atomic
def assignment_upsert(
    *, deputy: Deputy, site: Site, actor: Actor, since: dt.date | None = None
) -> tuple[Assignment, Outcome]:
    """A deputy assigned to a site, by its natural key: deputy and site."""
    assignment = Assignment.objects.filter(deputy=deputy, site=site).first()
    created = assignment is None
    if assignment is None:
        assignment = Assignment(deputy=deputy, site=site)
    assignment, outcome = _save(
        instance=assignment,
        created=created,
        fields={"since": since} if since is not None or created else {},
        actor=actor,
        actions=(AuditAction.ASSIGNMENT_CREATED, AuditAction.ASSIGNMENT_UPDATED),
        summary=f"{deputy.name} @ {site.name}",
    )
    if outcome != Outcome.UNCHANGED:
        caching.invalidate(caching.assignment_scopes(deputy=deputy, site=site))
    return assignment, outcome


@transaction.atomic
def reception_rule_upsert(
    *,
    site: Site,
    kind: str,
    actor: Actor,
    day_of_month: int | None = None,
    weekday: int | None = None,
    week_of_month: int | None = None,
    date: dt.date | None = None,
    start_time: dt.time,
    end_time: dt.time,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> tuple[ReceptionRule, Outcome]:
    """A reception rule, by its natural key: site, kind, and the day it names (day of the month, weekday and
    week, or date). Times and validity are what an import may change."""
    key = {
        "site": site,
        "kind": kind,
        "day_of_month": day_of_month,
        "weekday": weekday,
        "week_of_month": week_of_month,
        "date": date,
    }
    rule = ReceptionRule.objects.filter(**key).first()
    created = rule is None
    if rule is None:
        rule = ReceptionRule(**key)
    return _save(
        instance=rule,
        created=created,
        fields={
            "start_time": start_time,
            "end_time": end_time,
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
        actor=actor,
        actions=(AuditAction.RULE_CREATED, AuditAction.RULE_UPDATED),
        summary=str(site),
    )
