"""The record form and the pairing form at a province's size (issue 15): the site chosen by search when the user
reaches more sites than a select holds, the deputies of the chosen site's district only, a bounded visiting list
with typed names beside it. SELECT_LIMIT is made small so that a handful of sites and deputies behave as 10,000
sites and 150,000 deputies do."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from stations.models import Pairing, Site, Visit, VisitDeputy
from tests.conftest import make_deputy
from tests.factories_network import build_deputies, build_network
from tests.factories_visits import make_visit, shift_now
from tests.test_records_views import TODAY
from tests.test_visits_views import _post_data

NEW_VISIT = reverse("stations:visit_create")
NEW_PAIRING = reverse("stations:pairing_create")
LIMIT = 4


@pytest.fixture
def small_select(monkeypatch):
    """A select holds LIMIT options: five sites are "more than a select holds"."""
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", LIMIT)


@pytest.fixture
def crowd(district, room):
    """More deputies in the district than a list holds, serving sites of another station."""
    elsewhere = build_network(district, sites=10, deputies_per_site=1)
    return [deputy for site in elsewhere for deputy in site.deputies.all()]


def _links(html: str) -> list[str]:
    return re.findall(r'<a href="\?site=(\d+)"', html)


# --- the site chooser ----------------------------------------------------------------------------------------


def test_an_administrator_with_many_sites_finds_the_site_by_search_and_opens_the_form_on_it(
    dana_client, small_select, station, room, point, other_station, other_room
):
    page = dana_client.get(NEW_VISIT)
    html = page.text
    assert 'id="visit-form"' not in html and '<select name="site"' not in html
    assert "请先选择站点" in html and 'name="q"' in html
    assert len(_links(html)) == 5

    found = dana_client.get(NEW_VISIT, {"q": "金星"}).text
    assert _links(found) == [str(room.pk), str(point.pk)]  # network order: the room before its point
    assert "余新镇代表联络站" in found  # each match names its station: namesakes are told apart
    assert "符合条件的站点共 2 个" in found
    assert _links(dana_client.get(NEW_VISIT, {"q": "fengqiao-village"}).text) == [str(other_room.pk)]  # by code
    assert "没有符合条件的站点" in dana_client.get(NEW_VISIT, {"q": "不存在的村"}).text

    form = dana_client.get(NEW_VISIT, {"site": room.pk}).text
    assert f'<input type="hidden" name="site" value="{room.pk}"' in form
    assert "<strong>金星村代表联络室</strong>" in form and "选择其他站点" in form


def test_the_chooser_pages_25_sites_with_a_fixed_number_of_queries(
    dana_client, small_select, district, django_assert_max_num_queries
):
    build_network(district, sites=60, deputies_per_site=1)
    with django_assert_max_num_queries(12):
        first = dana_client.get(NEW_VISIT)
    assert len(_links(first.text)) == 25
    assert "第 1 页，共 3 页" in first.text
    with django_assert_max_num_queries(12):
        last = dana_client.get(NEW_VISIT, {"page": "3"})
    assert len(_links(last.text)) == 10


def test_the_form_on_a_chosen_site_reads_a_fixed_number_of_queries_whatever_the_district(
    dana_client, small_select, district, django_assert_max_num_queries
):
    sites = build_network(district, sites=60, deputies_per_site=3)
    room = next(site for site in sites if site.kind == "room")
    shift_now(room, deputies=list(room.deputies.all()[:2]))
    with django_assert_max_num_queries(30):
        html = dana_client.get(NEW_VISIT, {"site": room.pk}).text
    # The room's three deputies as ticks, the district's 177 others not listed: they are typed by name.
    assert len(re.findall(r'name="deputies"', html)) == 3
    assert 'name="visiting_names"' in html
    listed = re.search(r'<select name="visiting_deputies".*?</select>', html, re.S).group(0)
    assert listed.count("<option") <= LIMIT


def test_staff_whose_sites_fit_a_select_keep_it(alice_client, small_select, station, room, point):
    html = alice_client.get(NEW_VISIT).text
    assert '<select name="site"' in html and "site-chooser" not in html


# --- the deputies of the chosen site's district ---------------------------------------------------------------


def test_only_the_chosen_sites_district_is_listed_and_another_districts_site_or_deputy_is_refused(
    client, fay, land, small_select, station, room, deputies, other_room
):
    client.force_login(fay)
    xiuzhou_deputy = make_deputy(land["xiuzhou"], "秀洲代表", sites=[land["wangdian"]], slug="xiuzhou-deputy")
    xihu_deputy = make_deputy(land["xihu"], "西湖代表", sites=[land["xixi"]], slug="xihu-deputy")
    html = client.get(NEW_VISIT, {"site": room.pk}).text
    assert deputies[0].name in html and "秀洲代表" not in html and "西湖代表" not in html

    before = Visit.objects.count()
    outside = client.post(NEW_VISIT, _post_data(land["xixi"]))  # a site of a district fay does not administer
    assert "site" in outside.context["form"].errors
    assert "选择其他站点" in outside.text  # and the way to choose another
    other_district = client.post(NEW_VISIT, _post_data(room, visiting_deputies=[xiuzhou_deputy.pk]))
    assert "秀洲代表是其他区的代表" in other_district.text
    out_of_scope = client.post(NEW_VISIT, _post_data(room, visiting_deputies=[xihu_deputy.pk]))
    assert "visiting_deputies" in out_of_scope.context["form"].errors
    assert Visit.objects.count() == before


def test_todays_receptions_are_the_chosen_sites_stations_only(
    dana_client, small_select, station, room, point, other_station, other_room
):
    shift_now(room)
    shift_now(other_room)
    response = dana_client.get(NEW_VISIT, {"site": room.pk})
    assert [shift.roster.site for shift in response.context["shifts"]] == [room]
    assert "凤桥村代表联络室" not in response.text


# --- the visiting deputies of a big district ------------------------------------------------------------------


def test_a_visiting_deputy_is_found_by_the_name_typed(alice_client, small_select, room, deputies, crowd):
    html = alice_client.get(NEW_VISIT, {"site": room.pk}).text
    listed = re.search(r'<select name="visiting_deputies".*?</select>', html, re.S).group(0)
    assert crowd[0].name not in listed  # another station's deputy: typed, not listed
    response = alice_client.post(NEW_VISIT, _post_data(room, visiting_names=f"{crowd[0].name}，{crowd[1].name}"))
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert set(VisitDeputy.objects.filter(visit=visit, is_visiting=True).values_list("deputy_id", flat=True)) == {
        crowd[0].pk,
        crowd[1].pk,
    }


def test_an_unknown_name_is_an_error_next_to_the_box_and_nothing_typed_is_lost(
    alice_client, small_select, room, deputies, crowd
):
    response = alice_client.post(NEW_VISIT, _post_data(room, visiting_names="查无此人", summary="村道坑洼"))
    assert response.status_code == 200
    assert "南湖区没有名为“查无此人”的代表" in " ".join(response.context["form"].errors["visiting_names"])
    assert 'value="查无此人"' in response.text and "村道坑洼" in response.text
    assert Visit.objects.count() == 0


def test_namesakes_are_named_with_their_sites_and_offered_in_the_list_to_choose_from(
    alice_client, small_select, district, room, other_room, point, deputies, crowd
):
    first = make_deputy(district, "张伟", sites=[other_room], slug="zhang-wei-1")
    second = make_deputy(district, "张伟", sites=[point], slug="zhang-wei-2")
    response = alice_client.post(NEW_VISIT, _post_data(room, visiting_names="张伟"))
    error = " ".join(response.context["form"].errors["visiting_names"])
    assert "本区有2名代表名为“张伟”" in error
    assert "凤桥村代表联络室" in error and "金星村企业代表联络点" in error
    listed = re.search(r'<select name="visiting_deputies".*?</select>', response.text, re.S).group(0)
    assert f'value="{first.pk}"' in listed and f'value="{second.pk}"' in listed
    assert Visit.objects.count() == 0
    chosen = alice_client.post(NEW_VISIT, _post_data(room, visiting_deputies=[second.pk]))
    assert chosen.status_code == 302
    assert VisitDeputy.objects.get(is_visiting=True).deputy == second


def test_an_edit_keeps_the_visits_own_deputies_listed_and_chosen(
    alice_client, alice, small_select, room, deputies, crowd
):
    visit = make_visit(room, alice, deputies=[deputies[0]])
    VisitDeputy.objects.create(visit=visit, deputy=crowd[3], is_visiting=True)
    html = alice_client.get(reverse("stations:visit_update", kwargs={"pk": visit.pk})).text
    assert re.search(rf'name="deputies" value="{deputies[0].pk}"\s+id="[^"]+" checked', html)
    listed = re.search(r'<select name="visiting_deputies".*?</select>', html, re.S).group(0)
    assert f'<option value="{crowd[3].pk}" selected>{crowd[3].name}</option>' in listed


def test_the_visiting_list_is_rendered_without_a_template_per_option_and_keeps_its_label(
    alice_client, room, deputies, crowd
):
    """A district that fits a list: every other deputy is offered, in Django's own markup, the label tied to it."""
    html = alice_client.get(NEW_VISIT, {"site": room.pk}).text
    listed = re.search(r'<select name="visiting_deputies"[^>]*>.*?</select>', html, re.S).group(0)
    assert 'id="id_visiting_deputies"' in listed and " multiple" in listed
    assert all(f'<option value="{deputy.pk}">{deputy.name}</option>' in listed for deputy in crowd)
    assert re.search(r'<label\s+for="id_visiting_deputies"', html)


