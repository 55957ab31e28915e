"""Duty rosters: generating a year from the reception rules, fair assignment, publishing, and the changes made
after publishing (swaps, substitutions, moved receptions, attendance).

Every write that puts a deputy on a shift refuses a conflict (the same deputy on two overlapping shifts at any
two sites). The deputies involved are locked with `select_for_update()` first, so two heads editing at once
cannot both pass the check; on SQLite the IMMEDIATE transactions serialise writers anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from stations import caching
from stations.audit import Actor, AuditAction, audit
from stations.clock import local_date, local_moment, local_time, start_of_day
from stations.models import (
    AbsenceReason,
    Attendance,
    Deputy,
    District,
    Duty,
    DutyShift,
    ReceptionRule,
    Roster,
    RuleKind,
    Site,
    Unavailability,
)
from stations.models.rosters import DEFAULT_END, DEFAULT_RECEPTION_DAY, DEFAULT_START
from stations.models.sites import kind_rank
from stations.planning.rosters import Commitment, Slot, plan_duties
from stations.policy import can_manage_roster, can_mark_attendance
from stations.selectors.rosters import (
    busy_between,
    busy_map,
    format_day,
    format_span,
)
from stations.selectors.stats import Period
from stations.services.figures import ATTENDANCE, ROSTER, figures_touch, keeps_figures, shift_keys, touches

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# --- results ---------------------------------------------------------------------------------------------


@dataclass
class ShortShift:
    """A shift that got fewer deputies than it needs (everyone free was already on it)."""

    shift: DutyShift
    needed: int
    got: int


@dataclass
class GenerationResult:
    rosters_created: int = 0
    shifts_created: int = 0
    shifts_removed: int = 0
    duties_created: int = 0
    sites: int = 0
    short: list[ShortShift] = field(default_factory=list)

    def __iadd__(self, other: GenerationResult) -> GenerationResult:
        self.rosters_created += other.rosters_created
        self.shifts_created += other.shifts_created
        self.shifts_removed += other.shifts_removed
        self.duties_created += other.duties_created
        self.sites += other.sites
        self.short.extend(other.short)
        return self

    @property
    def changed(self) -> bool:
        return bool(self.rosters_created or self.shifts_created or self.shifts_removed or self.duties_created)


# --- checks shared by every write ----------------------------------------------------------------------


def _lock_deputies(ids: Iterable[int]) -> None:
    # Always in primary-key order, so two transactions locking overlapping sets cannot deadlock.
    list(Deputy.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk").values_list("pk", flat=True))


def _conflict_message(deputy: Deputy, other: DutyShift, site: Site, start: dt.datetime, end: dt.datetime) -> str:
    return _(
        "%(deputy)s is already on duty at %(other_site)s on %(other_time)s and cannot also serve at %(site)s on "
        "%(time)s."
    ) % {
        "deputy": deputy.name,
        "other_site": other.roster.site.name,
        "other_time": format_span(other.start, other.end),
        "site": site.name,
        "time": format_span(start, end),
    }


def refuse_conflicts(
    *,
    deputies: Iterable[Deputy],
    site: Site,
    start: dt.datetime,
    end: dt.datetime,
    exclude_shift_ids: Iterable[int] = (),
) -> None:
    """Raise a ValidationError naming the deputy, both sites and both times if any deputy is busy then."""
    by_pk = {deputy.pk: deputy for deputy in deputies}
    busy = busy_between(deputy_ids=by_pk, start=start, end=end, exclude_shift_ids=exclude_shift_ids)
    if busy:
        raise ValidationError([_conflict_message(by_pk[item.deputy_id], item.shift, site, start, end) for item in busy])


def _require_manager(actor: Actor, *sites: Site) -> None:
    # No user is the system itself (a management command); people always come with their account.
    if actor.user is not None and not all(can_manage_roster(actor.user, site) for site in sites):
        raise PermissionDenied(_("Only the station head or a district administrator can change the roster."))


def _require_reason(roster: Roster, reason: str) -> str:
    reason = (reason or "").strip()
    if roster.is_published and not reason:
        raise ValidationError({"reason": _("The roster is published: give a reason for the change.")})
    return reason


def _require_unmarked(*duties: Duty) -> None:
    for duty in duties:
        if duty.attendance != Attendance.UNMARKED:
            raise ValidationError(
                _("Attendance of %(deputy)s is already marked for %(time)s; that shift can no longer be changed.")
                % {"deputy": duty.deputy.name, "time": format_span(duty.shift.start, duty.shift.end)}
            )


def _locked_shift(shift: DutyShift) -> DutyShift:
    return DutyShift.objects.select_for_update().select_related("roster__site").get(pk=shift.pk)


def _locked_duty(duty: Duty) -> Duty:
    return Duty.objects.select_for_update().select_related("shift__roster__site", "deputy").get(pk=duty.pk)


def _save_with_history(obj: Any, *, actor: Actor, reason: str) -> None:
    obj.full_clean()
    # simple_history records who and why with the row's new version.
    obj._history_user = _user(actor)
    obj._change_reason = reason or None
    obj.save()


def _bump(shift: DutyShift, *, actor: Actor, reason: str) -> None:
    """A change subscribers should see: RFC 5545 wants SEQUENCE to rise; regeneration must leave it alone."""
    shift.sequence += 1
    shift.manually_changed = True
    _save_with_history(shift, actor=actor, reason=reason)


# --- generation ----------------------------------------------------------------------------------------


def default_rule(site: Site) -> ReceptionRule:
    """ "每月20日，不见不散": the rule of a site that has none of its own (never saved)."""
    return ReceptionRule(
        site=site,
        kind=RuleKind.MONTHLY_DAY,
        day_of_month=DEFAULT_RECEPTION_DAY,
        start_time=DEFAULT_START,
        end_time=DEFAULT_END,
    )


def planned_slots(site: Site, year: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of every reception the site's rules plan in `year`, in Asia/Shanghai, earliest first."""
    rules = list(site.reception_rules.all()) or [default_rule(site)]
    slots: dict[dt.datetime, dt.datetime] = {}
    for rule in rules:
        for day in rule.dates_in(year):
            slots.setdefault(local_moment(day, rule.start_time), local_moment(day, rule.end_time))
    return sorted(slots.items())


