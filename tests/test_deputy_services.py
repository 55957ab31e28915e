"""A deputy's own writes (unavailable dates, swap requests, the private calendar) and the head's decision."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from stations.audit import Actor, AuditAction
from stations.clock import local_today
from stations.models import AuditEntry, CalendarFeed, DutyShift, SwapRequest, SwapStatus, Unavailability
from stations.services.deputies import (
    calendar_feed_issue,
    calendar_feed_revoke,
    swap_request_approve,
    swap_request_create,
    swap_request_refuse,
    unavailability_declare,
    unavailability_withdraw,
)
from stations.services.rosters import roster_generate
from tests.factories_rosters import at, make_shift

NEXT_YEAR = local_today().year + 1


def as_user(user):
    return Actor(user=user, address="127.0.0.1")


def test_a_declared_date_keeps_the_deputy_off_that_day_when_the_roster_is_generated(room, deputies, erin, bob):
    gu = deputies[0]
    days = [dt.date(NEXT_YEAR, month, 20) for month in (2, 5, 9)]
    for day in days:
        unavailability_declare(deputy=gu, date=day, reason="出差", actor=as_user(erin))

    roster_generate(site=room, year=NEXT_YEAR, actor=as_user(bob))

    for day in days:
        shift = DutyShift.objects.get(roster__site=room, start__date=day)
        assert gu not in shift.deputies.all()
        assert shift.duties.count() == min(room.deputies_per_shift, 2)
    assert AuditEntry.objects.filter(action=AuditAction.UNAVAILABILITY_DECLARED, actor=erin).count() == 3


def test_a_date_today_or_past_or_twice_is_refused_with_the_field_named(deputies, erin):
    with pytest.raises(ValidationError) as past:
        unavailability_declare(deputy=deputies[0], date=local_today(), actor=as_user(erin))
    assert "date" in past.value.message_dict
    day = local_today() + dt.timedelta(days=10)
    unavailability_declare(deputy=deputies[0], date=day, actor=as_user(erin))
    with pytest.raises(ValidationError) as twice:
        unavailability_declare(deputy=deputies[0], date=day, actor=as_user(erin))
    assert "date" in twice.value.message_dict
    assert Unavailability.objects.count() == 1


def test_only_the_deputy_themself_declares_or_withdraws(deputies, erin, bob):
    with pytest.raises(PermissionDenied):
        unavailability_declare(deputy=deputies[1], date=local_today() + dt.timedelta(days=3), actor=as_user(erin))
    item = unavailability_declare(deputy=deputies[0], date=local_today() + dt.timedelta(days=3), actor=as_user(erin))
    with pytest.raises(PermissionDenied):
        unavailability_withdraw(item=item, actor=as_user(bob))
    unavailability_withdraw(item=item, actor=as_user(erin))
    assert not Unavailability.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.UNAVAILABILITY_WITHDRAWN).count() == 1


@pytest.fixture
def two_duties(room, deputies):
    """gu-haiming on duty in March, li-jianguo in April, both coming, on a published roster."""
    march = make_shift(room, at(NEXT_YEAR, 3, 20), deputies=[deputies[0]], published=True)
    april = make_shift(room, at(NEXT_YEAR, 4, 20), deputies=[deputies[2]], published=True)
    return march.duties.get(), april.duties.get()


def test_an_approved_request_swaps_the_two_duties_through_the_roster(two_duties, deputies, erin, bob):
    mine, theirs = two_duties
    request = swap_request_create(
        deputy=deputies[0], duty=mine, other_duty=theirs, reason="外出学习", actor=as_user(erin)
    )
    mine.refresh_from_db()
    assert mine.deputy == deputies[0]  # nothing changes until the head decides

    swap_request_approve(request=request, actor=as_user(bob), note="同意")

    request.refresh_from_db()
    assert request.status == SwapStatus.APPROVED and request.decided_by == bob
    march, april = mine.shift, theirs.shift
    assert list(march.deputies.all()) == [deputies[2]]
    assert list(april.deputies.all()) == [deputies[0]]
    march.refresh_from_db()
    assert march.sequence == 1  # subscribed calendars follow the change (shift_swap bumps it)
    codes = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.SWAP_REQUESTED, AuditAction.SWAP_APPROVED, AuditAction.DUTY_SWAPPED} <= codes
    with pytest.raises(ValidationError):
        swap_request_approve(request=request, actor=as_user(bob))


def test_a_refusal_needs_a_note_and_changes_nothing_on_the_roster(two_duties, deputies, erin, bob):
    mine, theirs = two_duties
    request = swap_request_create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="生病", actor=as_user(erin))
    with pytest.raises(ValidationError):
        swap_request_refuse(request=request, actor=as_user(bob), note=" ")
    swap_request_refuse(request=request, actor=as_user(bob), note="当天人手不足")
    request.refresh_from_db()
    assert request.status == SwapStatus.REFUSED and request.decision_note == "当天人手不足"
    mine.refresh_from_db()
    assert mine.deputy == deputies[0]


def test_staff_and_other_stations_cannot_decide(two_duties, deputies, erin, alice, charlie):
    mine, theirs = two_duties
    request = swap_request_create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="生病", actor=as_user(erin))
    for user in (alice, charlie, erin):
        with pytest.raises(PermissionDenied):
            swap_request_approve(request=request, actor=as_user(user))
    request.refresh_from_db()
    assert request.status == SwapStatus.PENDING


def test_a_deputy_asks_only_for_own_coming_duties_once(two_duties, room, deputies, erin, other_room):
    mine, theirs = two_duties
    with pytest.raises(PermissionDenied):
        swap_request_create(deputy=deputies[0], duty=theirs, other_duty=mine, reason="x", actor=as_user(erin))
    with pytest.raises(ValidationError) as no_reason:
        swap_request_create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="  ", actor=as_user(erin))
    assert "reason" in no_reason.value.message_dict
    past = make_shift(room, at(local_today().year - 1, 6, 20), deputies=[deputies[0]], published=True).duties.get()
    with pytest.raises(ValidationError):
        swap_request_create(deputy=deputies[0], duty=past, other_duty=theirs, reason="x", actor=as_user(erin))
    elsewhere = make_shift(other_room, at(NEXT_YEAR, 4, 20), deputies=[deputies[1]], published=True).duties.get()
    with pytest.raises(ValidationError) as station:
        swap_request_create(deputy=deputies[0], duty=mine, other_duty=elsewhere, reason="x", actor=as_user(erin))
    assert "other_duty" in station.value.message_dict
    swap_request_create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="出差", actor=as_user(erin))
    with pytest.raises(ValidationError):
        swap_request_create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="出差", actor=as_user(erin))
    assert SwapRequest.objects.count() == 1


def test_a_conflicting_swap_is_refused_by_the_roster_and_the_request_stays_pending(
    two_duties, room, point, deputies, erin, bob
):
    mine, theirs = two_duties
    # gu-haiming is already at the enterprise point at the April reception's time.
    make_shift(point, at(NEXT_YEAR, 4, 20), deputies=[deputies[0]], published=True)
    request = swap_request_create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="x", actor=as_user(erin))
    with pytest.raises(ValidationError):
        swap_request_approve(request=request, actor=as_user(bob))
    request.refresh_from_db()
    assert request.status == SwapStatus.PENDING
    mine.refresh_from_db()
    assert mine.deputy == deputies[0]


def test_a_new_calendar_address_revokes_the_old_one(deputies, erin):
    first = calendar_feed_issue(deputy=deputies[0], actor=as_user(erin))
    second = calendar_feed_issue(deputy=deputies[0], actor=as_user(erin))
    first.refresh_from_db()
    assert not first.is_active and second.is_active and first.token != second.token
    assert calendar_feed_revoke(deputy=deputies[0], actor=as_user(erin)) == 1
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    with pytest.raises(PermissionDenied):
        calendar_feed_issue(deputy=deputies[1], actor=as_user(erin))
