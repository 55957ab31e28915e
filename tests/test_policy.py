"""The permission policy (stations/policy.py) asked directly, for every role.

The people are conftest's: alice (staff) and bob (head) at 余新镇, charlie (staff) at 凤桥镇 as the outsider,
dana the district administrator, erin a deputy (顾海明, serving the 金星 room); besides them a superuser
without a membership (counts as a district administrator), an account without any role and the anonymous
visitor. The records all sit in 余新镇's 金星 room, with one of each in 凤桥镇's room for the outsider.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from stations import policy
from stations.audit import Actor
from stations.models import District, Duty, DutyShift, Membership, Opinion, Region, Role, Site, Visit
from stations.services import opinions as opinion_services
from tests.conftest import make_user
from tests.factories_rosters import at, make_shift

NEXT_YEAR = timezone.localdate().year + 1
EVERYBODY = ("anonymous", "nobody", "erin", "alice", "bob", "charlie", "dana", "root")
ADMINS = {"dana", "root"}
YUXIN = {"alice", "bob"}


@dataclass
class World:
    people: dict
    station: Site
    room: Site
    point: Site
    other_station: Site
    other_room: Site
    district: District
    visit: Visit
    other_visit: Visit
    opinion: Opinion
    other_opinion: Opinion
    shift: DutyShift
    duty: Duty
    other_shift: DutyShift
    deputies: list


def _visit(site: Site, recorder) -> Visit:
    return Visit.objects.create(
        site=site,
        recorded_by=recorder,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        visitor_name="王小明",
        visitor_phone="13912345678",
        people=1,
        summary="村口路灯不亮。",
    )


@pytest.fixture
def world(district, station, room, point, other_station, other_room, deputies, alice, bob, charlie, dana, erin):
    people = {
        "anonymous": AnonymousUser(),
        "nobody": make_user("nobody", role=None),
        "erin": erin,
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        "dana": dana,
        "root": make_user("root", role=None, is_superuser=True),
    }
    visit, other_visit = _visit(room, alice), _visit(other_room, charlie)
    opinion, other_opinion = (
        opinion_services.opinion_register(
            site=site, category="environment", content="河道有垃圾。", actor=Actor.system()
        )
        for site in (room, other_room)
    )
    shift = make_shift(room, at(NEXT_YEAR, 3, 20), deputies=deputies[:2], published=True)
    other_shift = make_shift(other_room, at(NEXT_YEAR, 3, 20))
    return World(
        people=people,
        station=station,
        room=room,
        point=point,
        other_station=other_station,
        other_room=other_room,
        district=district,
        visit=visit,
        other_visit=other_visit,
        opinion=opinion,
        other_opinion=other_opinion,
        shift=shift,
        duty=shift.duties.order_by("pk").first(),
        other_shift=other_shift,
        deputies=deputies,
    )


def _who(predicate) -> set[str]:
    return {name for name in EVERYBODY if predicate(name)}


# --- roles -------------------------------------------------------------------------------------------------


def test_it_gives_each_account_its_role(world):
    roles = {name: policy.role_of(user) for name, user in world.people.items()}

    assert roles == {
        "anonymous": None,
        "nobody": None,
        "erin": Role.DEPUTY,
        "alice": Role.STAFF,
        "bob": Role.STATION_HEAD,
        "charlie": Role.STAFF,
        "dana": Role.DISTRICT_ADMIN,
        "root": Role.DISTRICT_ADMIN,
    }


def test_it_counts_a_superuser_without_membership_as_district_administrator(world):
    root = world.people["root"]

    assert policy.is_district_admin(root)
    assert policy.requires_second_factor(root)
    assert set(policy.visible_sites(root)) == set(Site.objects.all())


def test_it_knows_the_station_and_deputy_behind_an_account(world):
    stations = {name: policy.station_of(user) for name, user in world.people.items()}
    deputies = {name: policy.deputy_of(user) for name, user in world.people.items()}

    assert {name: s for name, s in stations.items() if s} == {
        "alice": world.station,
        "bob": world.station,
        "charlie": world.other_station,
    }
    assert {name: d for name, d in deputies.items() if d} == {"erin": world.deputies[0]}


def test_it_gives_a_staff_workspace_to_staff_heads_and_administrators_only(world):
    assert _who(lambda name: policy.can_write(world.people[name])) == YUXIN | {"charlie"} | ADMINS
    assert _who(lambda name: policy.works_at_station(world.people[name])) == YUXIN | {"charlie"}


def test_it_reserves_district_pages_to_district_administrators(world):
    for check in (
        policy.is_district_admin,
        policy.requires_second_factor,
        policy.can_view_audit_log,
        policy.can_handle_voter_rights,
        policy.can_view_deputy_attendance,
        policy.can_pick_any_station,
        policy.can_see_archived_visits,
        policy.can_export_unmasked,
        policy.can_review_important_opinions,
        policy.can_administer_network,
    ):
        assert _who(lambda name, check=check: check(world.people[name])) == ADMINS, check.__name__


def test_it_lets_only_an_active_administrator_manage_the_network(world):
    dana = world.people["dana"]
    assert policy.can_use_admin_by_role(dana)
    # The superuser made here is not `is_staff`: the admin itself stays closed to it.
    assert not policy.can_use_admin_by_role(world.people["root"])

    dana.is_active = False

    assert not policy.can_administer_network(dana)
    assert not policy.can_use_admin_by_role(dana)


def test_it_lists_who_is_told_about_new_opinions(world):
    inactive = make_user("former", role=Role.DISTRICT_ADMIN, is_active=False)

    admins = set(policy.district_admin_users())
    team = set(policy.station_team_users(world.station))

    assert admins == {world.people["dana"], world.people["root"]}
    assert inactive not in admins
    assert team == {world.people["alice"], world.people["bob"]}


# --- scopes ------------------------------------------------------------------------------------------------


def test_it_scopes_sites_to_the_own_station_with_its_rooms_and_points(world):
    yuxin = {world.station, world.room, world.point}
    fengqiao = {world.other_station, world.other_room}
    expected = {
        "anonymous": set(),
        "nobody": set(),
        "erin": set(),
        "alice": yuxin,
        "bob": yuxin,
        "charlie": fengqiao,
        "dana": yuxin | fengqiao,
        "root": yuxin | fengqiao,
    }

    assert {name: set(policy.visible_sites(user)) for name, user in world.people.items()} == expected
    assert set(policy.visible_stations(world.people["alice"])) == {world.station}
    assert set(policy.visible_stations(world.people["dana"])) == {world.station, world.other_station}


def test_it_scopes_visits_opinions_shifts_and_duties_alike(world):
    for name, user in world.people.items():
        sees_yuxin = name in YUXIN | ADMINS
        sees_fengqiao = name in {"charlie"} | ADMINS

        assert (world.visit in policy.visible_visits(user)) is sees_yuxin, name
        assert (world.other_visit in policy.visible_visits(user)) is sees_fengqiao, name
        assert (world.opinion in policy.visible_opinions(user)) is sees_yuxin, name
        assert (world.other_opinion in policy.visible_opinions(user)) is sees_fengqiao, name
        assert (world.shift in policy.visible_shifts(user)) is sees_yuxin, name
        assert (world.other_shift in policy.visible_shifts(user)) is sees_fengqiao, name
        assert (world.duty in policy.visible_duties(user)) is sees_yuxin, name


def test_it_offers_whole_district_figures_to_administrators_only(world):
    offered = {name: list(policy.stats_districts(user)) for name, user in world.people.items()}

    assert {name for name, districts in offered.items() if districts} == ADMINS
    assert offered["dana"] == [world.district]


def test_it_shows_a_deputy_record_to_administrators_the_deputys_station_and_the_deputy(world):
    own, other = world.deputies[0], world.deputies[1]

    assert _who(lambda name: policy.can_view_deputy_record(world.people[name], own)) == {"erin"} | YUXIN | ADMINS
    assert _who(lambda name: policy.can_view_deputy_record(world.people[name], other)) == YUXIN | ADMINS


# --- one object --------------------------------------------------------------------------------------------


def test_it_lets_the_station_and_administrators_see_and_change_a_visit(world):
    visit = world.visit

    assert _who(lambda name: policy.can_view_visit(world.people[name], visit)) == YUXIN | ADMINS
    assert _who(lambda name: policy.can_change_visit(world.people[name], visit)) == YUXIN | ADMINS
    # The head of the visit's station restores too (issue 13); staff do not.
    assert _who(lambda name: policy.can_restore_visit(world.people[name], visit)) == {"bob"} | ADMINS


def test_it_shows_the_visitor_in_full_to_the_station_and_on_request_to_administrators(world):
    visit = world.visit

    assert _who(lambda name: policy.sees_visitor_in_full(world.people[name], visit)) == YUXIN
    assert _who(lambda name: policy.can_reveal_visitor(world.people[name], visit)) == ADMINS
    assert not policy.sees_visitor_in_full(world.people["charlie"], visit)


def test_it_lets_only_administrators_reveal_a_submitter_where_it_is_masked(world):
    assert _who(lambda name: policy.can_reveal_submitter(world.people[name], world.opinion)) == ADMINS


def test_it_lets_the_station_and_administrators_handle_an_opinion(world):
    opinion = world.opinion

    assert _who(lambda name: policy.can_view_opinion(world.people[name], opinion)) == YUXIN | ADMINS
    assert _who(lambda name: policy.can_handle_opinion(world.people[name], opinion)) == YUXIN | ADMINS
    assert _who(lambda name: policy.can_handle_opinion(world.people[name], world.other_opinion)) == {"charlie"} | ADMINS


def test_it_lets_only_the_head_manage_the_roster_and_staff_mark_attendance(world):
    room, other_room = world.room, world.other_room

    assert _who(lambda name: policy.can_view_shift(world.people[name], world.shift)) == YUXIN | ADMINS
    assert _who(lambda name: policy.can_manage_roster(world.people[name], room)) == {"bob"} | ADMINS
    assert _who(lambda name: policy.can_manage_roster(world.people[name], other_room)) == ADMINS
    assert _who(lambda name: policy.can_mark_attendance(world.people[name], room)) == YUXIN | ADMINS
    assert _who(lambda name: policy.can_mark_attendance(world.people[name], other_room)) == {"charlie"} | ADMINS


# --- look-ups for views: 404 outside the scope, 403 for a write the role may not make -----------------------


def _outcome(call) -> str:
    try:
        call()
    except Http404:
        return "404"
    except PermissionDenied:
        return "403"
    return "ok"


def _outcomes(world, call) -> dict[str, str]:
    return {name: _outcome(lambda user=user: call(user)) for name, user in world.people.items()}


def _expect(ok: set[str], forbidden: set[str] = frozenset()) -> dict[str, str]:
    return {name: "ok" if name in ok else "403" if name in forbidden else "404" for name in EVERYBODY}


def test_it_hides_a_visit_outside_the_scope(world):
    pk = world.visit.pk

    assert _outcomes(world, lambda user: policy.visit_for_user(user, pk)) == _expect(YUXIN | ADMINS)
    assert _outcomes(world, lambda user: policy.visit_for_user(user, pk, write=True)) == _expect(YUXIN | ADMINS)
    assert policy.visit_for_user(world.people["alice"], pk) == world.visit


def test_it_hides_an_opinion_outside_the_scope(world):
    pk = world.opinion.pk

    assert _outcomes(world, lambda user: policy.opinion_for_user(user, pk, write=True)) == _expect(YUXIN | ADMINS)
    assert policy.opinion_for_user(world.people["bob"], pk) == world.opinion


def test_it_refuses_roster_changes_to_staff_who_may_see_the_shift(world):
    pk = world.shift.pk

    assert _outcomes(world, lambda user: policy.shift_for_user(user, pk)) == _expect(YUXIN | ADMINS)
    assert _outcomes(world, lambda user: policy.shift_for_user(user, pk, manage=True)) == _expect(
        {"bob"} | ADMINS, forbidden={"alice"}
    )


def test_it_lets_station_staff_mark_a_duty_of_their_station(world):
    pk = world.duty.pk

    assert _outcomes(world, lambda user: policy.duty_for_user(user, pk, mark=True)) == _expect(YUXIN | ADMINS)


def test_it_finds_the_station_of_the_roster_pages(world):
    alice, charlie = world.people["alice"], world.people["charlie"]

    assert policy.station_for_user(alice, None) == world.station
    assert policy.station_for_user(world.people["dana"], None) in {world.station, world.other_station}
    assert policy.station_for_user(world.people["erin"], None) is None
    assert _outcome(lambda: policy.station_for_user(charlie, "yuxin")) == "404"
    assert _outcomes(world, lambda user: policy.managed_station_for_user(user, "yuxin")) == _expect(
        {"bob"} | ADMINS, forbidden={"alice"}
    )
    # Nobody without a station may change a roster: no station to pick is a refusal, not a page.
    assert _outcome(lambda: policy.managed_station_for_user(world.people["erin"], None)) == "403"


def test_it_finds_a_deputy_record_only_within_reach(world):
    slug = world.deputies[0].slug

    assert _outcomes(world, lambda user: policy.deputy_record_for_user(user, slug)) == _expect(
        {"erin"} | YUXIN | ADMINS
    )
    assert _outcome(lambda: policy.deputy_record_for_user(world.people["dana"], "nobody-of-that-name")) == "404"


# --- decorators ----------------------------------------------------------------------------------------------


def _page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the page")


def _status(view, user) -> int | str:
    request = RequestFactory().get("/staff/somewhere/")
    request.user = user
    try:
        return view(request).status_code
    except PermissionDenied:
        return 403


def test_it_sends_the_anonymous_to_sign_in_and_refuses_roles_without_the_page(world):
    staff_page = policy.staff_required(_page)
    admin_page = policy.district_admin_required(_page)

    assert {name: _status(staff_page, user) for name, user in world.people.items()} == {
        "anonymous": 302,
        "nobody": 403,
        "erin": 403,
        "alice": 200,
        "bob": 200,
        "charlie": 200,
        "dana": 200,
        "root": 200,
    }
    assert {name: _status(admin_page, user) for name, user in world.people.items()} == {
        "anonymous": 302,
        "nobody": 403,
        "erin": 403,
        "alice": 403,
        "bob": 403,
        "charlie": 403,
        "dana": 200,
        "root": 200,
    }


# --- links: nobody sees a link to a page they may not open ----------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "erin", "dana"])
def test_may_open_answers_as_the_page_itself_does(client, who, request):
    from django.urls import reverse

    from stations.policy import PAGE_CHECKS, may_open

    user = request.getfixturevalue(who)
    client.force_login(user)
    for name in PAGE_CHECKS:
        status = client.get(reverse(name)).status_code
        if may_open(user, name):
            assert status == 200, (who, name, status)
        elif not (name == "stations:staff_home" and who == "erin"):  # a deputy is sent to their own record
            assert status != 200, (who, name, status)


def test_a_deputy_sees_no_link_to_staff_statistics_and_staff_do(client, erin, alice):
    from django.urls import reverse

    link = f'href="{reverse("stations:staff_stats")}"'
    client.force_login(erin)
    assert link not in client.get(reverse("stations:public_stats")).text
    assert client.get(reverse("stations:staff_stats")).status_code == 403
    client.force_login(alice)
    assert link in client.get(reverse("stations:public_stats")).text


# --- regions (issue 15): city and province administrators ------------------------------------------------------


def test_roles_and_second_factor_of_regional_administrators(fay, gus, hal, dana, alice):
    assert policy.role_of(fay) == Role.CITY_ADMIN and policy.is_city_admin(fay)
    assert policy.role_of(gus) == Role.PROVINCE_ADMIN and policy.is_province_admin(gus)
    for user in (fay, gus, hal, dana):
        assert policy.is_administrator(user) and policy.requires_second_factor(user)
        assert policy.can_write(user) and policy.can_view_audit_log(user) and policy.can_import(user)
    assert not policy.is_administrator(alice) and not policy.requires_second_factor(alice)
    assert not policy.is_district_admin(fay)


def test_regional_administrators_see_everything_below_their_region_only(land, fay, gus, hal, district, room):
    nanhu_sites = set(Site.objects.filter(district=district))
    assert set(policy.visible_sites(fay)) == nanhu_sites | {land["wangdian"]}
    assert set(policy.visible_sites(gus)) == set(Site.objects.all())
    assert set(policy.visible_sites(hal)) == {land["xixi"]}
    assert set(policy.stats_districts(fay)) == {district, land["xiuzhou"]}
    assert set(policy.stats_regions(fay)) == {land["jiaxing"], land["nanhu"], Region.objects.get(name="秀洲区")}
    assert policy.can_manage_roster(fay, room) and policy.can_mark_attendance(fay, room)
    assert not policy.can_manage_roster(hal, room) and not policy.can_enter_late(hal, room)


def test_a_district_administrator_tied_to_a_district_sees_only_it(land, district):
    ivy = make_user("ivy", role=None)
    Membership.objects.create(user=ivy, role=Role.DISTRICT_ADMIN, district=land["xiuzhou"])
    assert set(policy.visible_sites(ivy)) == {land["wangdian"]}
    assert set(policy.stats_districts(ivy)) == {land["xiuzhou"]}
    assert not policy.can_manage_roster(ivy, Site.objects.filter(district=district).first())


def test_important_reports_reach_the_administrators_of_the_site_at_every_level(land, fay, gus, hal, dana, room):
    told = set(policy.district_admin_users(Site.objects.select_related("district").get(pk=room.pk)))
    assert told == {fay, gus, dana}
    assert hal not in told