def _untouched(shift: DutyShift) -> bool:
    """Generated and never changed since: no manual change, no attendance, no record-book entry."""
    return (
        not shift.manually_changed
        and not shift.cancelled
        and all(duty.attendance == Attendance.UNMARKED for duty in shift.duties.all())
    )


@transaction.atomic
def roster_generate(*, site: Site, year: int, actor: Actor) -> GenerationResult:
    """Create or complete `site`'s roster for `year` from its reception rules and spread its deputies fairly.

    Safe to run again: it adds the receptions and duties that are missing and never touches a shift changed by
    hand or with attendance marked. In a draft, an untouched shift that no rule plans any more is removed.
    """
    _require_manager(actor, site)
    result = GenerationResult(sites=1)
    roster, created = Roster.objects.get_or_create(site=site, year=year)
    # Serialises two generations of the same roster (PostgreSQL); the unique planned start is the backstop.
    roster = Roster.objects.select_for_update().select_related("site").get(pk=roster.pk)
    result.rosters_created = int(created)

    slots = planned_slots(site, year)
    existing = list(roster.shifts.prefetch_related("duties").order_by("start"))
    planned_starts = {start for start, _end in slots}
    if not roster.is_published:
        stale = [s for s in existing if s.planned_start not in planned_starts and _untouched(s)]
        stale = [s for s in stale if not s.visits.exists()]
        for shift in stale:
            shift.delete()
        result.shifts_removed = len(stale)
        existing = [s for s in existing if s not in stale]

    known = {shift.planned_start for shift in existing}
    new_shifts = [
        DutyShift(roster=roster, start=start, end=end, original_start=start)
        for start, end in slots
        if start not in known
    ]
    for shift in new_shifts:
        # The unique planned start is checked by the database; a query per shift would add nothing.
        shift.full_clean(validate_unique=False, validate_constraints=False)
    if new_shifts:
        bulk_create_with_history(new_shifts, DutyShift, default_user=_user(actor))
    result.shifts_created = len(new_shifts)

    _assign_fairly(roster=roster, year=year, actor=actor, result=result)
    if result.changed:
        # Duties scheduled (and shifts removed) anywhere in the year; the shifts removed were never held (no
        # attendance marked, no visit recorded: _untouched), the new ones are not yet.
        figures_touch(keys=touches({(site.district_id, month) for month in Period.year(year).month_starts()}, ROSTER))
        audit(
            action=AuditAction.ROSTER_GENERATED,
            actor=actor,
            target=roster,
            summary=f"{site.slug} {year}",
            changes={
                "shifts_created": result.shifts_created,
                "shifts_removed": result.shifts_removed,
                "duties_created": result.duties_created,
            },
        )
        caching.invalidate(caching.roster_scopes(roster))
    return result


