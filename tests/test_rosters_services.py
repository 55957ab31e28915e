"""Roster services: generation from the rules, fairness, conflicts, publishing, changes after publishing."""

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from stations.audit import Actor, AuditAction
from stations.models import (
    AuditEntry,
    Duty,
    DutyShift,
    ReceptionRule,
    Roster,
    RuleKind,
    Unavailability,
    Weekday,
)
from stations.services.rosters import (
    duty_assign,
    duty_mark_attendance,
    duty_remove,
    duty_substitute,
    roster_generate,
    roster_generate_district,
    roster_generate_station,
    roster_publish,
    shift_move,
    shift_swap,
)
from tests.conftest import make_deputy
from tests.factories_rosters import at, make_shift

YEAR = 2027


def local(moment):
    return timezone.localtime(moment)


def snapshot():
    shifts = list(
        DutyShift.objects.order_by("pk").values_list("pk", "start", "end", "original_start", "sequence", "cancelled")
    )
    duties = list(Duty.objects.order_by("pk").values_list("pk", "shift_id", "deputy_id", "attendance"))
    return shifts, duties, DutyShift.history.count(), Duty.history.count()


def counts_at(site, year=YEAR):
    counts = Counter(
        Duty.objects.filter(shift__roster__site=site, shift__roster__year=year).values_list("deputy_id", flat=True)
    )
    for deputy in site.deputies.all():
        counts.setdefault(deputy.pk, 0)
    return counts


def assert_no_deputy_overlaps():
    duties = list(Duty.objects.select_related("shift"))
    by_deputy = {}
    for duty in duties:
        by_deputy.setdefault(duty.deputy_id, []).append(duty.shift)
    for shifts in by_deputy.values():
        shifts.sort(key=lambda s: s.start)
        for a, b in zip(shifts, shifts[1:], strict=False):
            assert a.end <= b.start, f"{a} overlaps {b}"


# --- generation ----------------------------------------------------------------------------------------


def test_generation_gives_twelve_receptions_on_the_20th_for_every_site_of_a_station(station, room, point, deputies):
    result = roster_generate_station(station=station, year=YEAR, actor=Actor.system())

    assert result.sites == 3
    for site in (station, room, point):
        shifts = list(DutyShift.objects.filter(roster__site=site, roster__year=YEAR))
        assert len(shifts) == 12
        assert sorted(local(s.start).month for s in shifts) == list(range(1, 13))
        for shift in shifts:
            start, end = local(shift.start), local(shift.end)
            assert (start.day, start.hour, start.minute) == (20, 9, 0)
            assert (end.hour, end.minute) == (11, 30)
            assert str(start.tzinfo) == "Asia/Shanghai"
            assert not shift.was_moved
    assert not Roster.objects.get(site=room, year=YEAR).is_published


def test_regenerating_changes_nothing(station, room, point, deputies):
    roster_generate_station(station=station, year=YEAR, actor=Actor.system())
    before = snapshot()

    again = roster_generate_station(station=station, year=YEAR, actor=Actor.system())

    assert not again.changed
    assert snapshot() == before


def test_regenerating_adds_what_is_missing_and_leaves_manual_changes_and_attendance(room, deputies):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    shifts = list(DutyShift.objects.filter(roster__site=room).order_by("start"))
    shifts[0].delete()  # a reception lost by accident
    marked = shifts[1].duties.first()
    Duty.objects.filter(pk=marked.pk).update(attendance="present")
    DutyShift.objects.filter(pk=shifts[2].pk).update(manually_changed=True)
    Duty.objects.filter(shift=shifts[2]).delete()  # the head emptied it on purpose

    result = roster_generate(site=room, year=YEAR, actor=Actor.system())

    assert result.shifts_created == 1
    assert DutyShift.objects.filter(roster__site=room).count() == 12
    assert Duty.objects.get(pk=marked.pk).attendance == "present"
    assert not Duty.objects.filter(shift=shifts[2]).exists()
    january = DutyShift.objects.get(roster__site=room, start=at(YEAR, 1, 20))
    assert january.duties.count() == 2


