"""The pure planners: plain data in, decisions out, no database."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from stations.planning.rosters import Assignment, Commitment, Shortfall, Slot, assess_fairness, plan_duties
from stations.planning.visits import Person, cleaned_fields, kept_present, plan_presence, plan_visit_change

UTC = dt.UTC


def monthly_slots(count: int, *, year: int = 2027, **fields) -> list[Slot]:
    """Receptions on the 20th of each month, 9:00–11:30 Beijing time (01:00–03:30 UTC)."""
    return [
        Slot(
            key=100 + month,
            start=dt.datetime(year, month, 20, 1, 0, tzinfo=UTC),
            end=dt.datetime(year, month, 20, 3, 30, tzinfo=UTC),
            day=dt.date(year, month, 20),
            **fields,
        )
        for month in range(1, count + 1)
    ]


def duties_per_deputy(plan, deputies) -> Counter:
    counts = Counter(dict.fromkeys(deputies, 0))
    counts.update(assignment.deputy for assignment in plan.assignments)
    return counts


def on_slot(plan, key: int) -> set[int]:
    return {assignment.deputy for assignment in plan.assignments if assignment.shift == key}


# --- rosters --------------------------------------------------------------------------------------------------


def test_it_fills_every_reception_and_keeps_deputies_within_one_duty_of_each_other():
    slots, deputies = monthly_slots(12), [1, 2, 3, 4, 5]

    plan = plan_duties(slots=slots, deputies=deputies, size=2)

    assert all(len(on_slot(plan, slot.key)) == 2 for slot in slots)
    counts = duties_per_deputy(plan, deputies)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert plan.short == []


def test_it_gives_every_deputy_a_duty_when_there_are_more_deputies_than_places():
    slots, deputies = monthly_slots(3), list(range(1, 9))

    plan = plan_duties(slots=slots, deputies=deputies, size=2)

    assert set(duties_per_deputy(plan, deputies).values()) == {1}


def test_it_never_puts_a_deputy_on_a_day_they_are_unavailable_and_stays_fair():
    slots, deputies = monthly_slots(12), [1, 2, 3, 4]
    unavailable = {(1, slots[0].day), (1, slots[1].day), (2, slots[1].day)}

    plan = plan_duties(slots=slots, deputies=deputies, size=2, unavailable=unavailable)

    assert 1 not in on_slot(plan, slots[0].key)
    assert on_slot(plan, slots[1].key) == {3, 4}
    counts = duties_per_deputy(plan, deputies)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_it_never_puts_a_deputy_on_a_reception_overlapping_their_duty_elsewhere():
    slots, deputies = monthly_slots(2), [1, 2, 3]
    march = slots[1]
    elsewhere = Commitment(key=900, start=march.start + dt.timedelta(hours=1), end=march.end + dt.timedelta(hours=1))
    later_that_day = Commitment(key=901, start=march.end, end=march.end + dt.timedelta(hours=2))

    plan = plan_duties(slots=slots, deputies=deputies, size=2, busy={1: [elsewhere], 2: [later_that_day]})

    assert 1 not in on_slot(plan, march.key)
    assert 2 in on_slot(plan, march.key)  # a duty that begins as this one ends is no conflict


def test_it_reports_a_reception_nobody_free_can_serve():
    slots, deputies = monthly_slots(2), [1, 2]
    unavailable = {(1, slots[0].day), (2, slots[0].day)}

    plan = plan_duties(slots=slots, deputies=deputies, size=2, unavailable=unavailable)

    assert plan.short == [Shortfall(shift=slots[0].key, needed=2, got=0)]
    assert on_slot(plan, slots[1].key) == {1, 2}


def test_it_reports_every_reception_short_when_the_site_has_no_deputies():
    plan = plan_duties(slots=monthly_slots(2), deputies=[], size=3)

    assert plan.assignments == []
    assert [(short.needed, short.got) for short in plan.short] == [(3, 0), (3, 0)]


def test_it_keeps_existing_duties_and_leaves_changed_receptions_alone():
    slots = monthly_slots(4)
    slots[0] = Slot(slots[0].key, slots[0].start, slots[0].end, slots[0].day, on_duty=frozenset({1}))
    slots[1] = Slot(slots[1].key, slots[1].start, slots[1].end, slots[1].day, fillable=False)

    plan = plan_duties(slots=slots, deputies=[1, 2, 3, 4], size=2)

    assert len(on_slot(plan, slots[0].key)) == 1 and 1 not in on_slot(plan, slots[0].key)
    assert on_slot(plan, slots[1].key) == set()
    assert all(assignment.shift != slots[1].key for assignment in plan.assignments)


def test_it_plans_the_same_duties_for_the_same_input():
    slots, deputies = monthly_slots(12), [7, 3, 9, 1, 5]
    unavailable = {(3, slots[4].day)}

    first = plan_duties(slots=slots, deputies=deputies, size=2, unavailable=unavailable)
    second = plan_duties(slots=list(slots), deputies=list(deputies), size=2, unavailable=set(unavailable))

    assert first == second
    # Ties go to the deputies in the order given (the service gives them by name).
    assert first.assignments[:2] == [Assignment(slots[0].key, 7), Assignment(slots[0].key, 3)]


# --- visits ---------------------------------------------------------------------------------------------------

WANG = Person(pk=1, name="王建国", district=10)
LI = Person(pk=2, name="李秀英", district=10)
ZHAO = Person(pk=3, name="赵明", district=20)


def test_fairness_shows_the_spread_and_who_is_short_or_over():
    fairness = assess_fairness({1: 4, 2: 4, 3: 5, 4: 1, 5: 8})  # 22 duties for 5 deputies: 4 or 5 each is fair
    assert (fairness.spread, fairness.low, fairness.high) == (7, 4, 5)
    assert fairness.short == {4} and fairness.over == {5}
    assert not fairness.is_even


def test_fairness_of_an_even_year_names_nobody():
    fairness = assess_fairness({1: 3, 2: 4, 3: 4})
    assert fairness.is_even and fairness.spread == 1 and not fairness.short and not fairness.over
    assert assess_fairness({}).spread == 0


def test_a_plan_of_a_year_is_fair_by_the_same_measure():
    slots = [
        Slot(m, dt.datetime(2027, m, 20, 9), dt.datetime(2027, m, 20, 11), dt.date(2027, m, 20)) for m in range(1, 13)
    ]
    plan = plan_duties(slots=slots, deputies=[1, 2, 3, 4, 5], size=2)
    counts = Counter(assignment.deputy for assignment in plan.assignments)
    assert assess_fairness(dict(counts)).is_even


def test_it_refuses_a_deputy_ticked_present_who_is_not_assigned_to_the_site():
    presence = plan_presence(deputies=[WANG, LI], visiting_deputies=[], assigned={1}, district=10)

    assert presence.visiting == {1: False, 2: False}
    assert len(presence.errors) == 1 and "李秀英" in presence.errors[0]


def test_it_records_a_visiting_deputy_and_refuses_one_of_another_district():
    presence = plan_presence(deputies=[WANG], visiting_deputies=[LI, ZHAO], assigned={1}, district=10)

    assert presence.visiting == {1: False, 2: True, 3: True}
    assert len(presence.errors) == 1 and "赵明" in presence.errors[0]


def test_a_visiting_deputy_who_is_assigned_is_simply_present():
    presence = plan_presence(deputies=[], visiting_deputies=[WANG], assigned={1}, district=10)

    assert presence.visiting == {1: False}
    assert presence.errors == []


def test_a_deputy_already_recorded_present_stays_acceptable_at_the_same_site_only():
    recorded = {2: False, 3: True}

    assert kept_present(recorded, same_site=True) == {2}
    assert kept_present(recorded, same_site=False) == set()
    presence = plan_presence(
        deputies=[LI],
        visiting_deputies=[],
        assigned=set(),
        district=10,
        already_present=kept_present(recorded, same_site=True),
    )
    assert presence.errors == []


def test_it_stores_typed_fields_one_way():
    cleaned = cleaned_fields(
        {"visitor_phone": "+86 138 1234 5678", "visitor_name": " 张三 ", "summary": None, "people": 3}
    )

    assert cleaned == {"visitor_phone": "13812345678", "visitor_name": "张三", "summary": "", "people": 3}


def snapshot(**overrides):
    base = {"site": "金星村代表联络室", "people": 1, "summary": "路灯坏了", "deputies": ["李秀英", "王建国"]}
    return {**base, **overrides}


def test_it_finds_only_the_fields_that_changed():
    change = plan_visit_change(snapshot(), snapshot(people=3))

    assert change.changed == {"people": [1, 3]}
    assert change.needs_saving and not change.deputies_changed


def test_it_sees_a_change_of_deputies_and_keeps_a_long_summary_short():
    long_text = "路" * 150
    change = plan_visit_change(snapshot(), snapshot(summary=long_text, deputies=["王建国", "赵明*"]))

    assert change.deputies_changed
    assert change.changed["deputies"] == [["李秀英", "王建国"], ["王建国", "赵明*"]]
    assert change.changed["summary"] == ["路灯坏了", "路" * 100]


def test_an_unchanged_visit_needs_no_saving():
    change = plan_visit_change(snapshot(), snapshot())

    assert change.changed == {}
    assert not change.needs_saving and not change.deputies_changed


# --- which site the visit form opens on (issue 13) -----------------------------------------------------------

from stations.planning.visits import SiteChoice, choose_site  # noqa: E402


def test_choose_site_asks_when_several_receptions_run_and_nothing_decides():
    assert choose_site(asked=None, own=None, last_used=None, running=[3, 2, 1], fallback=1) == SiteChoice(None, True)


def test_choose_site_prefers_the_page_then_the_own_site_then_the_last_used_one():
    assert choose_site(asked=5, own=2, last_used=3, running=[2, 3], fallback=1) == SiteChoice(5)
    assert choose_site(asked=None, own=2, last_used=3, running=[2, 3], fallback=1) == SiteChoice(2)
    assert choose_site(asked=None, own=None, last_used=3, running=[2, 3], fallback=1) == SiteChoice(3)


def test_choose_site_ignores_a_last_used_site_that_is_not_open_now():
    assert choose_site(asked=None, own=None, last_used=9, running=[2, 3], fallback=1) == SiteChoice(None, True)
    assert choose_site(asked=None, own=None, last_used=9, running=[2], fallback=1) == SiteChoice(2)


def test_choose_site_without_receptions_falls_back_to_the_last_used_site_then_the_station():
    assert choose_site(asked=None, own=None, last_used=9, running=[], fallback=1) == SiteChoice(9)
    assert choose_site(asked=None, own=None, last_used=None, running=[], fallback=1) == SiteChoice(1)