def _user(actor: Actor) -> User | None:
    return actor.user if actor.user is not None and actor.user.is_authenticated else None


def _assign_fairly(*, roster: Roster, year: int, actor: Actor, result: GenerationResult) -> None:
    """Fill every untouched shift to the site's size from the deputies assigned to the site: loads the roster,
    the deputies and what keeps them busy, lets `plan_duties` decide, and writes its duties."""
    site = roster.site
    shifts = list(roster.shifts.filter(cancelled=False).prefetch_related("duties").order_by("start"))
    if not shifts:
        return
    pool_ids = list(
        Deputy.objects.active()
        .filter(assignments__site=site)
        .distinct()
        .order_by("name", "pk")
        .values_list("pk", flat=True)
    )
    busy: dict[int, list[Commitment]] = {}
    unavailable: set[tuple[int, dt.date]] = set()
    if pool_ids:
        _lock_deputies(pool_ids)
        busy, unavailable = _commitments(pool_ids, year)
    plan = plan_duties(
        slots=[_slot(shift) for shift in shifts],
        deputies=pool_ids,
        size=site.deputies_per_shift,
        busy=busy,
        unavailable=unavailable,
    )

    by_pk = {shift.pk: shift for shift in shifts}
    result.short.extend(ShortShift(by_pk[short.shift], short.needed, short.got) for short in plan.short)
    duties = [Duty(shift=by_pk[new.shift], deputy_id=new.deputy) for new in plan.assignments]
    if duties:
        bulk_create_with_history(duties, Duty, default_user=_user(actor))
    result.duties_created = len(duties)
    if roster.is_published:
        for pk in dict.fromkeys(new.shift for new in plan.assignments):
            shift = by_pk[pk]
            shift.sequence += 1
            shift.save(update_fields=["sequence"])


def _slot(shift: DutyShift) -> Slot:
    return Slot(
        key=shift.pk,
        start=shift.start,
        end=shift.end,
        day=local_date(shift.start),
        on_duty=frozenset(duty.deputy_id for duty in shift.duties.all()),
        fillable=_untouched(shift),
    )


def _commitments(deputy_ids: list[int], year: int) -> tuple[dict[int, list[Commitment]], set[tuple[int, dt.date]]]:
    """What keeps the deputies from a reception of `year` (a day either side, for time zones): the shifts they
    already serve anywhere, and the dates they said they are unavailable."""
    year_start = start_of_day(dt.date(year, 1, 1)) - dt.timedelta(days=1)
    year_end = start_of_day(dt.date(year + 1, 1, 1)) + dt.timedelta(days=1)
    busy = {
        pk: [Commitment(shift.pk, shift.start, shift.end) for shift in shifts]
        for pk, shifts in busy_map(deputy_ids=deputy_ids, start=year_start, end=year_end).items()
    }
    unavailable = set(
        Unavailability.objects.filter(
            deputy_id__in=deputy_ids, date__gte=year_start.date(), date__lte=year_end.date()
        ).values_list("deputy_id", "date")
    )
    return busy, unavailable


def _ordered(sites: Iterable[Site]) -> list[Site]:
    # Stations first, then rooms, then points: a deputy assigned at two levels is planned at the station first.
    return sorted(sites, key=lambda site: (kind_rank(site.kind), site.name, site.pk))


@transaction.atomic
@keeps_figures
def rosters_generate(*, sites: Iterable[Site], year: int, actor: Actor) -> GenerationResult:
    """Generate `year` for several sites as one change: all of them or, on an error, none."""
    total = GenerationResult()
    for site in _ordered(sites):
        total += roster_generate(site=site, year=year, actor=actor)
    return total


