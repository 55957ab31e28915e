"""Regions above the district (issue 15): the model, who administers what, figures rolled up by region, the
public region page, imports by a regional administrator.

The land: 浙江省 with two cities, 嘉兴市 (南湖区 with 余新镇 and 凤桥镇 from conftest, and 秀洲区 with one
station) and 杭州市 (西湖区, one station). fay administers 嘉兴市, gus 浙江省, hal 杭州市; dana is conftest's
district administrator without a district (the portal's own).
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations.models import District, Membership, Region, Role
from stations.selectors.stats import Period, Scope, breakdown, default_scope, headline
from tests.conftest import make_user, totp_device
from tests.conftest import region_station as station
from tests.factories_stats import local, make_visit, page_tables

PUBLIC_STATS = reverse("stations:public_stats")
STAFF_STATS = reverse("stations:staff_stats")
VOTERS = "接待选民群众（人次）"
OPINIONS = "收到意见建议（件）"


def region_url(key: str) -> str:
    return reverse("stations:region_detail", kwargs={"key": key})


# --- the model ----------------------------------------------------------------------------------------------


def test_a_region_sits_one_level_below_its_parent(land):
    town = Region(name="余新镇", level="town", parent=land["jiaxing"])
    with pytest.raises(ValidationError) as error:
        town.full_clean()
    assert "parent" in error.value.message_dict
    Region(name="余新镇", level="town", parent=land["nanhu"]).full_clean()


def test_a_province_has_no_parent_and_others_must_have_one(land):
    with pytest.raises(ValidationError):
        Region(name="上海市", level="city").full_clean()
    with pytest.raises(ValidationError):
        Region(name="江苏省", level="province", parent=land["province"]).full_clean()


def test_a_region_code_has_twelve_digits_and_is_unique(land):
    with pytest.raises(ValidationError) as error:
        Region(name="嘉善县", level="county", parent=land["jiaxing"], code="33042").full_clean()
    assert "code" in error.value.message_dict
    with pytest.raises(ValidationError):
        Region(name="另一个", level="county", parent=land["jiaxing"], code="330402000000").full_clean()


def test_a_district_attaches_only_to_a_county(land, district):
    district.region = land["jiaxing"]
    with pytest.raises(ValidationError) as error:
        district.full_clean()
    assert "region" in error.value.message_dict


def test_districts_under_a_region_follow_the_tree(land, district):
    under = District.objects.under_region
    assert set(under(land["province"])) == {district, land["xiuzhou"], land["xihu"]}
    assert set(under(land["jiaxing"])) == {district, land["xiuzhou"]}
    assert set(under(land["nanhu"])) == {district}


# --- accounts tied to a scope --------------------------------------------------------------------------------


def test_a_regional_administrator_must_name_a_region_of_the_role_level(land):
    user = make_user("ivy", role=None)
    with pytest.raises(ValidationError) as error:
        Membership(user=user, role=Role.CITY_ADMIN, region=land["province"]).full_clean()
    assert "region" in error.value.message_dict
    with pytest.raises(ValidationError):
        Membership(user=user, role=Role.PROVINCE_ADMIN).full_clean()
    Membership(user=user, role=Role.PROVINCE_ADMIN, region=land["province"]).full_clean()


def test_a_district_administrator_is_tied_to_the_only_district_or_must_choose(district):
    user = make_user("ivy", role=None)
    membership = Membership(user=user, role=Role.DISTRICT_ADMIN)
    membership.full_clean()
    assert membership.district == district

    District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    with pytest.raises(ValidationError) as error:
        Membership(user=user, role=Role.DISTRICT_ADMIN).full_clean()
    assert "district" in error.value.message_dict


# --- figures rolled up ------------------------------------------------------------------------------------------


def test_a_region_total_is_the_sum_of_its_children(land, district):
    year = Period.year(2025)
    province = headline(scope=Scope.for_region(land["province"]), period=year)
    assert (province.voters, province.opinions) == (3 + 4 + 5 + 7, 3)
    cities = breakdown(scope=Scope.for_region(land["province"]), period=year, by="city")
    assert [(row.label, row.figures.voters, row.ref) for row in cities] == [
        ("杭州市", 7, "330100000000"),
        ("嘉兴市", 12, "330400000000"),
    ]
    districts = breakdown(scope=Scope.for_region(land["jiaxing"]), period=year, by="district")
    assert [(row.label, row.figures.voters, row.figures.opinions) for row in districts] == [
        ("南湖区", 7, 1),
        ("秀洲区", 5, 1),
    ]


def test_a_county_region_is_its_district(land, district):
    assert Scope.for_region(land["nanhu"]) == Scope.for_district(district)


def test_the_figures_open_on_the_smallest_region_holding_every_district(land, district):
    assert default_scope().region == land["province"]


def test_the_figures_open_on_the_city_when_every_district_lies_in_it(district):
    province = Region.objects.create(name="浙江省", level="province")
    city = Region.objects.create(name="嘉兴市", level="city", parent=province)
    for name, slug in (("南湖区", None), ("秀洲区", "xiuzhou")):
        county = Region.objects.create(name=name, level="county", parent=city)
        if slug is None:
            District.objects.filter(pk=district.pk).update(region=county)
        else:
            District.objects.create(name=name, slug=slug, code="XZ", region=county)
    assert default_scope().region == city


def test_the_figures_open_on_every_region_while_a_district_has_none(district):
    District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    scope = default_scope()
    assert scope.kind == "all" and scope.children_by == "district"


def test_public_figures_of_a_region_list_its_children_with_links_down(client, land):
    response = client.get(PUBLIC_STATS, {"region": "330000000000", "year": 2025})
    assert response.status_code == 200
    rows = page_tables(response.text)["table-cities"]
    voters = rows[0].index(VOTERS)
    assert [(row[0], row[voters]) for row in rows[1:]] == [("浙江省", "19"), ("杭州市", "7"), ("嘉兴市", "12")]
    assert f'href="{PUBLIC_STATS}?region=330400000000&amp;year=2025"' in response.text

    city = client.get(PUBLIC_STATS, {"region": "330400000000", "year": 2025}).text
    rows = page_tables(city)["table-districts"]
    assert [row[0] for row in rows[1:]] == ["嘉兴市", "南湖区", "秀洲区"]
    assert "?region=330402000000" in city
    # The district level is the page a one-district portal has always shown: stations, linked to their pages.
    county = client.get(PUBLIC_STATS, {"region": "330402000000", "year": 2025}).text
    rows = page_tables(county)["table-stations"]
    assert [row[0] for row in rows[1:]] == ["南湖区", "余新镇代表联络站", "凤桥镇代表联络站"]
    assert reverse("stations:site_detail", args=["yuxin"]) in county


def test_public_figures_of_an_unknown_region_are_404(client, land):
    assert client.get(PUBLIC_STATS, {"region": "999999999999"}).status_code == 404
    assert client.get(PUBLIC_STATS, {"region": "南湖"}).status_code == 404


def test_region_figures_take_the_same_queries_whatever_the_number_of_districts(
    client, land, django_assert_max_num_queries
):
    def count(params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PUBLIC_STATS, params).status_code == 200
        return len(captured)

    params = {"region": "330000000000", "year": 2025}
    before = count(params)
    before_city = count({"region": "330400000000", "year": 2025})
    jiaxing = land["jiaxing"]
    for n in range(8):
        county = Region.objects.create(name=f"新县{n}", level="county", parent=jiaxing)
        new = District.objects.create(name=f"新区{n}", slug=f"new-{n}", code=f"N{n}", region=county)
        site = station(new, f"new-station-{n}", f"新站{n}代表联络站")
        make_visit(site, local(2025, 5, 20, 10), people=n + 1)
    assert count(params) == before
    assert count({"region": "330400000000", "year": 2025}) == before_city
    with django_assert_max_num_queries(14):
        response = client.get(PUBLIC_STATS, params)
    rows = page_tables(response.text)["table-cities"]
    assert rows[1][rows[0].index(VOTERS)] == str(19 + sum(range(1, 9)))


def test_a_city_administrator_sees_the_city_figures_and_goes_down(client, fay, land):
    client.force_login(fay)
    response = client.get(STAFF_STATS, {"year": 2025})
    assert response.status_code == 200
    tables = page_tables(response.text)
    assert [row[0] for row in tables["table-districts"][1:]] == ["南湖区", "秀洲区"]
    headline_rows = {row[0]: row[1] for row in tables["table-headline"][1:]}
    assert headline_rows[VOTERS] == "12"
    assert "?region=330411000000&amp;year=2025" in response.text
    district_page = client.get(STAFF_STATS, {"region": "330411000000", "year": 2025})
    assert page_tables(district_page.text)["table-station"][1][0] == "王店镇代表联络站"
    # Handling bodies belong to districts: their table is a district's, never a list of every body of a city.
    assert "table-body" not in tables and "table-body" in page_tables(district_page.text)
    # Breadcrumbs go back up to the city, not above it.
    assert "?region=330400000000" in district_page.text
    assert "?region=330000000000" not in district_page.text


def test_a_city_administrator_cannot_ask_for_another_city_or_the_province(client, fay, land):
    client.force_login(fay)
    assert client.get(STAFF_STATS, {"region": "330100000000"}).status_code == 404
    assert client.get(STAFF_STATS, {"region": "330000000000"}).status_code == 404
    assert client.get(STAFF_STATS, {"scope": "district:xihu"}).status_code == 200  # an unknown choice…
    response = client.get(STAFF_STATS, {"scope": "district:xihu"})
    assert "table-headline" not in page_tables(response.text)  # …shows the error, no figures


def test_the_province_administrator_exports_the_rolled_up_figures(client, gus, land):
    client.force_login(gus)
    response = client.get(STAFF_STATS, {"year": 2025, "export": "csv", "table": "cities"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "嘉兴市" in text and "杭州市" in text


def test_staff_figures_of_a_province_take_a_fixed_number_of_queries(client, gus, land, django_assert_max_num_queries):
    client.force_login(gus)
    client.get(STAFF_STATS, {"year": 2025})
    for n in range(6):
        county = Region.objects.create(name=f"新县{n}", level="county", parent=land["jiaxing"])
        new = District.objects.create(name=f"新区{n}", slug=f"new-{n}", code=f"N{n}", region=county)
        make_visit(station(new, f"new-station-{n}", f"新站{n}代表联络站"), local(2025, 5, 20, 10), people=2)
    with django_assert_max_num_queries(45):
        response = client.get(STAFF_STATS, {"year": 2025})
    assert response.status_code == 200
    # The choices list regions and districts, never every station of the province.
    assert "新站0代表联络站" not in response.text


# --- the public region page -------------------------------------------------------------------------------------


def test_the_region_page_shows_its_children_with_counts_and_breadcrumbs(client, land, room, point):
    response = client.get(region_url("330400000000"))
    assert response.status_code == 200
    rows = page_tables(response.text)["region-children"]
    assert rows[1:] == [["南湖区", "1", "2", "1", "1"], ["秀洲区", "1", "1", "0", "0"]]
    assert f'href="{region_url("330000000000")}"' in response.text
    assert "王店镇代表联络站" in response.text and "西溪街道代表联络站" not in response.text
    assert f"{PUBLIC_STATS}?region=330400000000" in response.text


def test_the_region_page_is_found_by_id_too_and_unknown_is_404(client, land):
    assert "杭州市" in client.get(region_url(str(land["hangzhou"].pk))).text
    assert client.get(region_url("abc")).status_code == 404
    assert client.get(region_url("330500000000")).status_code == 404


def test_the_region_page_paginates_its_stations_in_bounded_queries(client, land, django_assert_max_num_queries):
    for n in range(40):
        station(land["xihu"], f"extra-{n}", f"新站{n:02d}代表联络站")
    with django_assert_max_num_queries(8):
        first = client.get(region_url("330000000000"))
    assert first.text.count('class="card card-body mb-2"') == 25
    second = client.get(region_url("330000000000"), {"page": 2})
    assert second.text.count('class="card card-body mb-2"') == 44 - 25


def test_site_pages_lead_up_through_the_regions(client, land, room):
    html = client.get(reverse("stations:site_detail", args=[room.slug])).text
    for key in ("330000000000", "330400000000", "330402000000"):
        assert f'href="{region_url(key)}"' in html
    assert f'href="{region_url("330000000000")}"' in client.get(reverse("stations:site_list")).text


# --- imports by a regional administrator ---------------------------------------------------------------------------


def test_a_province_administrator_chooses_the_district_of_an_import(client, gus, land, district):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(gus)
    page = client.get(reverse("stations:import_records"))
    assert 'name="district"' in page.text
    content = "日期和时间,站点,内容摘要\n2025-03-20 09:30,王店镇代表联络站,村口路灯不亮。\n".encode()
    upload = SimpleUploadedFile("visits.csv", content, content_type="text/csv")
    without = client.post(reverse("stations:import_records"), {"file": upload, "dry_run": "on"})
    assert without.status_code == 400
    upload = SimpleUploadedFile("visits.csv", content, content_type="text/csv")
    response = client.post(
        reverse("stations:import_records"), {"file": upload, "dry_run": "on", "district": land["xiuzhou"].pk}
    )
    assert response.status_code == 200
    assert 'id="result-heading"' in response.text


def test_a_city_administrator_cannot_import_into_another_city(client, fay, land):
    client.force_login(fay)
    response = client.post(reverse("stations:import_records"), {"district": land["xihu"].pk})
    assert response.status_code == 400


# --- the Django admin by scope ---------------------------------------------------------------------------------


def test_the_admin_lists_only_the_regional_administrators_rows(client, fay, land):
    client.force_login(fay)
    response = client.get(reverse("admin:stations_site_changelist"))
    assert response.status_code == 200
    assert "王店镇代表联络站" in response.text and "西溪街道代表联络站" not in response.text
    xixi = reverse("admin:stations_site_change", args=[land["xixi"].pk])
    assert client.get(xixi).status_code == 302  # the admin's "does not exist" redirect, not the page


def test_an_administrator_cannot_widen_their_own_reach_in_the_admin(client, fay, land):
    client.force_login(fay)
    membership = fay.membership
    url = reverse("admin:stations_membership_change", args=[membership.pk])
    data = {"user": fay.pk, "role": "province_admin", "region": land["province"].pk}
    assert client.post(url, data).status_code == 403
    membership.refresh_from_db()
    assert (membership.role, membership.region) == ("city_admin", land["jiaxing"])


def test_an_administrator_cannot_change_a_role_outside_their_reach(client, hal, alice, land):
    client.force_login(hal)
    membership = alice.membership
    url = reverse("admin:stations_membership_change", args=[membership.pk])
    response = client.post(url, {"user": alice.pk, "role": "station_head", "station": membership.station_id})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == "staff"


# --- accounts and the audit log by scope (issue 15) -------------------------------------------------------------


def _xihu_staff(land):
    return make_user("ivy", role="staff", station=land["xixi"])


def _usernames(html: str) -> set[str]:
    """The accounts the admin's user list links to (each username is the link to its page)."""
    return set(re.findall(r'<a href="/admin/auth/user/\d+/change/[^"]*">([^<]+)</a>', html))


