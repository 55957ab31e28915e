"""Each write recomputes only the families of figures it names (issue 15, "Figures at scale"), so each service
must name every family its write can change: a family left out leaves the published figures wrong.

For every service that writes records, a scenario where its write changes figures. Each is checked twice:
- the write as the service makes it: afterwards every cell equals what the records give (`cell_differences`,
  which `manage.py check_figures` runs), whatever families it named;
- the same write again, rolled back each time, with one of the families the scenario needs left out of what the
  service named: a difference must show. This proves the scenario really exercises each family it claims, so
  that the first check would catch a service that forgot it (and a family dropped from a service by mistake
  fails the first check).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from stations.audit import Actor
from stations.models import (
    Attendance,
    Deputy,
    Duty,
    DutyShift,
    HandlingBody,
    Opinion,
    Roster,
    Satisfaction,
    Site,
    Visit,
)
from stations.selectors.stats import Period
from stations.services import opinions as opinion_services
from stations.services import rosters as roster_services
from stations.services import visits as visit_services
from stations.services.figures import (
    DUTIES,
    OPINIONS,
    SHIFTS,
    VISITS,
    Touch,
    cell_differences,
    figures_deferred,
    figures_recompute,
)
from tests.factories_opinions import make_body
from tests.factories_rosters import make_shift

YEAR = Period.year(2026)


@pytest.fixture(autouse=True)
def _late_entries_allowed(settings):
    settings.LATE_ENTRY_DAYS = 4000  # the scenarios date their records in 2026's first months


def when(month: int, day: int, hour: int = 10) -> dt.datetime:
    from stations.clock import LOCAL_TZ

    return dt.datetime(2026, month, day, hour, tzinfo=LOCAL_TZ)


@dataclass
class World:
    district: Any
    station: Site
    room: Site
    deputies: list[Deputy]
    staff: Actor  # alice, staff of the station
    head: Actor  # bob, its head
    body: HandlingBody


Write = Callable[[], object]
Scenario = Callable[[World], tuple[Write, set[str]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(func: Scenario) -> Scenario:
    SCENARIOS[func.__name__] = func
    return func


def _shift(world: World, month: int, *, deputies: int = 1, published: bool = True) -> DutyShift:
    """A shift of the room on the 20th, 9:00–11:30, with deputies on duty (unmarked), its cells recomputed."""
    shift = make_shift(world.room, when(month, 20, 9), deputies=world.deputies[:deputies], published=published)
    figures_recompute(keys={(world.district.pk, dt.date(2026, month, 1))})
    return shift


def _visit(world: World, at: dt.datetime, *, opinion: bool = True, **fields: Any) -> Visit:
    opinions = [{"category": "transport", "content": "修路"}] if opinion else []
    return visit_services.visit_create(
        site=world.room, actor=world.staff, occurred_at=at, summary="来访", opinions=opinions, **fields
    )


def _opinion(world: World, *steps: str) -> Opinion:
    """An opinion raised online on 2 February, taken through `steps`."""
    actor = world.staff
    opinion = opinion_services.opinion_register(
        site=world.room,
        category="environment",
        content="河道垃圾",
        source="online",
        actor=actor,
        received_at=when(2, 2),
    )
    moves: dict[str, Callable[[Opinion, dt.datetime], Opinion]] = {
        "accept": lambda o, at: opinion_services.opinion_accept(opinion=o, actor=actor, happened_at=at),
        "refer": lambda o, at: opinion_services.opinion_refer(
            opinion=o, actor=actor, body=world.body, deadline=dt.date(2026, 2, 25), happened_at=at
        ),
        "reply": lambda o, at: opinion_services.opinion_reply(opinion=o, actor=actor, reply="已清理", happened_at=at),
        "resolve": lambda o, at: opinion_services.opinion_resolve(opinion=o, actor=actor, happened_at=at),
        "close": lambda o, at: opinion_services.opinion_close(
            opinion=o, actor=actor, satisfaction=Satisfaction.UNSATISFIED, happened_at=at
        ),
    }
    for day, step in enumerate(steps, start=3):
        opinion = moves[step](opinion, when(2, day))
    return opinion


def _again(model: type[Any], pk: int) -> Any:
    return model._default_manager.get(pk=pk)


# --- visits -------------------------------------------------------------------------------------------------


@scenario
def visit_created_at_a_shift_with_an_opinion(world: World) -> tuple[Write, set[str]]:
    """Counts a visit, makes its shift held, raises an opinion."""
    _shift(world, 3)
    return lambda: _visit(world, when(3, 20, 10)), {VISITS, SHIFTS, OPINIONS}


@scenario
def visit_created_outside_any_shift(world: World) -> tuple[Write, set[str]]:
    return lambda: _visit(world, when(3, 5), opinion=False, people=3), {VISITS}


@scenario
def visit_moved_out_of_its_shift_to_another_month(world: World) -> tuple[Write, set[str]]:
    """Its month and its shift's held change; its opinion follows it."""
    _shift(world, 3)
    pk = _visit(world, when(3, 20, 10)).pk

    def write() -> object:
        return visit_services.visit_update(
            visit=_again(Visit, pk), actor=world.staff, deputies=[], occurred_at=when(4, 7)
        )

    return write, {VISITS, SHIFTS, OPINIONS}


