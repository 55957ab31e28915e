"""The demo district's year of activity: its January–August figures, computed by the statistics selectors
from the generated records, come out as the seed's."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db.models import F
from django.urls import reverse

from stations.demo import activity
from stations.demo.activity import build_activity, demo_year
from stations.models import (
    Duty,
    DutyShift,
    HandlingBody,
    Opinion,
    OpinionEvent,
    Site,
    State,
    Visit,
)
from stations.selectors.stats import LOCAL_TZ, Period, Scope, headline
from tests.conftest import analyze_as_owner
from tests.factories_stats import build_network, page_tables

# The demo year is committed and ANALYZEd before it is checked: inside a test's transaction PostgreSQL believed its
# tables empty and planned the checks' joins as nested loops (a minute and more each in CI).
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def demo_network(district, station, room, point, other_station, other_room, deputies):
    """The shared fixtures plus enough sites to make the demo's 15 stations, 63 rooms and 10 points."""
    build_network(district, stations=13, rooms=61, points=9)
    assert Site.objects.filter(kind="station").count() == 15
    assert Site.objects.filter(kind="room").count() == 63
    assert Site.objects.filter(kind="point").count() == 10
    return district


@pytest.fixture
def built(demo_network):
    out = io.StringIO()
    assert build_activity(district=demo_network, stdout=out) is True
    analyze_as_owner()
    return demo_network


# Building the demo year goes through the services (tens of seconds on SQLite, more on PostgreSQL), so the checks
# of one built year share a single build: each `_check_*` below is one thing a user of the demo would notice.


def test_demo_year_is_the_latest_year_whose_august_is_over():
    assert demo_year(dt.datetime(2026, 8, 31, 15, 59, tzinfo=dt.UTC)) == 2025  # 23:59 on 31 August in Beijing
    assert demo_year(dt.datetime(2026, 8, 31, 16, 0, tzinfo=dt.UTC)) == 2026  # midnight: 1 September
    assert demo_year(dt.datetime(2027, 2, 1, tzinfo=dt.UTC)) == 2026


def _check_january_to_august_figures_come_out_as_the_seeds(built):
    year = demo_year()
    scope = Scope.for_district(built)
    figures = headline(scope=scope, period=Period.months(year, *activity.TARGET_MONTHS))
    assert figures.voters == activity.TARGET_VOTERS == 383
    assert figures.opinions == activity.TARGET_OPINIONS == 243
    assert figures.resolved == activity.TARGET_RESOLVED == 154
    whole_year = headline(scope=scope, period=Period.year(year))
    assert whole_year.events_held >= activity.TARGET_EVENTS_AT_LEAST


def _check_the_year_has_published_rosters_attendance_timelines_and_bodies(built):
    year = demo_year()
    now = dt.datetime.now(tz=LOCAL_TZ)
    assert HandlingBody.objects.filter(name__in=["区住建局", "区交通运输局"]).count() == 2
    assert HandlingBody.objects.count() >= 12
    shifts = DutyShift.objects.filter(roster__year=year)
    assert shifts.count() == 88 * 12
    assert not shifts.filter(roster__published_at__isnull=True).exists()
    assert {s.astimezone(LOCAL_TZ).day for s in shifts.values_list("start", flat=True)} == {20}
    assert not Duty.objects.filter(shift__end__lt=now, attendance="unmarked").exists()
    assert not Duty.objects.filter(shift__start__gt=now).exclude(attendance="unmarked").exists()
    # Nobody is on duty at two places at once.
    assert Duty.objects.values("deputy", "shift__start").distinct().count() == Duty.objects.count()
    assert Visit.objects.filter(people__gte=5).exists()  # some groups
    assert Visit.objects.filter(shift__isnull=True).exists()  # and visits outside the reception day
    # Each opinion's timeline leads to its state, and nothing happened in the future.
    for opinion in Opinion.objects.prefetch_related("events")[:200]:
        events = list(opinion.events.all())
        assert events[0].to_state == State.REGISTERED
        assert events[-1].to_state == opinion.state
        assert all(e.at <= dt.datetime.now(tz=dt.UTC) for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events)
    reopened = OpinionEvent.objects.filter(from_state=State.CLOSED, to_state=State.REFERRED)
    assert reopened.count() >= 3
    assert Opinion.objects.filter(registered_at__year__lte=year, reference__startswith=f"NH-{year}-").exists()


def _check_public_stats_show_the_generators_targets_for_january_to_august(client, built):
    year = demo_year()
    first, last = activity.TARGET_MONTHS
    response = client.get(reverse("stations:public_stats"), {"year": year, "month_from": first, "month_to": last})
    header, district_row = page_tables(response.text)["table-stations"][:2]
    assert district_row[0] == built.name
    shown = dict(zip(header, district_row, strict=True))
    assert shown["接待选民群众（人次）"] == str(activity.TARGET_VOTERS)
    assert shown["收到意见建议（件）"] == str(activity.TARGET_OPINIONS)
    assert shown["推动解决"] == str(activity.TARGET_RESOLVED)
    whole_year = page_tables(client.get(reverse("stations:public_stats"), {"year": year}).text)["table-stations"]
    assert int(dict(zip(whole_year[0], whole_year[1], strict=True))["开展接待活动（次）"]) >= (
        activity.TARGET_EVENTS_AT_LEAST
    )


def test_demo_timelines_name_each_workflow_step():
    from stations.demo.activity import _action_for
    from stations.models import OpinionAction, State

    assert _action_for("", State.REGISTERED) == OpinionAction.REGISTER
    assert _action_for(State.REGISTERED, State.ACCEPTED) == OpinionAction.ACCEPT
    assert _action_for(State.ACCEPTED, State.REFERRED) == OpinionAction.REFER
    assert _action_for(State.CLOSED, State.REFERRED) == OpinionAction.REOPEN


def _check_every_opinion_raised_at_a_visit_is_received_at_the_visits_time(built):
    raised = Opinion.objects.filter(visit__isnull=False).select_related("visit")

    assert raised.count() > 200
    assert [o.reference for o in raised if o.registered_at != o.visit.occurred_at] == []
    assert (
        not OpinionEvent.objects.filter(action="register", opinion__visit__isnull=False)
        .exclude(at=F("opinion__visit__occurred_at"))
        .exists()
    )


def test_the_built_demo_year(client, built):
    # A second build finds the year there and changes nothing. (The seed's exact figures below show that every
    # build of the same network gives the same records; a from-scratch rebuild here cost a minute on PostgreSQL.)
    visits = Visit.objects.count()
    assert build_activity(district=built, stdout=io.StringIO()) is False
    assert Visit.objects.count() == visits
    _check_january_to_august_figures_come_out_as_the_seeds(built)
    _check_the_year_has_published_rosters_attendance_timelines_and_bodies(built)
    _check_public_stats_show_the_generators_targets_for_january_to_august(client, built)
    _check_every_opinion_raised_at_a_visit_is_received_at_the_visits_time(built)