def roster_generate_station(*, station: Site, year: int, actor: Actor) -> GenerationResult:
    """The station with every room and point under it."""
    return rosters_generate(sites=Site.objects.active().under_station(station), year=year, actor=actor)


def roster_generate_district(*, district: District, year: int, actor: Actor) -> GenerationResult:
    return rosters_generate(sites=Site.objects.active().filter(district=district), year=year, actor=actor)


# --- publishing ----------------------------------------------------------------------------------------


@transaction.atomic
def roster_publish(*, roster: Roster, actor: Actor) -> Roster:
    """Make the roster public. Publishing twice changes nothing."""
    roster = Roster.objects.select_for_update().select_related("site").get(pk=roster.pk)
    _require_manager(actor, roster.site)
    if roster.is_published:
        return roster
    if not roster.shifts.filter(cancelled=False).exists():
        raise ValidationError(
            _("The roster of %(site)s for %(year)s has no receptions yet: generate it before publishing.")
            % {"site": roster.site.name, "year": roster.year}
        )
    roster.published_at = timezone.now()
    roster.published_by = _user(actor)
    _save_with_history(roster, actor=actor, reason="published")
    audit(action=AuditAction.ROSTER_PUBLISHED, actor=actor, target=roster, summary=f"{roster.site.slug} {roster.year}")
    caching.invalidate(caching.roster_scopes(roster))
    return roster


# --- changes by hand ------------------------------------------------------------------------------------


@transaction.atomic
def shift_ensure(
    *, site: Site, start: dt.datetime, end: dt.datetime, actor: Actor, reason: str = ""
) -> tuple[DutyShift, bool]:
    """The site's reception starting at `start`, created (with its year's roster) when there is none: how a
    record of past rosters comes in. Returns the shift and whether it was created. A created shift counts as
    changed by hand, so that regenerating the roster from the rules leaves it alone."""
    _require_manager(actor, site)
    roster, _created = Roster.objects.get_or_create(site=site, year=local_time(start).year)
    shift = DutyShift.objects.filter(roster=roster, start=start).first()
    if shift is not None:
        return shift, False
    reason = _require_reason(roster, reason)
    shift = DutyShift(roster=roster, start=start, end=end, manually_changed=True, change_note=reason[:200])
    _save_with_history(shift, actor=actor, reason=reason)
    audit(
        action=AuditAction.SHIFT_CREATED,
        actor=actor,
        target=shift,
        summary=reason,
        changes={"site": site.slug, "start": format_span(start, end)},
    )
    caching.invalidate(caching.shifts_scopes([shift]))
    return shift, True


@transaction.atomic
def duty_assign(*, shift: DutyShift, deputy: Deputy, actor: Actor, reason: str = "") -> Duty:
    """Put a deputy on a shift (the head completing or adjusting the roster)."""
    _lock_deputies([deputy.pk])
    shift = _locked_shift(shift)
    _require_manager(actor, shift.site)
    reason = _require_reason(shift.roster, reason)
    if shift.duties.filter(deputy=deputy).exists():
        raise ValidationError({"deputy": _("%(deputy)s is already on this shift.") % {"deputy": deputy.name}})
    refuse_conflicts(deputies=[deputy], site=shift.site, start=shift.start, end=shift.end)
    duty = Duty(shift=shift, deputy=deputy, note=reason)
    _save_with_history(duty, actor=actor, reason=reason)
    _bump(shift, actor=actor, reason=reason)
    audit(
        action=AuditAction.DUTY_ASSIGNED,
        actor=actor,
        target=shift,
        summary=reason,
        changes={"deputy": deputy.pk},
    )
    figures_touch(keys=shift_keys(shift, ROSTER))
    caching.invalidate(caching.shifts_scopes([shift]))
    return duty


