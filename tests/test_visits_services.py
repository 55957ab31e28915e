"""The record-book services: logging a visit with deputies and opinions, changing, archiving, restoring."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from stations.audit import Actor
from stations.models import (
    Attendance,
    AuditAction,
    AuditEntry,
    Duty,
    Opinion,
    OpinionEvent,
    Source,
    State,
    Visit,
    VisitDeputy,
)
from stations.selectors.visits import visit_history
from stations.services.visits import visit_archive, visit_create, visit_restore, visit_update
from tests.conftest import make_deputy
from tests.factories_visits import make_shift, shift_now

PHONE = "13812345678"


def _counts():
    return (
        Visit.objects.count(),
        VisitDeputy.objects.count(),
        Opinion.objects.count(),
        OpinionEvent.objects.count(),
        AuditEntry.objects.count(),
        Visit.history.count(),
    )


def _create(site, actor, **overrides):
    data = {
        "site": site,
        "actor": Actor(user=actor),
        "occurred_at": timezone.now() - dt.timedelta(minutes=5),
        "summary": "反映村道坑洼，雨天积水",
        "people": 2,
        "channel": "reception_day",
        "category": "transport",
    }
    data.update(overrides)
    return visit_create(**data)


def test_visit_create_picks_the_running_shift_and_records_its_deputies_as_present(room, deputies, alice):
    shift = shift_now(room, deputies=deputies[:2])
    visit = _create(room, alice)
    assert visit.shift == shift
    presences = {p.deputy: p.is_visiting for p in visit.visit_deputies.all()}
    assert presences == {deputies[0]: False, deputies[1]: False}


def test_visit_create_outside_any_shift_has_no_shift_and_no_default_deputies(room, deputies, alice):
    shift_now(room, deputies=deputies)
    visit = _create(room, alice, occurred_at=timezone.now() - dt.timedelta(days=3))
    assert visit.shift is None
    assert visit.visit_deputies.count() == 0


def test_a_cancelled_shift_or_another_sites_shift_is_not_picked(station, room, deputies, alice):
    now = timezone.now()
    make_shift(room, start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1), cancelled=True)
    shift_now(station)
    assert _create(room, alice).shift is None


def test_default_deputies_leave_out_the_absent_and_take_the_substitute(room, deputies, alice, district):
    shift = shift_now(room, deputies=deputies)
    outsider = make_deputy(district, "周外来", slug="zhou")
    Duty.objects.filter(shift=shift, deputy=deputies[0]).update(attendance=Attendance.ABSENT, absence_reason="leave")
    Duty.objects.filter(shift=shift, deputy=deputies[1]).update(attendance=Attendance.SUBSTITUTED, substitute=outsider)
    visit = _create(room, alice)
    presences = {p.deputy: p.is_visiting for p in visit.visit_deputies.all()}
    # The substitute is not assigned to the room, so they are recorded as visiting.
    assert presences == {deputies[2]: False, outsider: True}


def test_an_unassigned_deputy_is_refused_unless_added_as_visiting(room, deputies, alice, other_room, district):
    elsewhere = make_deputy(district, "钱凤桥", sites=[other_room], slug="qian")
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        _create(room, alice, deputies=[deputies[0], elsewhere])
    assert "deputies" in refused.value.message_dict
    assert "钱凤桥" in refused.value.message_dict["deputies"][0]
    assert _counts() == before

    visit = _create(room, alice, deputies=[deputies[0]], visiting_deputies=[elsewhere])
    assert {p.deputy: p.is_visiting for p in visit.visit_deputies.all()} == {deputies[0]: False, elsewhere: True}


def test_visit_create_registers_each_opinion_linked_to_the_visit(room, alice):
    visit = _create(
        room,
        alice,
        opinions=[{"category": "environment", "content": "河道有垃圾"}, {"category": "", "content": "公交班次太少"}],
    )
    opinions = list(visit.opinions.order_by("pk"))
    assert [o.content for o in opinions] == ["河道有垃圾", "公交班次太少"]
    # An opinion without a category takes the visit's topic.
    assert [o.category for o in opinions] == ["environment", "transport"]
    assert all(o.source == Source.RECEPTION and o.site == room and o.state == State.REGISTERED for o in opinions)
    assert all(o.reference.startswith("NH-") for o in opinions)


@pytest.mark.parametrize(
    "overrides",
    [
        {"occurred_at": timezone.now() + dt.timedelta(days=1)},
        {"people": 0},
        {"people": 501},
        {"visitor_phone": "1381234"},
        {"summary": ""},
        {"opinions": [{"category": "environment", "content": "河道有垃圾"}, {"category": "bogus", "content": "x"}]},
        {"opinions": [{"category": "environment", "content": "   "}]},
    ],
    ids=["future", "zero-people", "501-people", "bad-phone", "no-summary", "bad-category", "empty-opinion"],
)
def test_visit_create_refuses_bad_input_and_saves_nothing(room, alice, overrides):
    before = _counts()
    with pytest.raises(ValidationError):
        _create(room, alice, **overrides)
    assert _counts() == before


def test_visit_create_normalises_the_phone_and_matches_the_village_to_an_area(room, alice):
    visit = _create(room, alice, visitor_phone="+86 138 1234 5678", village="长秦村")
    assert visit.visitor_phone == PHONE
    assert visit.area.name == "长秦村"
    assert visit.area_text == ""

    typed = _create(room, alice, village="新丰镇竹林村")
    assert typed.area is None
    assert typed.area_text == "新丰镇竹林村"


def test_visit_create_is_audited_with_the_phone_masked(room, alice):
    visit = _create(room, alice, visitor_phone=PHONE, visitor_name="王小明")
    entry = AuditEntry.objects.get(action=AuditAction.VISIT_CREATED, object_id=str(visit.pk))
    assert entry.actor == alice
    assert entry.changes["visitor_phone"] == "138****5678"
    assert PHONE not in str(entry.changes)
    assert "王小明" not in str(entry.changes)


def test_it_audits_with_the_actors_address_when_called_without_a_request(room, alice, dana):
    actor = Actor(user=alice, address="192.0.2.20")
    visit = visit_create(site=room, actor=actor, occurred_at=timezone.now(), summary="反映路灯损坏")
    visit_update(visit=visit, actor=actor, deputies=[], people=2)
    visit_archive(visit=visit, actor=actor, reason="重复录入")
    visit_restore(visit=visit, actor=Actor(user=dana, address="192.0.2.21"))

    entries = AuditEntry.objects.filter(object_type="visit", object_id=str(visit.pk)).order_by("pk")
    assert list(entries.values_list("action", "actor_name", "address")) == [
        ("visit.created", "alice", "192.0.2.20"),
        ("visit.updated", "alice", "192.0.2.20"),
        ("visit.archived", "alice", "192.0.2.20"),
        ("visit.restored", "dana", "192.0.2.21"),
    ]


def test_visit_update_is_kept_in_the_history_with_actor_and_changed_fields(room, deputies, alice, bob):
    visit = _create(room, alice, deputies=deputies[:1], visitor_phone=PHONE)
    visit_update(
        visit=visit,
        actor=Actor(user=bob),
        deputies=deputies[:2],
        village="金星村",
        people=5,
        summary="反映村道坑洼，雨天积水；另有路灯不亮",
        visitor_phone="13900001111",
        occurred_at=visit.occurred_at,
        site=room,
        channel=visit.channel,
        category=visit.category,
        visitor_name="",
    )
    latest = visit.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == bob
    assert latest.history_type == "~"
    changed = set(latest.diff_against(latest.prev_record).changed_fields)
    assert {"people", "summary", "visitor_phone", "area", "deputies"} <= changed
    assert "channel" not in changed

    with translation.override("en"):
        entries = visit_history(visit)
    assert [e.kind for e in entries] == ["changed", "created"]
    assert entries[0].user == "bob"
    labels = {label: (old, new) for label, old, new in entries[0].changes}
    assert labels["visitor's phone"] == ("138****5678", "139****1111")
    assert labels["number of people"] == ("2", "5")
    assert labels["deputies present"] == ("顾海明", "顾海明、黄美勤")
    assert entries[1].user == "爱丽丝"

    audited = AuditEntry.objects.get(action=AuditAction.VISIT_UPDATED, object_id=str(visit.pk))
    assert audited.actor == bob
    assert audited.changes["people"] == [2, 5]
    assert "13900001111" not in str(audited.changes)


def test_an_update_that_changes_nothing_adds_no_history(room, alice):
    visit = _create(room, alice)
    versions = visit.history.count()
    fields = {name: getattr(visit, name) for name in ("site", "occurred_at", "people", "channel", "category")}
    visit_update(visit=visit, actor=Actor(user=alice), deputies=[], summary=visit.summary, **fields)
    assert visit.history.count() == versions


def test_an_invalid_update_changes_nothing(room, alice):
    visit = _create(room, alice)
    before = _counts()
    with pytest.raises(ValidationError):
        visit_update(visit=visit, actor=Actor(user=alice), deputies=[], people=0)
    visit.refresh_from_db()
    assert visit.people == 2
    assert _counts() == before


def test_archive_takes_a_visit_out_of_the_book_and_a_district_admin_restores_it(room, alice, dana):
    visit = _create(room, alice)
    visit_archive(visit=visit, actor=Actor(user=alice), reason="重复录入")
    assert not Visit.objects.current().filter(pk=visit.pk).exists()
    with pytest.raises(ValidationError):
        visit_update(visit=visit, actor=Actor(user=alice), deputies=[], people=3)
    with pytest.raises(PermissionDenied):
        visit_restore(visit=visit, actor=Actor(user=alice))

    visit_restore(visit=visit, actor=Actor(user=dana))
    assert Visit.objects.current().filter(pk=visit.pk).exists()
    assert [e.kind for e in visit_history(visit)] == ["restored", "archived", "created"]
    assert AuditEntry.objects.filter(action=AuditAction.VISIT_ARCHIVED, actor=alice, object_id=str(visit.pk)).exists()
    assert AuditEntry.objects.filter(action=AuditAction.VISIT_RESTORED, actor=dana, object_id=str(visit.pk)).exists()
