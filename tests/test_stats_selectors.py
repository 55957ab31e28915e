"""The statistics selectors against a small year built with known answers, and against an independent count
done in plain Python over the same rows."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from stations.models import Duty, DutyShift, Opinion, Site, State, Visit
from stations.selectors.stats import (
    LOCAL_TZ,
    Figures,
    Period,
    Scope,
    breakdown,
    deputy_attendance,
    deputy_record,
    headline,
    stations_figures,
)
from tests.factories_stats import build_known_year, local, make_opinion, make_shift, make_visit

TODAY = dt.date(2025, 12, 31)
RESOLVED = {State.RESOLVED, State.EXPLAINED, State.CLOSED}
ACCEPTED = RESOLVED | {State.ACCEPTED, State.REFERRED, State.REPLIED}


@pytest.fixture
def year(district, station, room, point, other_station, other_room, deputies):
    return build_known_year(district, station, room, point, other_station, deputies)


# --- an independent count: plain Python over every row --------------------------------------------------


def site_ids(scope: Scope) -> set[int]:
    return set(scope.sites().values_list("pk", flat=True))


def local_date(value: dt.datetime) -> dt.date:
    return value.astimezone(LOCAL_TZ).date()


def count_by_hand(scope: Scope, period: Period, today: dt.date = TODAY) -> dict:
    ids = site_ids(scope)

    def in_period(value: dt.datetime) -> bool:
        return period.first <= local_date(value) <= period.last

    visits = [v for v in Visit.objects.all() if v.site_id in ids and v.archived_at is None and in_period(v.occurred_at)]
    held = 0
    for shift in DutyShift.objects.select_related("roster"):
        if shift.roster.site_id in ids and in_period(shift.start):
            came = any(d.attendance == "present" for d in shift.duties.all())
            recorded = any(v.archived_at is None for v in shift.visits.all())
            held += came or recorded
    offshift_days = {(v.site_id, local_date(v.occurred_at)) for v in visits if v.shift_id is None}
    opinions = [
        o
        for o in Opinion.objects.select_related("visit")
        if o.site_id in ids and in_period(o.registered_at) and (o.visit is None or o.visit.archived_at is None)
    ]
    replied = [o for o in opinions if o.replied_at]
    due = [o for o in opinions if o.deadline and (o.replied_at or o.deadline < today)]
    closed = [o for o in opinions if o.state == State.CLOSED]
    # Rated: the voter answered on the tracking page, or staff closed it; the voter's answer wins when given.
    rated = [o for o in opinions if o.voter_satisfaction or o.state == State.CLOSED]
    duties = [
        d
        for d in Duty.objects.select_related("shift__roster")
        if d.shift.roster.site_id in ids and in_period(d.shift.start) and not d.shift.cancelled
    ]
    return {
        "events_held": held + len(offshift_days),
        "visits": len(visits),
        "voters": sum(v.people for v in visits),
        "opinions": len(opinions),
        "not_accepted": sum(o.state == State.NOT_ACCEPTED for o in opinions),
        "accepted": sum(o.state in ACCEPTED for o in opinions),
        "resolved": sum(o.state in RESOLVED for o in opinions),
        "due": len(due),
        "on_time": sum(local_date(o.replied_at) <= o.deadline for o in due if o.replied_at),
        "median_days": (
            statistics.median((o.replied_at - o.registered_at).total_seconds() / 86400 for o in replied)
            if replied
            else None
        ),
        "closed": len(closed),
        "rated": len(rated),
        "satisfied": sum((o.voter_satisfaction or o.satisfaction) in ("satisfied", "basically") for o in rated),
        "scheduled": len(duties),
        "present": sum(d.attendance == "present" for d in duties),
        "absent": sum(d.attendance == "absent" for d in duties),
        "substituted": sum(d.attendance == "substituted" for d in duties),
        "unmarked": sum(d.attendance == "unmarked" for d in duties),
    }


def as_dict(figures: Figures) -> dict:
    return {
        key: getattr(figures, key)
        for key in (
            "events_held",
            "visits",
            "voters",
            "opinions",
            "not_accepted",
            "accepted",
            "resolved",
            "due",
            "on_time",
            "median_days",
            "closed",
            "rated",
            "satisfied",
            "scheduled",
            "present",
            "absent",
            "substituted",
            "unmarked",
        )
    }


def assert_same(figures: Figures, expected: dict, label: str = "") -> None:
    got, expected = as_dict(figures), dict(expected)
    got_median, expected_median = got.pop("median_days"), expected.pop("median_days")
    assert got == expected, label
    assert (got_median is None) == (expected_median is None), label
    if expected_median is not None:
        assert got_median == pytest.approx(expected_median), label


def scopes(district, station, room, point, other_station):
    return [
        Scope.for_district(district),
        Scope.for_station(station),
        Scope.for_station(other_station),
        Scope.for_site(station),
        Scope.for_site(room),
        Scope.for_site(point),
    ]


PERIODS = [
    Period.year(2025),
    Period.months(2025, 1, 8),
    Period.months(2025, 2, 2),
    Period.months(2025, 3, 3),
    Period.between(dt.date(2025, 2, 28), dt.date(2025, 3, 20)),
    Period.year(2024),
]


# --- known answers ----------------------------------------------------------------------------------------


def test_headline_for_the_station_gives_the_known_figures(year, station):
    figures = headline(scope=Scope.for_station(station), period=Period.year(2025), today=TODAY)
    # held: March at the room, February at the station, January at the point (by its visit); plus the
    # room's walk-ins of 1 March (one event) and the station's phone call of 28 February.
    assert figures.shifts_held == 3
    assert figures.offshift_events == 2
    assert figures.events_held == 5
    assert figures.visits == 6  # the group, the single, the point's visit, two walk-ins, the call
    assert figures.voters == 12 + 1 + 2 + 1 + 2 + 1
    assert figures.opinions == 6  # not the archived visit's, not 凤桥镇's, not 2024's
    assert figures.not_accepted == 1
    assert figures.accepted == 4
    assert figures.referred == 4
    assert figures.resolved == 2  # the closed one and the one resolved again; not the reopened one
    assert figures.resolution_rate == pytest.approx(2 / 4)
    assert figures.closed == 1
    assert figures.satisfaction_rate == 1.0
    assert (figures.due, figures.on_time) == (3, 2)  # the reopened one replied late; the online one not yet due
    assert figures.scheduled == 7  # 3 in March, 2 in April, 1 in June, 1 at the station; not the cancelled one
    assert (figures.present, figures.absent, figures.substituted, figures.unmarked) == (2, 2, 1, 2)
    assert figures.absent_by_reason == {"leave": 1, "illness": 1, "other_duty": 0, "other": 0}
    assert figures.attendance_rate == pytest.approx(2 / 5)


def test_median_days_to_reply_is_the_middle_of_the_replied_opinions(year, station, other_station):
    # Two replied opinions at 余新镇: the closed one (Mar 20 09:40 → Apr 10 09:00) and the one resolved
    # again, whose last reply counts (Mar 20 10:20 → Apr 25 23:30); with 凤桥镇's a third, the middle one.
    first = (local(2025, 4, 10) - local(2025, 3, 20, 9, 40)).total_seconds() / 86400
    second = (local(2025, 4, 25, 23, 30) - local(2025, 3, 20, 10, 20)).total_seconds() / 86400
    third = (local(2025, 5, 1) - local(2025, 3, 20, 9, 20)).total_seconds() / 86400
    station_figures = headline(scope=Scope.for_station(station), period=Period.year(2025), today=TODAY)
    assert station_figures.median_days == pytest.approx((first + second) / 2)
    district_figures = headline(scope=Scope.for_district(station.district), period=Period.year(2025), today=TODAY)
    assert district_figures.median_days == pytest.approx(sorted([first, second, third])[1])


def test_a_visit_at_half_past_midnight_on_the_first_belongs_to_that_month(year, room):
    march = headline(scope=Scope.for_site(room), period=Period.months(2025, 3, 3), today=TODAY)
    february = headline(scope=Scope.for_site(room), period=Period.months(2025, 2, 2), today=TODAY)
    assert march.voters == 12 + 1 + 1 + 2
    assert march.offshift_events == 1
    assert february.voters == 0
    assert february.events_held == 0


def test_a_group_of_twelve_counts_twelve_voters_and_one_visit(year, room):
    figures = headline(scope=Scope.for_site(room), period=Period.between(dt.date(2025, 3, 20), dt.date(2025, 3, 20)))
    assert (figures.visits, figures.voters) == (2, 13)


def test_archived_visits_and_their_opinions_do_not_count(year, room):
    june = headline(scope=Scope.for_site(room), period=Period.months(2025, 6, 7), today=TODAY)
    assert (june.visits, june.voters, june.opinions, june.events_held) == (0, 0, 0, 0)
    assert june.absent == 1


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.slug)
def test_every_headline_figure_matches_an_independent_count(
    year, district, station, room, point, other_station, period
):
    for scope in scopes(district, station, room, point, other_station):
        assert_same(headline(scope=scope, period=period, today=TODAY), count_by_hand(scope, period), scope.key)


def test_the_month_breakdown_matches_each_month_counted_alone(year, station):
    scope = Scope.for_station(station)
    rows = breakdown(scope=scope, period=Period.year(2025), by="month", today=TODAY)
    assert [row.key for row in rows] == [dt.date(2025, m, 1) for m in range(1, 13)]
    for row in rows:
        month = Period.months(2025, row.key.month, row.key.month)
        assert_same(row.figures, count_by_hand(scope, month))


def test_the_site_breakdown_lists_the_station_its_rooms_and_points_in_order(year, station, room, point):
    rows = breakdown(scope=Scope.for_station(station), period=Period.year(2025), by="site", today=TODAY)
    assert [row.key for row in rows] == [station.pk, room.pk, point.pk]
    for row in rows:
        site = Site.objects.get(pk=row.key)
        assert_same(row.figures, count_by_hand(Scope.for_site(site), Period.year(2025)))


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.slug)
def test_every_districts_figures_in_one_pass_equal_each_districts_own(year, district, period):
    """Everything's breakdown by district (one pass over the summary cells, issue 15) gives, for each district,
    the same figures as its own headline and as the records say, and nothing of one district leaks into
    another. (It replaces the all-districts pass of stats.districts_figures, which the cells made unused.)"""
    from stations.models import District

    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    site = Site.objects.create(district=other, kind="station", name="新城街道代表联络站", slug="xz-s", town="新城街道")
    shift = make_shift(site, local(2025, 5, 20))
    visit = make_visit(site, local(2025, 5, 20, 10), shift=shift, people=4)
    make_opinion(site, local(2025, 5, 20, 10, 30), visit=visit)
    found = breakdown(scope=Scope.everything(), period=period, by="district", today=TODAY)
    live = breakdown(scope=Scope.everything(), period=period, by="district", today=TODAY, live=True)
    assert [(row.key, row.figures) for row in found] == [(row.key, row.figures) for row in live]
    assert sorted(row.key for row in found) == sorted(District.objects.values_list("pk", flat=True))
    for row in found:
        own = headline(scope=Scope.for_district(District.objects.get(pk=row.key)), period=period, today=TODAY)
        # A group without duties lists no absence reasons; a headline lists each, at 0.
        own.absent_by_reason = {reason: n for reason, n in own.absent_by_reason.items() if n or row.figures.scheduled}
        assert row.figures == own
    in_period = period.first <= dt.date(2025, 5, 20) <= period.last
    assert next(row for row in found if row.key == other.pk).figures.voters == (4 if in_period else 0)


def test_the_station_breakdown_rolls_rooms_and_points_up_into_their_station(year, district, station, other_station):
    rows = stations_figures(district=district, period=Period.year(2025), today=TODAY)
    assert {row.key for row in rows} == {station.pk, other_station.pk}
    for row in rows:
        assert_same(row.figures, count_by_hand(Scope.for_station(Site.objects.get(pk=row.key)), Period.year(2025)))
    assert (
        sum(row.figures.voters for row in rows)
        == headline(scope=Scope.for_district(district), period=Period.year(2025)).voters
    )


def test_category_channel_and_body_breakdowns(year, district):
    scope, period = Scope.for_district(district), Period.year(2025)
    by_category = {row.key: row.figures for row in breakdown(scope=scope, period=period, by="category", today=TODAY)}
    assert (by_category["urban"].visits, by_category["urban"].voters, by_category["urban"].opinions) == (1, 12, 2)
    assert by_category["urban"].resolved == 1
    assert (by_category["environment"].voters, by_category["environment"].opinions) == (3, 1)
    assert by_category["health"] == Figures()

    by_channel = {row.key: row.figures for row in breakdown(scope=scope, period=period, by="channel", today=TODAY)}
    assert (by_channel["walk_in"].visits, by_channel["walk_in"].voters) == (2, 3)
    assert by_channel["phone"].voters == 1
    assert by_channel["online"].opinions == 1  # the opinion sent to the online station
    assert by_channel["reception_day"].opinions == 5
    assert by_channel["reception_day"].voters == 12 + 1 + 2 + 3

    rows = breakdown(scope=scope, period=period, by="body", today=TODAY)
    assert sorted(row.label for row in rows) == sorted(["区交通运输局", "区住建局"])
    by_body = {row.label: row.figures for row in rows}
    assert (by_body["区住建局"].referred, by_body["区住建局"].resolved, by_body["区住建局"].on_time) == (3, 2, 1)
    assert (by_body["区交通运输局"].referred, by_body["区交通运输局"].resolved) == (2, 1)


def test_level_breakdown_counts_a_deputy_under_each_current_mandate(year, district, station):
    from stations.models import Mandate

    gu = year["deputies"][0]  # town level; also a city mandate now, and a province mandate that has ended
    Mandate.objects.create(deputy=gu, level="city", term_start=dt.date(2023, 1, 1))
    Mandate.objects.create(deputy=gu, level="province", term_start=dt.date(2018, 1, 1), term_end=dt.date(2023, 1, 1))
    rows = {
        row.key: row.figures
        for row in breakdown(scope=Scope.for_station(station), period=Period.year(2025), by="level", today=TODAY)
    }
    # gu: present in March, unmarked in April, absent in June; li (city): substituted in March.
    assert (rows["town"].scheduled, rows["town"].present, rows["town"].absent) == (3, 1, 1)
    assert (rows["city"].scheduled, rows["city"].present, rows["city"].substituted) == (4, 1, 1)
    assert rows["province"].scheduled == 0
    assert (rows["district"].scheduled, rows["district"].present) == (3, 1)  # huang twice, the stand-in once


def test_headline_and_breakdowns_take_a_fixed_number_of_queries(
    year, district, station, room, django_assert_max_num_queries
):
    # More rows of everything must not mean more queries.
    for day in range(1, 28):
        shift = make_shift(room, local(2025, 8, day), [(year["deputies"][1], "present")])
        visit = make_visit(room, local(2025, 8, day, 10), shift=shift, people=day % 5 + 1)
        make_opinion(room, local(2025, 8, day, 11), [(State.ACCEPTED, local(2025, 8, day, 12))], visit=visit)
    scope, period = Scope.for_district(district), Period.year(2025)
    with django_assert_max_num_queries(6):
        headline(scope=scope, period=period)
    for by, most in (("month", 6), ("station", 7), ("category", 3), ("channel", 3), ("body", 3), ("level", 1)):
        with django_assert_max_num_queries(most):
            breakdown(scope=scope, period=period, by=by)


# --- a deputy's record and the attendance table ----------------------------------------------------------------


def test_deputy_record_gives_attendance_visits_and_the_fate_of_opinions(year):
    gu = year["deputies"][0]
    record = deputy_record(deputy=gu, year=2025, today=TODAY)
    f = record.figures
    assert (f.scheduled, f.present, f.absent, f.unmarked) == (3, 1, 1, 1)
    assert f.absent_by_reason["leave"] == 1
    assert (f.visits, f.voters) == (2, 13)  # present at the group and the single visit
    # Opinions raised at those two visits: closed, reopened, resolved again, not accepted.
    assert (f.opinions, f.accepted, f.resolved, f.not_accepted) == (4, 3, 2, 1)
    states = {state: n for state, _label, n in record.opinion_states}
    assert states == {**dict.fromkeys(states, 0), "closed": 1, "referred": 1, "resolved": 1, "not_accepted": 1}
    assert [d.shift.start.astimezone(LOCAL_TZ).month for d in record.duties] == [3, 4, 6]
    stand_in = deputy_record(deputy=year["stand_in"], year=2025, today=TODAY)
    assert stand_in.substitutions_served == 1


def test_deputy_attendance_table_counts_in_grouped_queries_and_sorts(year, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):  # duties, presences, deputies, mandates, assignments, sites
        rows = deputy_attendance(year=2025, sort="-present")
    by_name = {row.deputy.name: row.figures for row in rows}
    assert (by_name["顾海明"].scheduled, by_name["顾海明"].present, by_name["顾海明"].visits) == (3, 1, 2)
    assert by_name["顾海明"].voters == 13
    assert by_name["李建国"].substituted == 1
    assert by_name["钱伟"].attendance_rate == 1.0
    assert by_name["沈志强"].visits == 0
    presents = [row.figures.present for row in rows]
    assert presents == sorted(presents, reverse=True)
    rates = [row.figures.attendance_rate for row in deputy_attendance(year=2025, sort="rate")]
    known = [r for r in rates if r is not None]
    assert known == sorted(known)
    assert rates[len(known) :] == [None] * (len(rates) - len(known))  # no marked duty: last
    names = [row.deputy.name for row in deputy_attendance(year=2025, sort="-name")]
    assert names == [row.deputy.name for row in deputy_attendance(year=2025)][::-1]


def test_periods_cut_at_local_midnight():
    march = Period.months(2025, 3, 3)
    assert march.start == dt.datetime(2025, 2, 28, 16, 0, tzinfo=dt.UTC)
    assert march.end == dt.datetime(2025, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert Period.months(2025, 1, 8).last == dt.date(2025, 8, 31)
    with pytest.raises(ValueError):
        Period.between(dt.date(2025, 3, 2), dt.date(2025, 3, 1))