@transaction.atomic
def duty_remove(*, duty: Duty, actor: Actor, reason: str = "") -> None:
    duty = _locked_duty(duty)
    shift = _locked_shift(duty.shift)
    _require_manager(actor, shift.site)
    reason = _require_reason(shift.roster, reason)
    _require_unmarked(duty)
    duty._history_user = _user(actor)  # type: ignore[attr-defined]  # read by simple_history
    duty._change_reason = reason or None  # type: ignore[attr-defined]
    duty.delete()
    _bump(shift, actor=actor, reason=reason)
    audit(
        action=AuditAction.DUTY_REMOVED,
        actor=actor,
        target=shift,
        summary=reason,
        changes={"deputy": duty.deputy_id},
    )
    figures_touch(keys=shift_keys(shift, ROSTER))
    caching.invalidate(caching.shifts_scopes([shift], deputies=[duty.deputy]))


@transaction.atomic
def shift_swap(*, duty: Duty, other_duty: Duty, actor: Actor, reason: str = "") -> tuple[Duty, Duty]:
    """Two deputies exchange their shifts: `duty`'s deputy takes `other_duty`'s shift and the other way round."""
    _lock_deputies([duty.deputy_id, other_duty.deputy_id])
    duty, other_duty = _locked_duty(duty), _locked_duty(other_duty)
    shift, other_shift = _locked_shift(duty.shift), _locked_shift(other_duty.shift)
    _require_manager(actor, shift.site, other_shift.site)
    reason = _require_reason(shift.roster, reason) or _require_reason(other_shift.roster, reason)
    if shift.pk == other_shift.pk or duty.deputy_id == other_duty.deputy_id:
        raise ValidationError({"other_duty": _("Choose a different deputy on a different shift to swap with.")})
    _require_unmarked(duty, other_duty)
    first, second = duty.deputy, other_duty.deputy
    if other_shift.duties.filter(deputy=first).exists() or shift.duties.filter(deputy=second).exists():
        raise ValidationError(
            {"other_duty": _("One of the two deputies is already on the other shift; a swap would double them.")}
        )
    both = [shift.pk, other_shift.pk]
    refuse_conflicts(
        deputies=[first], site=other_shift.site, start=other_shift.start, end=other_shift.end, exclude_shift_ids=both
    )
    refuse_conflicts(deputies=[second], site=shift.site, start=shift.start, end=shift.end, exclude_shift_ids=both)
    duty.deputy, other_duty.deputy = second, first
    for item in (duty, other_duty):
        item.note = reason
        _save_with_history(item, actor=actor, reason=reason)
    _bump(shift, actor=actor, reason=reason)
    _bump(other_shift, actor=actor, reason=reason)
    audit(
        action=AuditAction.DUTY_SWAPPED,
        actor=actor,
        target=shift,
        summary=reason,
        changes={"deputies": [first.pk, second.pk], "shifts": [shift.pk, other_shift.pk]},
    )
    figures_touch(keys=shift_keys(shift, ROSTER) | shift_keys(other_shift, ROSTER))
    caching.invalidate(caching.shifts_scopes([shift, other_shift]))
    return duty, other_duty


@transaction.atomic
def duty_substitute(*, duty: Duty, substitute: Deputy, actor: Actor, reason: str = "") -> Duty:
    """Another deputy takes this duty (planned in advance; on the day itself use attendance "substituted")."""
    _lock_deputies([duty.deputy_id, substitute.pk])
    duty = _locked_duty(duty)
    shift = _locked_shift(duty.shift)
    _require_manager(actor, shift.site)
    reason = _require_reason(shift.roster, reason)
    _require_unmarked(duty)
    if substitute.pk == duty.deputy_id or shift.duties.filter(deputy=substitute).exists():
        raise ValidationError({"substitute": _("%(deputy)s is already on this shift.") % {"deputy": substitute.name}})
    refuse_conflicts(deputies=[substitute], site=shift.site, start=shift.start, end=shift.end)
    replaced = duty.deputy
    duty.deputy = substitute
    duty.note = reason
    _save_with_history(duty, actor=actor, reason=reason)
    _bump(shift, actor=actor, reason=reason)
    audit(
        action=AuditAction.DUTY_SUBSTITUTED,
        actor=actor,
        target=shift,
        summary=reason,
        changes={"from": replaced.pk, "to": substitute.pk},
    )
    figures_touch(keys=shift_keys(shift, ROSTER))
    caching.invalidate(caching.shifts_scopes([shift], deputies=[replaced]))
    return duty


