"""Writes for the seed's other practices (issue 16): annual themes and tagging records with them, pairing
deputies with voters (contacts, things done), and deputies' activities beyond receptions.

Every service takes the actor, validates with `full_clean()` inside a transaction and writes its own audit
entry; voters' names and phones never reach the log in clear (stations.privacy).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from stations import caching
from stations.audit import Actor, AuditAction, audit
from stations.clock import local_date, local_today
from stations.models import (
    ActivityKind,
    ContactMethod,
    Deputy,
    DeputyActivity,
    District,
    DutyShift,
    Opinion,
    Pairing,
    PairingContact,
    PairingDeed,
    PairingKind,
    Site,
    SiteKind,
    Theme,
    Visit,
)
from stations.models.records import validate_after_pairing_start
from stations.phones import normalise_phone
from stations.policy import can_manage_themes, can_record_activity
from stations.privacy import mask_name, mask_phone
from stations.validators import full_clean_with

Taggable = Visit | Opinion | DutyShift


def _full_clean(instance: models.Model, exclude: Sequence[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude))


def _refuse_future(day: dt.date | None, field: str) -> None:
    if day is not None and day > local_today():
        raise ValidationError({field: _("This date is in the future.")})


# --- annual themes ---------------------------------------------------------------------------------------------


@transaction.atomic
def theme_create(
    *,
    actor: Actor,
    district: District,
    year: int,
    name: str,
    description: str = "",
    stations: Iterable[Site] = (),
    position: int = 0,
) -> Theme:
    """A theme for a year: the district's (no stations) or chosen by some of its stations."""
    stations = list(stations)
    if actor.user is not None and not can_manage_themes(actor.user, district=district, stations=stations):
        raise PermissionDenied
    if any(site.kind != SiteKind.STATION or site.district_id != district.pk for site in stations):
        raise ValidationError({"stations": _("Choose stations of the district.")})
    theme = Theme(
        district=district,
        year=year,
        name=(name or "").strip(),
        description=(description or "").strip(),
        position=position,
    )
    _full_clean(theme)
    theme.save()
    theme.stations.set(stations)
    caching.invalidate(caching.theme_scopes(theme))
    audit(
        action=AuditAction.THEME_CREATED,
        actor=actor,
        target=theme,
        summary=f"{theme.year} {theme.name}",
        changes={"stations": sorted(site.name for site in stations)},
    )
    return theme


@transaction.atomic
def theme_update(
    *, actor: Actor, theme: Theme, name: str, description: str = "", stations: Iterable[Site] | None = None
) -> Theme:
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    chosen = list(stations) if stations is not None else list(theme.stations.all())
    if actor.user is not None and not can_manage_themes(actor.user, district=theme.district, stations=chosen):
        raise PermissionDenied
    before = {"name": theme.name, "stations": sorted(s.name for s in theme.stations.all())}
    shown_before = caching.theme_scopes(theme)  # stations that no longer work on it drop it from their pages
    theme.name, theme.description = (name or "").strip(), (description or "").strip()
    _full_clean(theme)
    theme.save()
    theme.stations.set(chosen)
    caching.invalidate(shown_before | caching.theme_scopes(theme))
    after = {"name": theme.name, "stations": sorted(s.name for s in chosen)}
    audit(
        action=AuditAction.THEME_UPDATED,
        actor=actor,
        target=theme,
        summary=f"{theme.year} {theme.name}",
        changes={key: [before[key], after[key]] for key in before if before[key] != after[key]},
    )
    return theme


def _record_site_and_year(record: Taggable) -> tuple[Site, int]:
    if isinstance(record, Visit):
        return record.site, local_date(record.occurred_at).year
    if isinstance(record, Opinion):
        return record.site, local_date(record.registered_at).year
    return record.roster.site, local_date(record.start).year


def themes_available(record: Taggable) -> models.QuerySet[Theme]:
    """The themes a record may carry: those of its year that its station works on."""
    site, year = _record_site_and_year(record)
    return Theme.objects.of_year(year).for_station(site.station)