def test_site_without_rules_uses_the_default_but_own_rules_replace_it(room, deputies):
    ReceptionRule.objects.create(
        site=room,
        kind=RuleKind.MONTHLY_WEEKDAY,
        weekday=Weekday.SATURDAY,
        week_of_month=5,
        start_time=dt.time(14),
        end_time=dt.time(16),
    )
    ReceptionRule.objects.create(site=room, kind=RuleKind.EXTRA_DATE, date=dt.date(YEAR, 7, 1))

    roster_generate(site=room, year=YEAR, actor=Actor.system())

    starts = [local(s.start) for s in DutyShift.objects.filter(roster__site=room).order_by("start")]
    assert len(starts) == 13
    assert dt.date(YEAR, 7, 1) in [s.date() for s in starts]
    saturdays = [s for s in starts if s.date() != dt.date(YEAR, 7, 1)]
    assert all(s.weekday() == 5 and (s + dt.timedelta(days=7)).month != s.month for s in saturdays)
    assert all(s.hour == 14 for s in saturdays)


def test_weekly_rule_opens_every_week_within_its_validity(room, deputies):
    ReceptionRule.objects.create(
        site=room,
        kind=RuleKind.WEEKLY,
        weekday=Weekday.WEDNESDAY,
        valid_from=dt.date(YEAR, 3, 1),
        valid_until=dt.date(YEAR, 3, 31),
    )
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    days = [local(s.start).date() for s in DutyShift.objects.filter(roster__site=room).order_by("start")]
    assert days == [dt.date(YEAR, 3, d) for d in (3, 10, 17, 24, 31)]


def test_regenerating_a_draft_follows_a_changed_rule(room, deputies):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    ReceptionRule.objects.create(site=room, kind=RuleKind.MONTHLY_DAY, day_of_month=15)

    result = roster_generate(site=room, year=YEAR, actor=Actor.system())

    assert result.shifts_removed == 12
    assert {local(s.start).day for s in DutyShift.objects.filter(roster__site=room)} == {15}


def test_regenerating_a_published_roster_deletes_nothing(room, deputies):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    roster_publish(roster=Roster.objects.get(site=room), actor=Actor.system())
    ReceptionRule.objects.create(site=room, kind=RuleKind.MONTHLY_DAY, day_of_month=15)

    roster_generate(site=room, year=YEAR, actor=Actor.system())

    days = Counter(local(s.start).day for s in DutyShift.objects.filter(roster__site=room))
    assert days == {20: 12, 15: 12}


@pytest.mark.parametrize("how_many", [1, 2, 3, 5, 7, 13, 30])
def test_assignment_is_fair_and_everyone_serves(room, district, how_many):
    for n in range(how_many):
        make_deputy(district, f"代表{n}", sites=[room])

    roster_generate(site=room, year=YEAR, actor=Actor.system())

    counts = counts_at(room)
    assert len(counts) == how_many
    assert max(counts.values()) - min(counts.values()) <= 1
    assert min(counts.values()) >= 1
    sizes = [s.duties.count() for s in DutyShift.objects.filter(roster__site=room)]
    assert min(sizes) >= min(2, how_many)
    assert max(sizes) - min(sizes) <= 1