@transaction.atomic
def shift_move(*, shift: DutyShift, start: dt.datetime, end: dt.datetime, actor: Actor, reason: str = "") -> DutyShift:
    """Move a reception to another day or time. It keeps where it was first planned, so the public pages say
    "moved from 20 Dec to 21 Dec", and its SEQUENCE rises so subscribed calendars follow."""
    shift = _locked_shift(shift)
    duties = list(shift.duties.select_related("deputy", "shift"))
    _lock_deputies([duty.deputy_id for duty in duties])
    _require_manager(actor, shift.site)
    reason = _require_reason(shift.roster, reason)
    if end <= start:
        raise ValidationError({"end_time": _("The reception must end after it starts.")})
    if local_time(start).year != shift.roster.year:
        raise ValidationError(
            {"date": _("A reception stays within its roster's year (%(year)s).") % {"year": shift.roster.year}}
        )
    _require_unmarked(*duties)
    refuse_conflicts(
        deputies=[duty.deputy for duty in duties], site=shift.site, start=start, end=end, exclude_shift_ids=[shift.pk]
    )
    before = shift.start
    touched = shift_keys(shift, ATTENDANCE)
    if shift.original_start is None:
        shift.original_start = shift.start
    shift.start, shift.end = start, end
    shift.change_note = reason[:200]
    _bump(shift, actor=actor, reason=reason)
    audit(
        action=AuditAction.SHIFT_MOVED,
        actor=actor,
        target=shift,
        summary=reason,
        changes={"site": shift.site.slug, "from": format_day(before), "to": format_day(start)},
    )
    # A reception with a visit recorded counts as held on its (new) date.
    figures_touch(keys=touched | shift_keys(shift, ATTENDANCE))
    caching.invalidate(caching.shifts_scopes([shift]))  # the figures: figures_touch above
    return shift


@transaction.atomic
def duty_mark_attendance(
    *,
    duty: Duty,
    attendance: str,
    actor: Actor,
    absence_reason: str = "",
    substitute: Deputy | None = None,
    note: str = "",
) -> Duty:
    """After the reception has begun: present, absent (with a reason) or substituted by another deputy."""
    if substitute is not None:
        _lock_deputies([substitute.pk])
    duty = _locked_duty(duty)
    shift = duty.shift
    stood_in_before = duty.substitute
    if actor.user is not None and not can_mark_attendance(actor.user, shift.site):
        raise PermissionDenied(_("Only the station's staff can mark attendance."))
    if shift.start > timezone.now():
        raise ValidationError(_("Attendance can be marked once the reception has begun."))
    if attendance not in Attendance.values:
        raise ValidationError({"attendance": _("Choose present, absent or substituted.")})
    duty.attendance = attendance
    duty.absence_reason = ""
    duty.substitute = None
    if attendance == Attendance.ABSENT:
        if absence_reason not in AbsenceReason.values:
            raise ValidationError({"absence_reason": _("Give the reason for the absence.")})
        duty.absence_reason = absence_reason
    elif attendance == Attendance.SUBSTITUTED:
        if substitute is None:
            raise ValidationError({"substitute": _("Choose the deputy who stood in.")})
        if substitute.pk == duty.deputy_id or shift.duties.filter(deputy=substitute).exists():
            raise ValidationError(
                {"substitute": _("%(deputy)s is already on this shift.") % {"deputy": substitute.name}}
            )
        refuse_conflicts(deputies=[substitute], site=shift.site, start=shift.start, end=shift.end)
        duty.substitute = substitute
    duty.note = note.strip()[:200]
    _save_with_history(duty, actor=actor, reason=note)
    audit(
        action=AuditAction.ATTENDANCE_MARKED,
        actor=actor,
        target=duty,
        changes={"deputy": duty.deputy_id, "shift": shift.pk, "attendance": attendance},
    )
    figures_touch(keys=shift_keys(shift, ATTENDANCE))
    # Who came shows on the schedules (an absent deputy is left out, a substitute named); "held" is a figure.
    caching.invalidate(caching.shifts_scopes([shift], deputies=[stood_in_before] if stood_in_before else []))
    return duty