def test_the_admin_user_list_shows_only_the_accounts_within_reach(client, fay, gus, hal, alice, land):
    ivy = _xihu_staff(land)
    changelist = reverse("admin:auth_user_changelist")
    client.force_login(fay)
    assert _usernames(client.get(changelist).text) == {"alice", "fay"}
    assert client.get(reverse("admin:auth_user_change", args=[ivy.pk])).status_code == 302  # "does not exist"
    client.force_login(hal)
    assert _usernames(client.get(changelist).text) == {"ivy", "hal"}
    client.force_login(gus)
    assert _usernames(client.get(changelist).text) == {"alice", "ivy", "fay", "hal", "gus"}


def test_a_district_administrator_sees_only_their_districts_accounts(client, alice, charlie, land):
    from stations.models import Membership

    xiuzhou_admin = make_user("kim", role=None, is_staff=True)
    Membership.objects.create(user=xiuzhou_admin, role="district_admin", district=land["xiuzhou"])
    totp_device(xiuzhou_admin)
    wangdian_staff = make_user("lee", role="staff", station=land["wangdian"])
    client.force_login(xiuzhou_admin)
    listed = _usernames(client.get(reverse("admin:auth_user_changelist")).text)
    assert listed == {wangdian_staff.username, "kim"}


def test_the_audit_log_shows_the_entries_of_the_accounts_within_reach(client, fay, gus, alice, land):
    from stations.audit import Actor, audit

    ivy = _xihu_staff(land)
    audit(action="visit.created", actor=Actor(alice, "10.0.0.1"), summary="南湖 entry")
    audit(action="visit.created", actor=Actor(ivy, "10.0.0.2"), summary="西湖 entry")
    audit(action="opinion.submitted", actor=Actor.system(), summary="system entry")
    client.force_login(fay)
    page = client.get(reverse("stations:audit_log")).text
    assert "南湖 entry" in page and "西湖 entry" not in page and "system entry" not in page
    admin_page = client.get(reverse("admin:stations_auditentry_changelist")).text
    assert "南湖 entry" in admin_page and "西湖 entry" not in admin_page
    client.force_login(gus)
    page = client.get(reverse("stations:audit_log")).text
    assert "南湖 entry" in page and "西湖 entry" in page and "system entry" not in page