@scenario
def visit_given_another_channel(world: World) -> tuple[Write, set[str]]:
    """Its opinion is counted under the visit's channel."""
    pk = _visit(world, when(3, 5)).pk

    def write() -> object:
        return visit_services.visit_update(visit=_again(Visit, pk), actor=world.staff, deputies=[], channel="phone")

    return write, {VISITS, OPINIONS}


@scenario
def visit_archived(world: World) -> tuple[Write, set[str]]:
    """Its visit, its shift's held and its opinion stop counting."""
    _shift(world, 3)
    pk = _visit(world, when(3, 20, 10)).pk

    def write() -> object:
        return visit_services.visit_archive(visit=_again(Visit, pk), actor=world.staff, reason="重复录入")

    return write, {VISITS, SHIFTS, OPINIONS}


@scenario
def visit_restored(world: World) -> tuple[Write, set[str]]:
    from stations.models import Membership

    _shift(world, 3)
    visit = _visit(world, when(3, 20, 10))
    visit_services.visit_archive(visit=visit, actor=world.staff, reason="重复录入")
    head = world.head
    assert Membership.objects.filter(user=head.user, role="station_head").exists()
    return lambda: visit_services.visit_restore(visit=_again(Visit, visit.pk), actor=head), {VISITS, SHIFTS, OPINIONS}


@scenario
def records_imported(world: World) -> tuple[Write, set[str]]:
    """An import file's visits, opinions and steps, recomputed once at its end."""
    from tests.test_import_batch import BODY, row, run

    HandlingBody.objects.create(name=BODY)
    rows = [row(n, day=10 + n % 5, steps=n % 5) for n in range(1, 11)]

    def write() -> object:
        result = run(rows, district=world.district, user=world.head.user)
        assert result.saved, result.problems
        return result

    return write, {VISITS, OPINIONS}


# --- opinions -----------------------------------------------------------------------------------------------


@scenario
def opinion_registered_online(world: World) -> tuple[Write, set[str]]:
    def write() -> object:
        return opinion_services.opinion_submit_online(
            site=world.room, category="environment", content="路灯", actor=Actor(user=None), received_at=when(2, 2)
        )

    return write, {OPINIONS}


def _step(before: tuple[str, ...], service: Callable[..., Opinion], needs: set[str], **arguments: Any) -> Scenario:
    def build(world: World) -> tuple[Write, set[str]]:
        pk = _opinion(world, *before).pk
        extra = {name: value(world) if callable(value) else value for name, value in arguments.items()}

        def write() -> object:
            return service(opinion=_again(Opinion, pk), actor=world.staff, happened_at=when(2, 20), **extra)

        return write, needs

    return build