def test_assignment_respects_unavailable_dates_and_stays_fair(room, district):
    people = [make_deputy(district, f"代表{n}", sites=[room]) for n in range(3)]
    away = [dt.date(YEAR, m, 20) for m in (1, 2, 3, 4)]
    Unavailability.objects.bulk_create(Unavailability(deputy=people[0], date=day) for day in away)

    roster_generate(site=room, year=YEAR, actor=Actor.system())

    for day in away:
        shift = DutyShift.objects.get(roster__site=room, start__date=day)
        assert people[0] not in shift.deputies.all()
        assert shift.duties.count() == 2
    counts = counts_at(room)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_generation_never_creates_a_conflict_for_deputies_at_two_sites(station, room, point, district):
    shared = [make_deputy(district, f"双岗{n}", sites=[station, room]) for n in range(3)]
    [make_deputy(district, f"站{n}", sites=[station]) for n in range(2)]
    [make_deputy(district, f"室{n}", sites=[room]) for n in range(2)]
    make_deputy(district, "点代表", sites=[point, room])

    roster_generate_station(station=station, year=YEAR, actor=Actor.system())

    assert_no_deputy_overlaps()
    for site in (station, room):
        counts = counts_at(site)
        assert max(counts.values()) - min(counts.values()) <= 1, (site, counts)
    assert all(counts_at(station)[d.pk] >= 1 for d in shared)


def test_district_generation_covers_every_active_site(station, room, other_station, other_room, deputies):
    other_room.is_active = False
    other_room.save()
    result = roster_generate_district(district=station.district, year=YEAR, actor=Actor.system())
    assert result.sites == 3
    assert set(Roster.objects.values_list("site__slug", flat=True)) == {"yuxin", "yuxin-jinxing", "fengqiao"}


def test_generation_by_a_head_of_another_station_is_refused(room, deputies, charlie):
    with pytest.raises(PermissionDenied):
        roster_generate(site=room, year=YEAR, actor=Actor(user=charlie))
    assert not Roster.objects.exists()


# --- conflicts -----------------------------------------------------------------------------------------


@pytest.fixture
def two_sites_busy(room, other_room, deputies):
    """顾海明 already serves at the 凤桥 room on 20 March 2027, 09:00–11:30."""
    busy = make_shift(other_room, at(YEAR, 3, 20, 9), at(YEAR, 3, 20, 11, 30), deputies=[deputies[0]])
    here = make_shift(room, at(YEAR, 3, 20, 10), at(YEAR, 3, 20, 12), deputies=[deputies[1]])
    return busy, here


def assert_conflict_message(error, deputy, site_a, site_b):
    text = " ".join(error.value.messages)
    assert deputy.name in text
    assert site_a.name in text and site_b.name in text
    assert "09:00–11:30" in text and "10:00–12:00" in text


def test_assigning_a_deputy_who_is_elsewhere_at_the_time_is_refused(two_sites_busy, room, other_room, deputies, bob):
    busy, here = two_sites_busy
    with pytest.raises(ValidationError) as error:
        duty_assign(shift=here, deputy=deputies[0], actor=Actor(user=bob))
    assert_conflict_message(error, deputies[0], room, other_room)
    assert here.duties.count() == 1


def test_substituting_with_a_busy_deputy_is_refused(two_sites_busy, room, other_room, deputies, bob):
    busy, here = two_sites_busy
    with pytest.raises(ValidationError) as error:
        duty_substitute(duty=here.duties.get(), substitute=deputies[0], actor=Actor(user=bob))
    assert_conflict_message(error, deputies[0], room, other_room)
    assert here.duties.get().deputy == deputies[1]


def test_moving_a_shift_onto_a_deputys_other_duty_is_refused(room, other_room, deputies, bob):
    make_shift(other_room, at(YEAR, 3, 21, 9), at(YEAR, 3, 21, 11, 30), deputies=[deputies[0]])
    here = make_shift(room, at(YEAR, 3, 20, 10), at(YEAR, 3, 20, 12), deputies=[deputies[0]])
    with pytest.raises(ValidationError) as error:
        shift_move(shift=here, start=at(YEAR, 3, 21, 10), end=at(YEAR, 3, 21, 12), actor=Actor(user=bob), reason="雨天")
    text = " ".join(error.value.messages)
    assert deputies[0].name in text and room.name in text and other_room.name in text
    here.refresh_from_db()
    assert local(here.start).day == 20


