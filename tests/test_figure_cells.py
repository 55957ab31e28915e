"""The figures from summary cells (issue 15): every write a service makes keeps the cells equal to the live
aggregation over the records, what depends on the date alone is counted live, and a region's figures cost a
fixed number of queries whatever the number of its districts.

Each test writes through the services, then compares the cell-backed headline and every cell-backed breakdown
with the live path (`live=True`), and checks the figure a user would see moved."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations.audit import Actor
from stations.models import Attendance, District, FigureCell, Region, Satisfaction, Site, SiteKind, State, Visit
from stations.selectors.stats import Period, Scope, breakdown, headline
from stations.services import opinions as opinion_services
from stations.services.figures import figures_recompute
from stations.services.rosters import duty_mark_attendance, shift_swap
from stations.services.visits import visit_archive, visit_create, visit_restore, visit_update
from tests.factories_opinions import make_body
from tests.factories_rosters import make_shift

YEAR = Period.year(2026)
BREAKDOWNS = ("month", "category", "channel", "body", "station")


@pytest.fixture(autouse=True)
def _late_entries_allowed(settings):
    settings.LATE_ENTRY_DAYS = 4000  # the tests date their records where they need them


def when(month: int, day: int, hour: int = 10) -> dt.datetime:
    from stations.clock import LOCAL_TZ

    return dt.datetime(2026, month, day, hour, tzinfo=LOCAL_TZ)


def clerk() -> Actor:
    from django.contrib.auth import get_user_model

    return Actor(user=get_user_model().objects.get_or_create(username="clerk")[0])


def assert_exact(scope: Scope, period: Period = YEAR, today: dt.date | None = None, extra: tuple[str, ...] = ()):
    """The cells give what the records give: the headline and every breakdown the cells serve."""
    from_cells = headline(scope=scope, period=period, today=today)
    assert from_cells == headline(scope=scope, period=period, today=today, live=True)
    for by in (*BREAKDOWNS, *extra):
        cells_rows = breakdown(scope=scope, period=period, by=by, today=today)
        live_rows = breakdown(scope=scope, period=period, by=by, today=today, live=True)
        assert [(r.key, r.label, r.figures) for r in cells_rows] == [(r.key, r.label, r.figures) for r in live_rows]
    return from_cells


def test_the_cells_serve_a_district_over_whole_months_and_nothing_else(district, station):
    """What the user is shown comes from the cells only where they cover it exactly (a row changed behind the
    services' back shows, on the cell path only)."""
    visit_create(site=station, actor=clerk(), occurred_at=when(3, 5), summary="来访", people=3)
    FigureCell.objects.filter(dimension="").update(voters=99)
    assert headline(scope=Scope.for_district(district), period=YEAR).voters == 99
    assert headline(scope=Scope.for_district(district), period=YEAR, live=True).voters == 3
    assert headline(scope=Scope.for_station(station), period=YEAR).voters == 3  # a station: live
    part = Period.between(dt.date(2026, 3, 1), dt.date(2026, 3, 15))
    assert headline(scope=Scope.for_district(district), period=part).voters == 3  # not whole months: live


def test_a_visit_created_moved_to_another_month_archived_and_restored_keeps_the_cells_exact(
    district, station, room, alice, dana
):
    scope = Scope.for_district(district)
    visit = visit_create(
        site=room, actor=Actor(user=alice), occurred_at=when(3, 5), summary="来访", people=4, category="transport"
    )
    opinion_services.opinion_register(
        site=room, visit=visit, category="transport", content="修路", source="reception", actor=Actor(user=alice)
    )
    figures = assert_exact(scope)
    assert (figures.visits, figures.voters, figures.opinions) == (1, 4, 1)
    march = dt.date(2026, 3, 1)

    visit = visit_update(visit=visit, actor=Actor(user=alice), deputies=[], occurred_at=when(4, 7))
    months = {row.key: row.figures for row in breakdown(scope=scope, period=YEAR, by="month")}
    assert (months[march].visits, months[dt.date(2026, 4, 1)].visits) == (0, 1)
    assert months[dt.date(2026, 4, 1)].opinions == 1  # the opinion follows its visit
    assert_exact(scope)

    visit_archive(visit=visit, actor=Actor(user=alice), reason="重复录入")
    figures = assert_exact(scope)
    assert (figures.visits, figures.voters, figures.opinions) == (0, 0, 0)

    visit_restore(visit=Visit.objects.get(pk=visit.pk), actor=Actor(user=dana))
    figures = assert_exact(scope)
    assert (figures.visits, figures.opinions) == (1, 1)


def test_an_opinion_through_every_state_and_the_voters_vote_keeps_the_cells_exact(district, station):
    scope, actor = Scope.for_district(district), Actor(user=None)
    body = make_body()
    opinion = opinion_services.opinion_register(
        site=station, category="environment", content="河道垃圾", source="online", actor=actor, received_at=when(2, 3)
    )
    assert assert_exact(scope).still_open == 1
    steps = [
        (opinion_services.opinion_accept, {"note": "受理"}, when(2, 4)),
        (opinion_services.opinion_refer, {"body": body, "deadline": dt.date(2026, 3, 1)}, when(2, 5)),
        (opinion_services.opinion_reply, {"reply": "已清理"}, when(2, 20)),
        (opinion_services.opinion_resolve, {}, when(2, 21)),
        (opinion_services.opinion_close, {"satisfaction": Satisfaction.UNSATISFIED}, when(2, 22)),
        (opinion_services.opinion_reopen, {"body": body, "note": "仍有垃圾"}, when(2, 23)),
        (opinion_services.opinion_reply, {"reply": "再次清理"}, when(2, 25)),
        (opinion_services.opinion_explain, {"explanation": "需列入预算"}, when(2, 26)),
    ]
    seen = []
    for service, arguments, moment in steps:
        opinion = service(opinion=opinion, actor=actor, happened_at=moment, **arguments)
        figures = assert_exact(scope)
        seen.append((opinion.state, figures.resolved, figures.closed, figures.median_days))
    assert seen[4][:3] == (State.CLOSED, 1, 1)
    assert seen[5][:3] == (State.REFERRED, 0, 0)  # reopened: not resolved until it is again
    assert seen[-1][:2] == (State.EXPLAINED, 1)
    assert assert_exact(scope).resolved_explained == 1

    opinion_services.opinion_voter_answer(opinion=opinion, satisfaction=Satisfaction.SATISFIED, actor=actor)
    figures = assert_exact(scope)
    assert (figures.rated, figures.satisfied) == (1, 1)
    by_body = breakdown(scope=scope, period=YEAR, by="body")
    assert [(row.key, row.figures.opinions) for row in by_body] == [(body.pk, 1)]


def test_overdue_moves_with_the_date_alone_without_any_write(district, station):
    scope, actor = Scope.for_district(district), Actor(user=None)
    opinion = opinion_services.opinion_register(
        site=station, category="environment", content="路灯", source="online", actor=actor, received_at=when(5, 3)
    )
    opinion = opinion_services.opinion_accept(opinion=opinion, actor=actor, happened_at=when(5, 4))
    opinion_services.opinion_refer(
        opinion=opinion, actor=actor, body=make_body(), deadline=dt.date(2026, 6, 10), happened_at=when(5, 5)
    )
    before = assert_exact(scope, today=dt.date(2026, 6, 10))
    after = assert_exact(scope, today=dt.date(2026, 6, 11))
    assert (before.overdue, before.due) == (0, 0)
    assert (after.overdue, after.due) == (1, 1)


def test_attendance_and_a_swap_keep_the_cells_exact(district, room, deputies, alice, bob):
    scope = Scope.for_district(district)
    march = make_shift(room, when(3, 20, 9), deputies=[deputies[0]], published=True)
    april = make_shift(room, when(4, 20, 9), deputies=[deputies[1]], published=True)
    figures_recompute(keys={(district.pk, dt.date(2026, 3, 1)), (district.pk, dt.date(2026, 4, 1))})  # bulk rows
    shift_swap(duty=march.duties.get(), other_duty=april.duties.get(), actor=Actor(user=bob), reason="出差")
    assert assert_exact(scope).scheduled == 2
    duty_mark_attendance(duty=march.duties.get(), attendance=Attendance.PRESENT, actor=Actor(user=alice))
    duty_mark_attendance(
        duty=april.duties.get(), attendance=Attendance.ABSENT, absence_reason="illness", actor=Actor(user=alice)
    )
    figures = assert_exact(scope)
    assert (figures.present, figures.absent, figures.shifts_held) == (1, 1, 1)
    assert figures.absent_by_reason["illness"] == 1


def test_a_site_moved_to_another_district_in_the_admin_moves_its_figures(district, station, room, admin_client):
    from tests.test_sites_admin import _form_data

    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    Site.objects.create(district=other, kind=SiteKind.STATION, name="新城站", slug="xz-s", town="新城街道")
    point = Site.objects.create(district=district, kind=SiteKind.STATION, name="独立站", slug="alone", town="余新镇")
    visit_create(site=point, actor=clerk(), occurred_at=when(3, 5), summary="来访", people=5)
    visit_create(site=room, actor=clerk(), occurred_at=when(3, 6), summary="来访", people=2)
    assert assert_exact(Scope.everything(), extra=("district",)).voters == 7

    url = reverse("admin:stations_site_change", args=[point.pk])
    response = admin_client.post(url, _form_data(admin_client.get(url), district=str(other.pk)))
    assert response.status_code == 302, response.content[:2000]
    assert headline(scope=Scope.for_district(other), period=YEAR).voters == 5
    assert headline(scope=Scope.for_district(district), period=YEAR).voters == 2
    assert_exact(Scope.everything(), extra=("district",))
    assert_exact(Scope.for_district(other))


def test_a_room_moved_under_another_station_in_the_admin_moves_its_station_figures(
    district, station, other_station, room, admin_client
):
    from tests.test_sites_admin import _form_data

    visit_create(site=room, actor=clerk(), occurred_at=when(3, 6), summary="来访", people=2)
    scope = Scope.for_district(district)
    by_station = {row.key: row.figures.voters for row in breakdown(scope=scope, period=YEAR, by="station")}
    assert (by_station[station.pk], by_station[other_station.pk]) == (2, 0)
    url = reverse("admin:stations_site_change", args=[room.pk])
    response = admin_client.post(url, _form_data(admin_client.get(url), parent=str(other_station.pk)))
    assert response.status_code == 302, response.content[:2000]
    by_station = {row.key: row.figures.voters for row in breakdown(scope=scope, period=YEAR, by="station")}
    assert (by_station[station.pk], by_station[other_station.pk]) == (0, 2)
    assert_exact(scope)


def test_an_import_recomputes_each_district_month_once_at_its_end(district, room, bob):
    from tests.test_import_batch import row, run

    make_body("区交通运输局")  # the handling body the file names
    rows = [row(n, day=10 + n % 5, steps=n % 5) for n in range(1, 41)]
    with CaptureQueriesContext(connection) as queries:
        result = run(rows, district=district, user=bob)
    assert result.saved, result.problems
    figures = assert_exact(Scope.for_district(district))
    assert (figures.visits, figures.opinions) == (40, 32)
    # One recompute for the file's one district-month: the cells of March are written once, and stamped once.
    written = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "stations_figurecell"')]
    assert len(written) == 1
    stamped = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "stations_figuremonth"')]
    assert len(stamped) == 1
    aggregations = [q for q in queries.captured_queries if "stations_figuremonth" in q["sql"]]
    assert len(aggregations) <= 4  # the month row made, locked, stamped: once


def test_the_demo_loaded_through_the_services_matches_its_records(db):
    from stations.demo import load_demo

    load_demo(stdout=io.StringIO())
    out = io.StringIO()
    call_command("check_figures", stdout=out)
    assert "match" in out.getvalue()


def test_check_figures_names_a_difference_and_rebuild_repairs_it(district, station):
    visit_create(site=station, actor=clerk(), occurred_at=when(3, 5), summary="来访", people=3)
    Visit.objects.update(people=8)  # behind the services' back
    with pytest.raises(CommandError):
        call_command("check_figures", "--year", "2026", stdout=io.StringIO(), stderr=(errors := io.StringIO()))
    assert "2026-03 total" in errors.getvalue() and "voters 3 should be 8" in errors.getvalue()
    call_command("rebuild_figures", "--year", "2026", stdout=io.StringIO())
    call_command("check_figures", "--year", "2026", stdout=io.StringIO())
    assert headline(scope=Scope.for_district(district), period=YEAR).voters == 8


def test_migrate_fills_the_cells_of_a_portal_upgraded_with_records_and_no_cells(district, station):
    """An upgrade across migration 0023 finds records and an empty cells table: migrate fills them, so the
    figures never read zero until someone thinks of running rebuild_figures."""
    from stations.management.commands.migrate import Command as Migrate
    from stations.models import FigureMonth

    visit_create(site=station, actor=clerk(), occurred_at=when(3, 5), summary="来访", people=3)
    FigureCell.objects.all().delete()
    FigureMonth.objects.all().delete()
    assert headline(scope=Scope.for_district(district), period=YEAR).voters == 0  # what an upgrade would show
    Migrate().fill_figure_cells(verbosity=0)
    assert assert_exact(Scope.for_district(district)).voters == 3
    cells = FigureCell.objects.count()
    Migrate().fill_figure_cells(verbosity=0)  # a portal that has cells is left alone (the services keep them)
    assert FigureCell.objects.count() == cells


def _region_with_districts(count: int) -> Region:
    province = Region.objects.create(name="浙江省", level="province")
    city = Region.objects.create(name="嘉兴市", level="city", parent=province)
    actor, body = Actor(user=None), make_body()
    for n in range(count):
        county = Region.objects.create(name=f"县{n}", level="county", parent=city)
        new = District.objects.create(name=f"区{n}", slug=f"d-{n}", code=f"D{n}", region=county)
        site = Site.objects.create(district=new, kind=SiteKind.STATION, name=f"站{n}", slug=f"s-{n}", town="镇")
        visit_create(site=site, actor=clerk(), occurred_at=when(1 + n % 12, 5), summary="来访", people=n + 1)
        for k in range(n + 1):  # days to reply differ, so the medians of unions differ from each part's
            opinion = opinion_services.opinion_register(
                site=site, category="transport", content="修路", source="online", actor=actor, received_at=when(2, 1)
            )
            opinion = opinion_services.opinion_accept(opinion=opinion, actor=actor, happened_at=when(2, 2))
            opinion = opinion_services.opinion_refer(
                opinion=opinion, actor=actor, body=body, deadline=dt.date(2026, 3, 30), happened_at=when(2, 3)
            )
            opinion_services.opinion_reply(
                opinion=opinion, actor=actor, reply="已修", happened_at=when(2, 4 + 3 * n + k, 9 + k)
            )
    return city


@pytest.mark.parametrize("count", [2, 6])
def test_a_regions_headline_and_breakdown_by_district_cost_the_same_queries_whatever_its_districts(
    db, count, django_assert_num_queries
):
    city = _region_with_districts(count)
    scope = Scope.for_region(city)
    assert_exact(scope, extra=("district",))
    # The cells and the days holding the medians, for each; the district
    # breakdown also reads the districts' names.
    with django_assert_num_queries(5):
        figures = headline(scope=scope, period=YEAR)
        rows = breakdown(scope=scope, period=YEAR, by="district")
    assert figures.voters == sum(range(1, count + 1))
    assert [row.figures.voters for row in rows] == list(range(1, count + 1))
    assert figures.median_days is not None and len({row.figures.median_days for row in rows}) == count