# --- the pairing form -----------------------------------------------------------------------------------------


def _pairing(site, **fields):
    return {
        "site": site.pk,
        "kind": "voter",
        "voter_name": "陈阿婆",
        "voter_phone": "139 1111 2222",
        "consent": "on",
        "consent_on": TODAY.isoformat(),
        **fields,
    }


def test_the_pairing_form_chooses_the_site_by_search_and_the_deputy_by_name(
    dana_client, small_select, district, station, room, point, other_station, other_room, deputies
):
    build_deputies(district, sites=[other_room], per_site=LIMIT + 1, prefix="多")
    chooser = dana_client.get(NEW_PAIRING, {"q": "金星"}).text
    assert _links(chooser) == [str(room.pk), str(point.pk)]
    form = dana_client.get(NEW_PAIRING, {"site": room.pk}).text
    assert f'<input type="hidden" name="site" value="{room.pk}"' in form
    assert 'name="deputy_name"' in form and '<select name="deputy"' not in form

    unknown = dana_client.post(NEW_PAIRING, _pairing(room, deputy_name="查无此人"))
    assert unknown.status_code == 400 and "南湖区没有名为“查无此人”的代表" in unknown.text
    assert 'value="陈阿婆"' in unknown.text  # nothing typed is lost

    make_deputy(district, "张伟", sites=[room], slug="zhang-wei-1")
    other = make_deputy(district, "张伟", sites=[other_room], slug="zhang-wei-2")
    namesakes = dana_client.post(NEW_PAIRING, _pairing(room, deputy_name="张伟"))
    assert "本区有2名代表名为“张伟”" in namesakes.text
    select = re.search(r'<select name="deputy".*?</select>', namesakes.text, re.S).group(0)
    assert "张伟（凤桥村代表联络室）" in select and "张伟（金星村代表联络室）" in select
    assert not Pairing.objects.exists()

    saved = dana_client.post(NEW_PAIRING, _pairing(room, deputy_name="张伟", deputy=other.pk))
    assert saved.status_code == 302
    assert dana_client.post(NEW_PAIRING, _pairing(room, deputy_name=deputies[1].name)).status_code == 302
    assert sorted(Pairing.objects.values_list("deputy__slug", flat=True)) == ["huang-meiqin", "zhang-wei-2"]