def test_swapping_into_a_conflict_is_refused(room, other_room, deputies, bob):
    make_shift(other_room, at(YEAR, 4, 20, 9), deputies=[deputies[0]])
    march = make_shift(room, at(YEAR, 3, 20, 9), deputies=[deputies[0]])
    april = make_shift(room, at(YEAR, 4, 20, 9), deputies=[deputies[1]])
    with pytest.raises(ValidationError) as error:
        shift_swap(duty=march.duties.get(), other_duty=april.duties.get(), actor=Actor(user=bob), reason="调班")
    assert deputies[0].name in " ".join(error.value.messages)
    assert march.duties.get().deputy == deputies[0]


def test_a_substitute_on_the_day_cannot_be_busy_elsewhere(two_sites_busy, deputies, alice):
    busy, here = two_sites_busy
    DutyShift.objects.filter(pk__in=[busy.pk, here.pk]).update(start=at(2025, 3, 20, 9), end=at(2025, 3, 20, 11, 30))
    with pytest.raises(ValidationError) as error:
        duty_mark_attendance(
            duty=here.duties.get(), attendance="substituted", substitute=deputies[0], actor=Actor(user=alice)
        )
    assert deputies[0].name in " ".join(error.value.messages)


def test_shifts_that_only_touch_do_not_conflict(room, other_room, deputies, bob):
    make_shift(other_room, at(YEAR, 3, 20, 9), at(YEAR, 3, 20, 11), deputies=[deputies[0]])
    here = make_shift(room, at(YEAR, 3, 20, 11), at(YEAR, 3, 20, 12))
    duty_assign(shift=here, deputy=deputies[0], actor=Actor(user=bob))
    assert here.duties.filter(deputy=deputies[0]).exists()


# --- publishing and changes after it ------------------------------------------------------------------


@pytest.fixture
def published_room(room, deputies):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    roster = Roster.objects.get(site=room, year=YEAR)
    roster_publish(roster=roster, actor=Actor.system())
    return roster


def swappable(roster):
    """Two shifts and a duty on each whose deputies are not on the other shift."""
    march, april = roster.shifts.order_by("start")[2:4]
    duty = march.duties.exclude(deputy__in=april.deputies.all()).first()
    other = april.duties.exclude(deputy__in=march.deputies.all()).first()
    return march, april, duty, other


def test_publishing_makes_shifts_public_and_is_audited(room, deputies, bob):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    roster = Roster.objects.get(site=room)
    assert not DutyShift.objects.published().exists()

    roster_publish(roster=roster, actor=Actor(user=bob))

    roster.refresh_from_db()
    assert roster.is_published and roster.published_by == bob
    assert DutyShift.objects.published().count() == 12
    assert AuditEntry.objects.filter(actor=bob, object_type="roster", object_id=str(roster.pk)).exists()


def test_publishing_an_empty_roster_is_refused(room, bob):
    roster = Roster.objects.create(site=room, year=YEAR)
    with pytest.raises(ValidationError):
        roster_publish(roster=roster, actor=Actor(user=bob))
    roster.refresh_from_db()
    assert not roster.is_published


def test_staff_cannot_publish(room, deputies, alice):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    with pytest.raises(PermissionDenied):
        roster_publish(roster=Roster.objects.get(site=room), actor=Actor(user=alice))


def test_a_swap_records_history_and_raises_the_sequence(published_room, bob):
    march, april, duty, other = swappable(published_room)
    first, second = duty.deputy, other.deputy
    assert first != second

    shift_swap(duty=duty, other_duty=other, actor=Actor(user=bob), reason="李代表3月出差")

    march.refresh_from_db()
    april.refresh_from_db()
    assert second in march.deputies.all() and first not in march.deputies.all()
    assert first in april.deputies.all()
    assert march.sequence == 1 and april.sequence == 1
    latest = Duty.history.filter(id=duty.pk).latest("history_date")
    assert latest.history_user == bob
    assert latest.history_change_reason == "李代表3月出差"
    assert latest.prev_record.deputy_id == first.pk
    assert AuditEntry.objects.filter(action=AuditAction.DUTY_SWAPPED, actor=bob, summary="李代表3月出差").exists()