SCENARIOS.update(
    {
        "opinion_accepted": _step((), opinion_services.opinion_accept, {OPINIONS}),
        "opinion_not_accepted": _step((), opinion_services.opinion_not_accept, {OPINIONS}, reason="不属于职责范围"),
        "opinion_referred": _step(
            ("accept",),
            opinion_services.opinion_refer,
            {OPINIONS},
            body=lambda world: world.body,
            deadline=dt.date(2026, 3, 1),
        ),
        "opinion_replied": _step(("accept", "refer"), opinion_services.opinion_reply, {OPINIONS}, reply="已清理"),
        "opinion_resolved": _step(("accept", "refer", "reply"), opinion_services.opinion_resolve, {OPINIONS}),
        "opinion_explained": _step(
            ("accept", "refer", "reply"), opinion_services.opinion_explain, {OPINIONS}, explanation="需列入预算"
        ),
        "opinion_closed": _step(
            ("accept", "refer", "reply", "resolve"),
            opinion_services.opinion_close,
            {OPINIONS},
            satisfaction=Satisfaction.SATISFIED,
        ),
        "opinion_reopened": _step(
            ("accept", "refer", "reply", "resolve", "close"),
            opinion_services.opinion_reopen,
            {OPINIONS},
            body=lambda world: world.body,
            note="仍有垃圾",
        ),
        # A flag: no figure moves, but the cells must stay exact.
        "opinion_put_under_supervision": _step(
            ("accept",), opinion_services.opinion_set_supervision, set(), next_review=dt.date(2026, 3, 1)
        ),
    }
)


@scenario
def opinion_answered_by_the_voter(world: World) -> tuple[Write, set[str]]:
    pk = _opinion(world, "accept", "refer", "reply", "resolve").pk

    def write() -> object:
        return opinion_services.opinion_voter_answer(
            opinion=_again(Opinion, pk), satisfaction=Satisfaction.SATISFIED, actor=Actor(user=None)
        )

    return write, {OPINIONS}


# --- rosters and attendance ---------------------------------------------------------------------------------


@scenario
def roster_generated(world: World) -> tuple[Write, set[str]]:
    """A year of receptions on the 20th, each with deputies on duty, one of them removed as stale."""
    stale = make_shift(world.room, when(3, 21, 9), deputies=world.deputies[:1])
    figures_recompute(keys={(world.district.pk, dt.date(2026, 3, 1))})

    def write() -> object:
        result = roster_services.roster_generate(site=world.room, year=2026, actor=world.head)
        assert not DutyShift.objects.filter(pk=stale.pk).exists()
        return result

    return write, {DUTIES}


@scenario
def rosters_generated_for_a_station(world: World) -> tuple[Write, set[str]]:
    def write() -> object:
        return roster_services.roster_generate_station(station=world.station, year=2026, actor=world.head)

    return write, {DUTIES}


@scenario
def roster_published(world: World) -> tuple[Write, set[str]]:
    roster = _shift(world, 3, published=False).roster

    def write() -> object:
        return roster_services.roster_publish(roster=_again(Roster, roster.pk), actor=world.head)

    return write, set()


@scenario
def shift_created_by_hand(world: World) -> tuple[Write, set[str]]:
    def write() -> object:
        return roster_services.shift_ensure(
            site=world.room, start=when(3, 20, 9), end=when(3, 20, 11), actor=world.head, reason="补录"
        )

    return write, set()


@scenario
def deputy_put_on_a_shift(world: World) -> tuple[Write, set[str]]:
    shift = _shift(world, 3)

    def write() -> object:
        return roster_services.duty_assign(
            shift=_again(DutyShift, shift.pk), deputy=world.deputies[1], actor=world.head, reason="补充"
        )

    return write, {DUTIES}


@scenario
def deputy_taken_off_a_shift(world: World) -> tuple[Write, set[str]]:
    duty = _shift(world, 3, deputies=2).duties.order_by("pk").first()
    assert duty is not None

    def write() -> object:
        return roster_services.duty_remove(duty=_again(Duty, duty.pk), actor=world.head, reason="调整")

    return write, {DUTIES}


@scenario
def shifts_swapped_across_months(world: World) -> tuple[Write, set[str]]:
    """Who is on which shift changes; no figure does (a duty stays on its shift)."""
    march = _shift(world, 3).duties.get()
    april = make_shift(world.room, when(4, 20, 9), deputies=world.deputies[1:2], published=True).duties.get()
    figures_recompute(keys={(world.district.pk, dt.date(2026, 4, 1))})

    def write() -> object:
        return roster_services.shift_swap(
            duty=_again(Duty, march.pk), other_duty=_again(Duty, april.pk), actor=world.head, reason="出差"
        )

    return write, set()