def test_the_pairing_form_refuses_a_site_or_deputy_outside_the_users_districts(
    client, fay, land, small_select, room, deputies
):
    client.force_login(fay)
    xihu_deputy = make_deputy(land["xihu"], "西湖代表", sites=[land["xixi"]], slug="xihu-deputy")
    outside = client.post(NEW_PAIRING, _pairing(land["xixi"], deputy=deputies[0].pk))
    assert outside.status_code == 400 and "site" in outside.context["form"].errors
    wrong_deputy = client.post(NEW_PAIRING, _pairing(room, deputy=xihu_deputy.pk))
    assert wrong_deputy.status_code == 400 and "deputy" in wrong_deputy.context["form"].errors
    assert not Pairing.objects.exists()


def test_staff_keep_the_pairing_selects(client, alice, room, deputies):
    client.force_login(alice)
    html = client.get(NEW_PAIRING).text
    assert '<select name="site"' in html and '<select name="deputy"' in html
    assert all(deputy.name in html for deputy in deputies)
    assert Site.objects.count() >= 2


def test_an_edit_beyond_a_select_shows_its_site_and_moves_it_through_the_chooser(
    dana_client, alice, small_select, station, room, point, other_station, other_room, deputies
):
    visit = make_visit(room, alice, deputies=[deputies[0]])
    edit = reverse("stations:visit_update", kwargs={"pk": visit.pk})
    html = dana_client.get(edit).text
    assert f'<input type="hidden" name="site" value="{room.pk}"' in html
    assert f'href="{edit}?choose=1"' in html
    chooser = dana_client.get(edit, {"choose": "1", "q": "凤桥"}).text
    assert _links(chooser) == [str(other_station.pk), str(other_room.pk)]
    assert "返回接待记录，不更改站点" in chooser
    moved = dana_client.get(edit, {"site": other_room.pk}).text
    assert f'<input type="hidden" name="site" value="{other_room.pk}"' in moved
    assert "<strong>凤桥村代表联络室</strong>" in moved