def test_a_swap_after_publishing_needs_a_reason(published_room, bob):
    march, april, duty, other = swappable(published_room)
    with pytest.raises(ValidationError) as error:
        shift_swap(duty=duty, other_duty=other, actor=Actor(user=bob), reason="  ")
    assert "reason" in error.value.message_dict
    march.refresh_from_db()
    assert march.sequence == 0


def test_staff_and_other_stations_cannot_swap(published_room, alice, charlie):
    march, april, duty, other = swappable(published_room)
    for actor in (alice, charlie):
        with pytest.raises(PermissionDenied):
            shift_swap(duty=duty, other_duty=other, actor=Actor(user=actor), reason="调班")


def test_a_substitution_keeps_history_and_raises_the_sequence(published_room, district, room, dana):
    newcomer = make_deputy(district, "周新", sites=[room])
    shift = published_room.shifts.order_by("start").first()
    duty = shift.duties.first()
    replaced = duty.deputy

    duty_substitute(duty=duty, substitute=newcomer, actor=Actor(user=dana), reason="因病")

    shift.refresh_from_db()
    assert newcomer in shift.deputies.all() and replaced not in shift.deputies.all()
    assert shift.sequence == 1 and shift.manually_changed
    assert Duty.history.filter(id=duty.pk, deputy_id=replaced.pk).exists()


def test_a_moved_reception_keeps_its_original_date_and_says_so(published_room, bob):
    december = published_room.shifts.get(start=at(YEAR, 12, 20))

    shift_move(
        shift=december,
        start=at(YEAR, 12, 21, 9),
        end=at(YEAR, 12, 21, 11, 30),
        actor=Actor(user=bob),
        reason="场地维修",
    )

    december.refresh_from_db()
    assert december.original_start == at(YEAR, 12, 20)
    assert local(december.start).date() == dt.date(YEAR, 12, 21)
    assert december.was_moved and december.sequence == 1
    assert december.change_note == "场地维修"
    assert december.move_note == "由12月20日改至12月21日"
    assert DutyShift.objects.published().on_date(dt.date(YEAR, 12, 21)).get() == december
    assert AuditEntry.objects.filter(action=AuditAction.SHIFT_MOVED, changes__to="12月21日").exists()
    # Regenerating does not bring the 20 December reception back.
    roster_generate(site=published_room.site, year=YEAR, actor=Actor.system())
    assert not DutyShift.objects.filter(roster=published_room, start=at(YEAR, 12, 20)).exists()


def test_it_audits_each_change_with_its_code_and_the_actors_address(published_room, deputies, bob):
    actor = Actor(user=bob, address="192.0.2.30")
    march, april, duty, other = swappable(published_room)
    newcomer = next(deputy for deputy in deputies if not march.duties.filter(deputy=deputy).exists())
    duty_assign(shift=march, deputy=newcomer, actor=actor, reason="补充值班")
    duty_remove(duty=march.duties.get(deputy=newcomer), actor=actor, reason="另有安排")
    shift_swap(duty=duty, other_duty=other, actor=actor, reason="调班")
    substitute = next(deputy for deputy in deputies if not april.duties.filter(deputy=deputy).exists())
    duty_substitute(duty=april.duties.first(), substitute=substitute, actor=actor, reason="出差")
    december = published_room.shifts.get(start=at(YEAR, 12, 20))
    shift_move(shift=december, start=at(YEAR, 12, 21, 9), end=at(YEAR, 12, 21, 11), actor=actor, reason="场地维修")

    entries = AuditEntry.objects.filter(actor=bob).order_by("pk")
    assert list(entries.values_list("action", flat=True)) == [
        "duty.assigned",
        "duty.removed",
        "duty.swapped",
        "duty.substituted",
        "shift.moved",
    ]
    assert set(entries.values_list("address", flat=True)) == {"192.0.2.30"}
    assert entries.get(action="duty.assigned").changes == {"deputy": newcomer.pk}