def _checked_themes(record: Taggable, themes: Iterable[Theme]) -> list[Theme]:
    themes = list(themes)
    if not themes:
        return []
    allowed = set(themes_available(record).values_list("pk", flat=True))
    wrong = [theme.name for theme in themes if theme.pk not in allowed]
    if wrong:
        raise ValidationError(
            {
                "themes": _("Not a theme of this station for the record's year: %(themes)s")
                % {"themes": "、".join(wrong)}
            }
        )
    return themes


def apply_themes(record: Taggable, themes: Iterable[Theme]) -> list[str] | None:
    """Set a record's themes without an audit entry of its own (for services whose entry names them, such as
    `visit_create`). Returns the new theme names when they changed, None otherwise."""
    chosen = _checked_themes(record, themes)
    before = set(record.themes.values_list("pk", flat=True))
    if before == {theme.pk for theme in chosen}:
        return None
    record.themes.set(chosen)
    return sorted(theme.name for theme in chosen)


@transaction.atomic
def themes_tag(*, actor: Actor, record: Taggable, themes: Iterable[Theme]) -> list[str] | None:
    """Tag a reception (duty shift), visit or opinion with some of its year's themes (replacing its tags)."""
    names = apply_themes(record, themes)
    if names is not None:
        caching.invalidate({caching.STATS})  # the public figures by theme
        audit(
            action=AuditAction.THEMES_TAGGED,
            actor=actor,
            target=record,
            summary=str(record) if not isinstance(record, Opinion) else record.reference,
            changes={"themes": names},
        )
    return names


# --- pairing -----------------------------------------------------------------------------------------------------


def _pairing_snapshot(pairing: Pairing) -> dict[str, Any]:
    return {
        "deputy": pairing.deputy.name,
        "site": str(pairing.site),
        "kind": pairing.kind,
        "voter_name": mask_name(pairing.voter_name),
        "voter_phone": mask_phone(pairing.voter_phone),
        "consent_on": pairing.consent_on.isoformat() if pairing.consent_on else None,
        "started_on": pairing.started_on.isoformat() if pairing.started_on else None,
    }


@transaction.atomic
def pairing_create(
    *,
    actor: Actor,
    site: Site,
    deputy: Deputy,
    voter_name: str,
    consent_on: dt.date,
    started_on: dt.date | None = None,
    kind: str = PairingKind.VOTER,
    voter_phone: str = "",
    village: str = "",
    household_size: int | None = None,
    consent_note: str = "",
    notes: str = "",
) -> Pairing:
    """Pair a deputy with a voter or household of the site's station. The voter's consent (the day it was given)
    is required: without it nothing is kept."""
    pairing = Pairing(
        site=site,
        deputy=deputy,
        kind=kind,
        voter_name=(voter_name or "").strip(),
        voter_phone=normalise_phone(voter_phone or ""),
        village=(village or "").strip(),
        household_size=household_size if kind == PairingKind.HOUSEHOLD else None,
        consent_on=consent_on,
        consent_note=(consent_note or "").strip(),
        started_on=started_on or consent_on,
        notes=(notes or "").strip(),
        created_by=actor.user if actor.user is not None and actor.user.is_authenticated else None,
    )
    errors: dict[str, list[str]] = {}
    if deputy.district_id != site.district_id:
        errors["deputy"] = [_("Choose a deputy of the district.")]
    for field in ("consent_on", "started_on"):
        try:
            _refuse_future(getattr(pairing, field), field)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.message_dict[field])
    full_clean_with(pairing, errors, exclude=["created_by"])
    pairing.save()
    audit(
        action=AuditAction.PAIRING_CREATED,
        actor=actor,
        target=pairing,
        summary=f"{deputy.name} · {site}",
        changes=_pairing_snapshot(pairing),
    )
    return pairing


@transaction.atomic
def pairing_end(*, actor: Actor, pairing: Pairing, ended_on: dt.date, reason: str = "") -> Pairing:
    pairing = Pairing.objects.select_for_update().select_related("deputy", "site").get(pk=pairing.pk)
    if pairing.ended_on is not None:
        raise ValidationError({"ended_on": _("This pairing has already ended.")})
    _refuse_future(ended_on, "ended_on")
    pairing.ended_on = ended_on
    _full_clean(pairing, exclude=["created_by"])
    pairing.save(update_fields=["ended_on"])
    audit(
        action=AuditAction.PAIRING_ENDED,
        actor=actor,
        target=pairing,
        summary=f"{pairing.deputy.name} · {pairing.site}",
        changes={"ended_on": ended_on.isoformat(), "reason": (reason or "").strip()[:100]},
    )
    return pairing