@scenario
def substitute_planned(world: World) -> tuple[Write, set[str]]:
    duty = _shift(world, 3).duties.get()

    def write() -> object:
        return roster_services.duty_substitute(
            duty=_again(Duty, duty.pk), substitute=world.deputies[2], actor=world.head, reason="出差"
        )

    return write, set()


@scenario
def shift_with_a_visit_moved_to_another_month(world: World) -> tuple[Write, set[str]]:
    """Its duties and its being held (a visit was recorded for it) move to April."""
    shift = _shift(world, 3)
    _visit(world, when(3, 20, 10), opinion=False)

    def write() -> object:
        return roster_services.shift_move(
            shift=_again(DutyShift, shift.pk), start=when(4, 2, 9), end=when(4, 2, 11), actor=world.head, reason="改期"
        )

    return write, {SHIFTS, DUTIES}


@scenario
def attendance_marked_present(world: World) -> tuple[Write, set[str]]:
    """The deputy came: the duty is present and the shift held."""
    duty = _shift(world, 3).duties.get()

    def write() -> object:
        return roster_services.duty_mark_attendance(
            duty=_again(Duty, duty.pk), attendance=Attendance.PRESENT, actor=world.staff
        )

    return write, {SHIFTS, DUTIES}


@scenario
def attendance_marked_substituted(world: World) -> tuple[Write, set[str]]:
    duty = _shift(world, 3).duties.get()

    def write() -> object:
        return roster_services.duty_mark_attendance(
            duty=_again(Duty, duty.pk),
            attendance=Attendance.SUBSTITUTED,
            substitute=world.deputies[2],
            actor=world.staff,
        )

    return write, {SHIFTS, DUTIES}


@scenario
def attendance_marked_absent(world: World) -> tuple[Write, set[str]]:
    duty = _shift(world, 3).duties.get()

    def write() -> object:
        return roster_services.duty_mark_attendance(
            duty=_again(Duty, duty.pk), attendance=Attendance.ABSENT, absence_reason="illness", actor=world.staff
        )

    return write, {DUTIES}


# --- the checks ---------------------------------------------------------------------------------------------


@pytest.fixture
def world(district, station, room, deputies, alice, bob) -> World:
    return World(district, station, room, deputies, Actor(user=alice), Actor(user=bob), make_body())


def _families(found: set[Touch]) -> set[str]:
    return {touch.family for touch in found}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_write_leaves_the_cells_equal_to_the_records_and_needs_each_family_it_names(name, world):
    write, needs = SCENARIOS[name](world)
    assert cell_differences(YEAR) == [], "the scenario starts from exact cells"

    for left_out in sorted(needs):
        with transaction.atomic():
            with figures_deferred() as touched:
                write()
                named = _families(touched)
                kept = {touch for touch in touched if touch.family != left_out}
                touched.clear()
                touched.update(kept)
            assert left_out in named, f"{name}: the service does not name {left_out!r} (it names {sorted(named)})"
            assert cell_differences(YEAR), (
                f"{name}: leaving out {left_out!r} changes nothing: the scenario does not test it"
            )
            transaction.set_rollback(True)

    with figures_deferred() as touched:
        write()
    assert cell_differences(YEAR) == [], f"{name} names {sorted(_families(touched))}"
    if needs:
        assert touched, f"{name}: its write touches no figures"


def test_every_field_of_a_cell_belongs_to_exactly_one_family():
    """A recompute writes only its families' fields: a field of no family would never be written, one of two
    families would be overwritten by either."""
    from stations.models import FigureCell
    from stations.selectors.cells import FAMILY_FIELDS, FAMILY_PRESENCE

    values = {field.name for field in FigureCell._meta.concrete_fields} - {
        "id",
        "district",
        "month",
        "dimension",
        "key",
    }
    owned = [name for fields in FAMILY_FIELDS.values() for name in fields]
    assert sorted(owned) == sorted(values)
    assert all(FAMILY_PRESENCE[family] in fields for family, fields in FAMILY_FIELDS.items())