def test_it_audits_generation_and_publishing_by_a_person_and_by_the_system(room, deputies, bob):
    roster_generate(site=room, year=YEAR, actor=Actor(user=bob, address="192.0.2.31"))
    roster_publish(roster=Roster.objects.get(site=room, year=YEAR), actor=Actor.system())

    generated = AuditEntry.objects.get(action="roster.generated")
    assert (generated.actor, generated.address, generated.changes["shifts_created"]) == (bob, "192.0.2.31", 12)
    published = AuditEntry.objects.get(action="roster.published")
    assert (published.actor, published.actor_name, published.address) == (None, "", None)


def test_a_move_out_of_the_rosters_year_is_refused(published_room, bob):
    december = published_room.shifts.get(start=at(YEAR, 12, 20))
    with pytest.raises(ValidationError):
        shift_move(
            shift=december, start=at(YEAR + 1, 1, 2), end=at(YEAR + 1, 1, 2, 11), actor=Actor(user=bob), reason="延期"
        )


def test_removing_a_duty_in_a_draft_needs_no_reason(room, deputies, bob):
    roster_generate(site=room, year=YEAR, actor=Actor.system())
    duty = Duty.objects.filter(shift__roster__site=room).first()
    duty_remove(duty=duty, actor=Actor(user=bob))
    assert not Duty.objects.filter(pk=duty.pk).exists()


# --- attendance ----------------------------------------------------------------------------------------


@pytest.fixture
def past_shift(room, deputies):
    return make_shift(room, at(2026, 1, 20), deputies=deputies[:2], published=True)


def test_attendance_present_absent_and_substituted(past_shift, deputies, alice):
    first, second = past_shift.duties.order_by("pk")
    duty_mark_attendance(duty=first, attendance="present", actor=Actor(user=alice))
    duty_mark_attendance(duty=second, attendance="substituted", substitute=deputies[2], actor=Actor(user=alice))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.attendance == "present"
    assert second.attendance == "substituted" and second.substitute == deputies[2]
    assert AuditEntry.objects.filter(actor=alice, object_type="duty", action="attendance.marked").count() == 2

    duty_mark_attendance(duty=first, attendance="absent", absence_reason="illness", actor=Actor(user=alice))
    first.refresh_from_db()
    assert (first.attendance, first.absence_reason) == ("absent", "illness")


def test_absence_needs_a_reason(past_shift, alice):
    duty = past_shift.duties.first()
    with pytest.raises(ValidationError) as error:
        duty_mark_attendance(duty=duty, attendance="absent", actor=Actor(user=alice))
    assert "absence_reason" in error.value.message_dict
    duty.refresh_from_db()
    assert duty.attendance == "unmarked"


def test_attendance_cannot_be_marked_before_the_reception(room, deputies, alice):
    shift = make_shift(room, timezone.now() + dt.timedelta(days=3), deputies=deputies[:1])
    with pytest.raises(ValidationError):
        duty_mark_attendance(duty=shift.duties.get(), attendance="present", actor=Actor(user=alice))


def test_deputies_and_outsiders_cannot_mark_attendance(past_shift, erin, charlie):
    for actor in (erin, charlie):
        with pytest.raises(PermissionDenied):
            duty_mark_attendance(duty=past_shift.duties.first(), attendance="present", actor=Actor(user=actor))


def test_a_shift_with_attendance_cannot_be_swapped_or_moved(past_shift, room, deputies, bob):
    duty = past_shift.duties.first()
    duty_mark_attendance(duty=duty, attendance="present", actor=Actor(user=bob))
    with pytest.raises(ValidationError):
        shift_move(
            shift=past_shift, start=at(2026, 1, 21), end=at(2026, 1, 21, 11), actor=Actor(user=bob), reason="补记"
        )