def test_the_portal_wide_administrator_reads_every_audit_entry(client, dana, alice, land):
    from stations.audit import Actor, audit

    ivy = _xihu_staff(land)
    audit(action="visit.created", actor=Actor(ivy, "10.0.0.2"), summary="西湖 entry")
    audit(action="opinion.submitted", actor=Actor.system(), summary="system entry")
    client.force_login(dana)
    page = client.get(reverse("stations:audit_log")).text
    assert "西湖 entry" in page and "system entry" in page


def test_the_scoped_user_list_and_audit_log_take_a_fixed_number_of_queries(
    client, fay, alice, land, django_assert_max_num_queries
):
    from stations.audit import Actor, audit

    staff = [make_user(f"staff{n}", role="staff", station=alice.membership.station) for n in range(30)]
    for n, user in enumerate(staff * 2):
        audit(action="visit.created", actor=Actor(user, "10.0.0.1"), summary=f"entry {n}")
    client.force_login(fay)
    with django_assert_max_num_queries(16):
        users = client.get(reverse("admin:auth_user_changelist"))
    assert len(_usernames(users.text)) == 32  # the 30, alice and fay
    with django_assert_max_num_queries(12):
        entries = client.get(reverse("stations:audit_log"))
    assert "entry 59" in entries.text and "page=2" in entries.text  # the newest first, a page at a time
