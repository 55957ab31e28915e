"""Writes to the record book: log a visit with its deputies and opinions, change it, archive and restore it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stations.audit import Actor, AuditAction, audit
from stations.clock import is_late, local_time
from stations.models import (
    Area,
    Category,
    Channel,
    Deputy,
    DutyShift,
    Opinion,
    Site,
    Source,
    Theme,
    Visit,
    VisitDeputy,
)
from stations.phones import normalise_phone
from stations.planning.visits import Person, cleaned_fields, kept_present, plan_presence, plan_visit_change
from stations.policy import can_enter_late, can_restore_visit
from stations.privacy import mask_name, mask_phone
from stations.selectors.visits import assigned_deputy_ids, deputies_on_duty, shift_at
from stations.services.batch import ImportBatch, atomic_service
from stations.services.figures import figures_touch, keeps_figures, visit_keys
from stations.services.opinions import opinion_accept, opinion_register, opinions_follow_visit
from stations.services.records import apply_themes
from stations.validators import full_clean_with

# The fields of a visit a user types; the service works out the rest (shift, area, who recorded it).
# django-simple-history keeps a version's reason in a column of 100 characters.
ARCHIVE_REASON_MAX = 100

EDITABLE_FIELDS = ("site", "occurred_at", "visitor_name", "visitor_phone", "people", "channel", "category", "summary")


def _resolve_village(*, site: Site, village: str, batch: ImportBatch | None = None) -> tuple[Area | None, str]:
    """An area the site serves when the typed name is one of them (else one of the same town), else free text."""
    village = (village or "").strip()
    if not village:
        return None, ""
    if batch is not None:
        area = batch.area(site, village)
        return (area, "") if area is not None else (None, village)
    area = site.areas.filter(name=village).first()
    if area is None:
        area = Area.objects.filter(district_id=site.district_id, town=site.town, name=village).first()
    return (area, "") if area is not None else (None, village)


def _presence_rows(
    *,
    site: Site,
    deputies: Iterable[Deputy],
    visiting_deputies: Iterable[Deputy],
    already_present: AbstractSet[int] = frozenset(),
    batch: ImportBatch | None = None,
) -> tuple[dict[int, tuple[Deputy, bool]], list[str]]:
    """The deputies present with whether each is visiting, and the reasons to refuse the list, if any (the rules
    are `plan_presence`'s)."""
    deputies, visiting_deputies = list(deputies), list(visiting_deputies)
    presence = plan_presence(
        deputies=[_person(deputy) for deputy in deputies],
        visiting_deputies=[_person(deputy) for deputy in visiting_deputies],
        assigned=batch.assigned_deputy_ids(site) if batch is not None else assigned_deputy_ids(site),
        district=site.district_id,
        already_present=already_present,
    )
    by_pk = {deputy.pk: deputy for deputy in [*visiting_deputies, *deputies]}
    return {pk: (by_pk[pk], visiting) for pk, visiting in presence.visiting.items()}, presence.errors


def _person(deputy: Deputy) -> Person:
    return Person(pk=deputy.pk, name=deputy.name, district=deputy.district_id)


def _duty_rows(
    *, site: Site, shift: DutyShift | None, batch: ImportBatch | None = None
) -> dict[int, tuple[Deputy, bool]]:
    if shift is None:
        return {}
    if batch is not None:
        assigned, on_duty = batch.assigned_deputy_ids(site), batch.deputies_on_duty(shift)
    else:
        assigned, on_duty = assigned_deputy_ids(site), deputies_on_duty(shift)
    return {deputy.pk: (deputy, deputy.pk not in assigned) for deputy in on_duty}


def _late_entry_errors(visit: Visit, actor: Actor) -> list[str]:
    """Mark a visit entered more than settings.LATE_ENTRY_DAYS after it happened; refuse it to those who may
    not enter one (the station's staff). The system (imports, the demo) may."""
    if visit.occurred_at is None or not is_late(visit.occurred_at):
        return []
    visit.entered_late = True
    if actor.user is not None and not can_enter_late(actor.user, visit.site):
        return [
            _(
                "This visit is more than %(days)d days old. Only the station head or a district administrator can enter it."
            )
            % {"days": settings.LATE_ENTRY_DAYS}
        ]
    return []


def _validate(visit: Visit, extra_errors: Mapping[str, list[str]], *, batch: ImportBatch | None = None) -> None:
    """Run the model's checks and ours together, so the form shows every problem at once. In an import the
    site, shift and area come from look-ups made in this transaction: asking again whether they exist is
    skipped (every other check runs)."""
    errors: dict[str, list[str]] = {name: list(messages) for name, messages in extra_errors.items() if messages}
    exclude = ["recorded_by", "archived_by"]
    if batch is not None:
        exclude += ["site", "shift", "area"]
    full_clean_with(visit, errors, exclude=exclude)


def _snapshot(visit: Visit, rows: Mapping[int, tuple[Deputy, bool]]) -> dict[str, Any]:
    """What the audit log keeps of a visit: never the voter's name or phone in clear."""
    return {
        "site": str(visit.site),
        "occurred_at": local_time(visit.occurred_at).strftime("%Y-%m-%d %H:%M"),
        "visitor_name": mask_name(visit.visitor_name),
        "visitor_phone": mask_phone(visit.visitor_phone),
        "village": visit.area.name if visit.area is not None else visit.area_text,
        "people": visit.people,
        "channel": visit.channel,
        "category": visit.category,
        "summary": visit.summary,
        "deputies": sorted(f"{deputy.name}{'*' if visiting else ''}" for deputy, visiting in rows.values()),
    }


def _audit_summary(visit: Visit) -> str:
    return f"{visit.site} {local_time(visit.occurred_at):%Y-%m-%d %H:%M}"


def _register_opinions(
    *, visit: Visit, opinions: Sequence[Mapping[str, Any]], actor: Actor, contact_consent: bool = False
) -> list[Opinion]:
    """Each opinion through the opinions' own services: registered, and accepted at once when the staff member
    ticked "accept now". With the voter's consent their name and phone go on the opinions, so that they can be
    told of progress; without it the opinions carry no contact."""
    registered = []
    for opinion in opinions:
        created = opinion_register(
            site=visit.site,
            category=str(opinion.get("category") or visit.category),
            content=str(opinion["content"]),
            source=Source.RECEPTION,
            visit=visit,
            submitter_name=visit.visitor_name if contact_consent else "",
            submitter_phone=visit.visitor_phone if contact_consent else "",
            consent=contact_consent and bool(visit.visitor_name or visit.visitor_phone),
            actor=actor,
            # Received when the voter raised it at the visit, whenever it is typed in.
            received_at=visit.occurred_at,
        )
        if opinion.get("accept"):
            created = opinion_accept(opinion=created, actor=actor, happened_at=visit.occurred_at)
        registered.append(created)
    return registered


@atomic_service
def visit_create(
    *,
    site: Site,
    actor: Actor,
    occurred_at: dt.datetime,
    summary: str,
    people: int = 1,
    channel: str = Channel.RECEPTION_DAY,
    category: str = Category.OTHER,
    visitor_name: str = "",
    visitor_phone: str = "",
    village: str = "",
    deputies: Iterable[Deputy] | None = None,
    visiting_deputies: Iterable[Deputy] = (),
    opinions: Sequence[Mapping[str, Any]] = (),
    contact_consent: bool = False,
    themes: Iterable[Theme] = (),
) -> Visit:
    """Log a visit with the deputies present and the opinions raised, all or nothing.

    `themes` are the year's activity themes the visit is tagged with; the opinions raised at it carry them too.

    The shift is the site's shift running at `occurred_at`, if any. Without an explicit list of deputies
    the deputies on duty at that shift are recorded as present.
    """
    batch = actor.batch
    area, area_text = _resolve_village(site=site, village=village, batch=batch)
    visit = Visit(
        site=site,
        occurred_at=occurred_at,
        shift=batch.shift_at(site, occurred_at) if batch is not None else shift_at(site=site, at=occurred_at),
        visitor_name=(visitor_name or "").strip(),
        visitor_phone=normalise_phone(visitor_phone),
        area=area,
        area_text=area_text,
        people=people,
        channel=channel,
        category=category,
        summary=(summary or "").strip(),
        recorded_by=actor.user,
    )
    if deputies is None:
        rows = _duty_rows(site=site, shift=visit.shift, batch=batch)
        extra, deputy_errors = _presence_rows(site=site, deputies=(), visiting_deputies=visiting_deputies, batch=batch)
        rows.update({pk: row for pk, row in extra.items() if pk not in rows})
    else:
        rows, deputy_errors = _presence_rows(
            site=site, deputies=deputies, visiting_deputies=visiting_deputies, batch=batch
        )
    _validate(visit, {"deputies": deputy_errors, "occurred_at": _late_entry_errors(visit, actor)}, batch=batch)

    # The first history version is written once the deputies are saved, so that it lists them.
    visit.skip_history_when_saving = True  # type: ignore[attr-defined]  # read by django-simple-history
    visit.save()
    del visit.skip_history_when_saving  # type: ignore[attr-defined]
    present = VisitDeputy.objects.bulk_create(
        [VisitDeputy(visit=visit, deputy=deputy, is_visiting=visiting) for deputy, visiting in rows.values()]
    )
    visit._history_user = actor.user  # type: ignore[attr-defined]  # read by django-simple-history
    if batch is not None:
        batch.history(visit, "+", m2m_model=Visit.history_deputies_model(), m2m=present)
        batch.visit_written(visit)
    else:
        visit.record_version(history_type="+")

    registered = _register_opinions(visit=visit, opinions=opinions, actor=actor, contact_consent=contact_consent)
    theme_names = _tag_with_themes(visit, registered, themes)
    audit(
        action=AuditAction.VISIT_CREATED,
        actor=actor,
        target=visit,
        summary=_audit_summary(visit),
        changes={
            **_snapshot(visit, rows),
            "summary": visit.summary[:100],
            "opinions": [opinion.reference for opinion in registered],
            **({"themes": theme_names} if theme_names else {}),
            **({"entered_late": True} if visit.entered_late else {}),
        },
    )
    # Its opinions name their own months (opinion_register).
    figures_touch(keys=visit_keys(visit, with_opinions=False))  # and so the figures' pages (caching.figures_changed)
    return visit


def _tag_with_themes(visit: Visit, opinions: Sequence[Opinion], themes: Iterable[Theme]) -> list[str] | None:
    """Tag a new visit and the opinions raised at it with the chosen themes (no query when there are none).
    The visit's audit entry names them."""
    themes = list(themes)
    if not themes:
        return None
    names = apply_themes(visit, themes)
    for opinion in opinions:
        apply_themes(opinion, themes)
    return names


@transaction.atomic
@keeps_figures
def visit_update(
    *,
    visit: Visit,
    actor: Actor,
    deputies: Iterable[Deputy],
    visiting_deputies: Iterable[Deputy] = (),
    village: str | None = None,
    new_opinions: Sequence[Mapping[str, Any]] = (),
    contact_consent: bool = False,
    themes: Iterable[Theme] | None = None,
    **fields: Any,
) -> Visit:
    """Change a visit. The history keeps who changed what and when; an archived visit cannot be changed.
    `themes` replaces the visit's themes (None leaves them); opinions added now carry them."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"visit_update() got unexpected fields: {sorted(unknown)}")
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "area").get(pk=visit.pk)
    if visit.is_archived:
        raise ValidationError(_("An archived visit cannot be changed; restore it first."))

    old_rows = {
        presence.deputy_id: (presence.deputy, presence.is_visiting)
        for presence in visit.visit_deputies.select_related("deputy")
    }
    before = _snapshot(visit, old_rows)
    touched = visit_keys(visit)  # where it counted before the change
    before_site_id = visit.site_id
    before_occurred_at = visit.occurred_at

    for name, value in cleaned_fields(fields).items():
        setattr(visit, name, value)
    if village is not None:
        visit.area, visit.area_text = _resolve_village(site=visit.site, village=village)
    visit.shift = shift_at(site=visit.site, at=visit.occurred_at)

    rows, deputy_errors = _presence_rows(
        site=visit.site,
        deputies=deputies,
        visiting_deputies=visiting_deputies,
        already_present=kept_present(
            {pk: visiting for pk, (_deputy, visiting) in old_rows.items()}, same_site=visit.site_id == before_site_id
        ),
    )
    moved_late: list[str] = []
    if visit.occurred_at != before_occurred_at:
        # Moving a visit's time further back than the late-entry limit is a late entry too.
        moved_late = _late_entry_errors(visit, actor)
    _validate(visit, {"deputies": deputy_errors, "occurred_at": moved_late})

    change = plan_visit_change(before, _snapshot(visit, rows))
    changed = change.changed
    if change.deputies_changed:
        visit.visit_deputies.all().delete()
        VisitDeputy.objects.bulk_create(
            VisitDeputy(visit=visit, deputy=deputy, is_visiting=visiting) for deputy, visiting in rows.values()
        )
    if change.needs_saving:
        # Saved after the deputies, so that the new history version lists the new deputies.
        visit._history_user = actor.user  # type: ignore[attr-defined]  # read by django-simple-history
        visit.save()
    if visit.occurred_at != before_occurred_at:
        opinions_follow_visit(visit=visit, actor=actor)

    registered = _register_opinions(visit=visit, opinions=new_opinions, actor=actor, contact_consent=contact_consent)
    if themes is not None:
        theme_names = apply_themes(visit, themes)
        if theme_names is not None:
            changed = {**changed, "themes": theme_names}
        for opinion in registered:
            apply_themes(opinion, themes)
    figures_touch(keys=touched | visit_keys(visit))
    if changed or registered:
        audit(
            action=AuditAction.VISIT_UPDATED,
            actor=actor,
            target=visit,
            summary=_audit_summary(visit),
            changes={
                **changed,
                "opinions": [opinion.reference for opinion in registered],
                **({"entered_late": True} if visit.entered_late and "occurred_at" in changed else {}),
            },
        )
    return visit


@transaction.atomic
def visit_archive(*, visit: Visit, actor: Actor, reason: str) -> Visit:
    """Take a visit out of the record book, saying why. Nothing is ever deleted; the station head or a district
    administrator can restore it. The reason is kept in the visit's history and in the audit entry."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this visit leaves the record book.")})
    if len(reason) > ARCHIVE_REASON_MAX:
        raise ValidationError({"reason": _("At most %(max)s characters.") % {"max": ARCHIVE_REASON_MAX}})
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.is_archived:
        raise ValidationError(_("This visit is already archived."))
    visit.archived_at = timezone.now()
    visit.archived_by = actor.user
    visit._history_user = actor.user  # type: ignore[attr-defined]  # read by django-simple-history
    visit._change_reason = reason  # type: ignore[attr-defined]  # read by django-simple-history
    visit.save()
    audit(
        action=AuditAction.VISIT_ARCHIVED,
        actor=actor,
        target=visit,
        summary=str(visit.site),
        changes={"reason": reason},
    )
    figures_touch(keys=visit_keys(visit))  # archived visits count nowhere
    return visit


@transaction.atomic
def visit_restore(*, visit: Visit, actor: Actor) -> Visit:
    """Bring an archived visit back into the record book (the station head or a district administrator)."""
    if actor.user is None or not can_restore_visit(actor.user, visit):
        raise PermissionDenied
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if not visit.is_archived:
        raise ValidationError(_("This visit is not archived."))
    visit.archived_at = None
    visit.archived_by = None
    visit._history_user = actor.user  # type: ignore[attr-defined]  # read by django-simple-history
    visit.save()
    audit(action=AuditAction.VISIT_RESTORED, actor=actor, target=visit, summary=str(visit.site))
    figures_touch(keys=visit_keys(visit))
    return visit