def _recorded_by(actor: Actor) -> Any:
    return actor.user if actor.user is not None and actor.user.is_authenticated else None


@transaction.atomic
def pairing_contact_record(
    *, actor: Actor, pairing: Pairing, happened_on: dt.date, method: str = ContactMethod.HOME_VISIT, notes: str = ""
) -> PairingContact:
    """One contact between the deputy and the paired voter."""
    contact = PairingContact(
        pairing=pairing,
        happened_on=happened_on,
        method=method,
        notes=(notes or "").strip(),
        recorded_by=_recorded_by(actor),
    )
    _refuse_future(happened_on, "happened_on")
    _full_clean(contact, exclude=["recorded_by"])
    validate_after_pairing_start(pairing, happened_on)
    contact.save()
    audit(
        action=AuditAction.PAIRING_CONTACT_RECORDED,
        actor=actor,
        target=pairing,
        summary=f"{pairing.deputy.name} {happened_on.isoformat()}",
        changes={"method": method, "happened_on": happened_on.isoformat()},
    )
    return contact


@transaction.atomic
def pairing_deed_record(
    *, actor: Actor, pairing: Pairing, happened_on: dt.date, what: str, outcome: str
) -> PairingDeed:
    """A concrete thing the deputy did for the paired voter (办实事), with how it turned out."""
    deed = PairingDeed(
        pairing=pairing,
        happened_on=happened_on,
        what=(what or "").strip(),
        outcome=(outcome or "").strip(),
        recorded_by=_recorded_by(actor),
    )
    _refuse_future(happened_on, "happened_on")
    _full_clean(deed, exclude=["recorded_by"])
    validate_after_pairing_start(pairing, happened_on)
    deed.save()
    audit(
        action=AuditAction.PAIRING_DEED_RECORDED,
        actor=actor,
        target=pairing,
        summary=f"{pairing.deputy.name} {happened_on.isoformat()}",
        # Free text may name the voter: only the fact is kept, as for a visit's summary.
        changes={"happened_on": happened_on.isoformat(), "what": "…"},
    )
    return deed


# --- deputies' activities ----------------------------------------------------------------------------------------


@transaction.atomic
def activity_record(
    *,
    actor: Actor,
    deputy: Deputy,
    kind: str,
    held_on: dt.date,
    title: str,
    site: Site | None = None,
    place: str = "",
    hours: Decimal | None = None,
    notes: str = "",
) -> DeputyActivity:
    """Register one of a deputy's activities beyond receptions (a study session at the station, an inspection,
    research, a meeting with voters elsewhere). Staff of a station the deputy serves, a district administrator,
    or the deputy themself (the deputy's own pages reuse `DeputyActivityForm` and this service)."""
    if actor.user is not None and not can_record_activity(actor.user, deputy):
        raise PermissionDenied
    activity = DeputyActivity(
        deputy=deputy,
        kind=kind,
        held_on=held_on,
        title=(title or "").strip(),
        site=site,
        place=(place or "").strip(),
        hours=hours,
        notes=(notes or "").strip(),
        recorded_by=_recorded_by(actor),
    )
    errors: dict[str, list[str]] = {}
    if site is not None and site.district_id != deputy.district_id:
        errors["site"] = [_("Choose a site of the deputy's district.")]
    if kind == ActivityKind.STUDY and site is None:
        errors["site"] = [_("A study session takes place at a station, room or point: choose it.")]
    if held_on is not None and held_on > local_today():
        errors["held_on"] = [_("This date is in the future.")]
    full_clean_with(activity, errors, exclude=["recorded_by"])
    activity.save()
    audit(
        action=AuditAction.ACTIVITY_RECORDED,
        actor=actor,
        target=activity,
        summary=f"{deputy.name} {held_on.isoformat()} {activity.get_kind_display()}",
        changes={"kind": kind, "held_on": held_on.isoformat(), "site": str(site) if site else ""},
    )
    return activity
