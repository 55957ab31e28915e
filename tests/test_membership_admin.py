"""The admin's list of roles (Membership) by the administrator's region (issue 15): each administrator sees and
edits only the roles of the accounts they look after (policy.visible_memberships), their selects offer nothing
from another region (policy.membership_choices), and another region's role is out of reach by URL too.

The land (tests/conftest.py): 浙江省 with 嘉兴市 (南湖区: 余新镇 with alice, 凤桥镇 with charlie; 秀洲区: 王店镇)
and 杭州市 (西湖区: 西溪街道 with ivy). fay administers 嘉兴市, gus 浙江省, hal 杭州市, kim the district 秀洲区.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from stations.models import Membership
from tests.conftest import make_user, totp_device

CHANGELIST = reverse("admin:stations_membership_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")


@pytest.fixture
def ivy(land):
    return make_user("ivy", role="staff", station=land["xixi"])


@pytest.fixture
def lee(land):
    return make_user("lee", role="staff", station=land["wangdian"])


@pytest.fixture
def kim(land):
    user = make_user("kim", role=None, is_staff=True)
    Membership.objects.create(user=user, role="district_admin", district=land["xiuzhou"])
    totp_device(user)
    return user


@pytest.fixture
def everyone(alice, charlie, ivy, lee, kim, fay, gus, hal):
    return {user.username: user for user in (alice, charlie, ivy, lee, kim, fay, gus, hal)}


def listed(html: str) -> set[int]:
    """The roles the admin's list links to (each row's first column links to the role's page)."""
    return {int(pk) for pk in re.findall(r'<a href="/admin/stations/membership/(\d+)/change/[^"]*">', html)}


def roles_of(*users) -> set[int]:
    return {user.membership.pk for user in users}


# What each administrator looks after: their own role included; a city's administrator never the province's.
REACH = {
    "fay": {"alice", "charlie", "lee", "kim", "fay"},
    "gus": {"alice", "charlie", "lee", "kim", "fay", "ivy", "hal", "gus"},
    "hal": {"ivy", "hal"},
    "kim": {"lee", "kim"},
}


@pytest.mark.parametrize("admin", sorted(REACH))
def test_an_administrator_lists_only_the_roles_within_their_region(admin, everyone, client):
    client.force_login(everyone[admin])
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response.text) == roles_of(*(everyone[name] for name in REACH[admin]))


def test_the_portal_wide_administrator_lists_every_role(everyone, dana, client):
    client.force_login(dana)
    assert roles_of(*everyone.values()) <= listed(client.get(CHANGELIST).text)


def test_the_station_filter_offers_only_the_stations_within_reach(everyone, land, client):
    client.force_login(everyone["hal"])
    html = client.get(CHANGELIST).text
    assert "西溪街道代表联络站" in html and "余新镇" not in html and "王店镇" not in html


# Another region's role, by URL: the pages that read it answer as for a role that does not exist (the admin's
# redirect to its index, as the scoped user and site pages do; the history 404, as simple_history does for a row
# that does not exist); a write to it is refused with 403 and changes nothing.
OUT_OF_REACH = [("fay", "ivy"), ("hal", "alice"), ("kim", "charlie"), ("fay", "gus")]


@pytest.mark.parametrize(("admin", "other"), OUT_OF_REACH)
def test_another_regions_role_is_not_reachable_by_url(admin, other, everyone, client):
    client.force_login(everyone[admin])
    membership = everyone[other].membership
    version = membership.history.earliest().history_id
    for name, args in (
        ("admin:stations_membership_change", [membership.pk]),
        ("admin:stations_membership_delete", [membership.pk]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and response["Location"] == reverse("admin:index"), name
    assert client.get(reverse("admin:stations_membership_history", args=[membership.pk])).status_code == 404
    history_version = reverse("admin:stations_membership_simple_history", args=[membership.pk, version])
    assert client.get(history_version).status_code == 404

    role = membership.role
    change = reverse("admin:stations_membership_change", args=[membership.pk])
    assert client.post(change, {"user": membership.user_id, "role": "deputy"}).status_code == 403
    delete = reverse("admin:stations_membership_delete", args=[membership.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    membership.refresh_from_db()
    assert membership.role == role


def test_a_write_to_a_role_that_does_not_exist_is_refused_alike(everyone, client):
    client.force_login(everyone["fay"])
    assert client.post(reverse("admin:stations_membership_delete", args=[999999]), {"post": "yes"}).status_code == 403


@pytest.mark.parametrize(("admin", "own"), [("fay", "lee"), ("hal", "ivy"), ("kim", "lee"), ("gus", "ivy")])
def test_an_administrator_opens_and_edits_a_role_within_reach(admin, own, everyone, client):
    client.force_login(everyone[admin])
    membership = everyone[own].membership
    change = reverse("admin:stations_membership_change", args=[membership.pk])
    assert client.get(change).status_code == 200
    assert client.get(reverse("admin:stations_membership_history", args=[membership.pk])).status_code == 200
    response = client.post(
        change, {"user": membership.user_id, "role": "station_head", "station": membership.station_id}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "station_head"


# A value its selects never offered (typed into a forged form): refused as a role out of reach is (403), nothing
# saved, the other region's row never named back.
def test_the_change_form_refuses_a_station_of_another_region(everyone, land, client):
    client.force_login(everyone["fay"])
    membership = everyone["lee"].membership
    change = reverse("admin:stations_membership_change", args=[membership.pk])
    response = client.post(change, {"user": membership.user_id, "role": "staff", "station": land["xixi"].pk})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.station == land["wangdian"]


def test_the_add_form_refuses_an_account_of_another_region(everyone, land, client):
    client.force_login(everyone["hal"])
    add = reverse("admin:stations_membership_add")
    response = client.post(add, {"user": everyone["alice"].pk, "role": "nonsense", "station": land["xixi"].pk})
    assert response.status_code == 403
    assert "alice" not in response.text


def test_the_inline_role_on_a_users_page_refuses_a_station_of_another_region_next_to_the_field(everyone, land, client):
    client.force_login(everyone["fay"])
    lee = everyone["lee"]
    data = {
        "username": "lee",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "08:00:00",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": lee.membership.pk,
        "membership-0-user": lee.pk,
        "membership-0-role": "staff",
        "membership-0-station": land["xixi"].pk,
    }
    response = client.post(reverse("admin:auth_user_change", args=[lee.pk]), data)
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert [error.code for error in inline.formset.forms[0].errors.as_data()["station"]] == ["invalid_choice"]
    assert "西溪街道代表联络站" not in response.text
    lee.membership.refresh_from_db()
    assert lee.membership.station == land["wangdian"]


def autocomplete(client, field: str, term: str = "") -> set[str]:
    query = {"app_label": "stations", "model_name": "membership", "field_name": field, "term": term}
    response = client.get(AUTOCOMPLETE, query)
    assert response.status_code == 200, field
    return {item["text"] for item in response.json()["results"]}


def test_the_selects_search_only_within_reach(everyone, land, client):
    client.force_login(everyone["fay"])
    assert autocomplete(client, "region") == {"嘉兴市"}  # its counties are no city: a role names a city or province
    stations = autocomplete(client, "station")
    assert "王店镇代表联络站" in stations and "西溪街道代表联络站" not in stations
    users = autocomplete(client, "user")
    assert {"alice", "lee"} <= users and not users & {"ivy", "hal", "gus"}
    assert autocomplete(client, "district") == {"南湖区", "秀洲区"}

    client.force_login(everyone["gus"])
    assert autocomplete(client, "region") == {"浙江省", "嘉兴市", "杭州市"}
    assert "西溪街道代表联络站" in autocomplete(client, "station")


def test_the_list_takes_a_fixed_number_of_queries(everyone, land, client, django_assert_max_num_queries):
    for n in range(30):
        make_user(f"staff{n}", role="staff", station=land["wangdian"], first_name=f"员{n}")
    client.force_login(everyone["fay"])
    # 15 whatever the rows: one of them reads the region's district ids (policy.admin_districts) once a request.
    with django_assert_max_num_queries(15):
        response = client.get(CHANGELIST)
    assert len(listed(response.text)) == 30 + len(REACH["fay"])


def test_the_history_of_another_regions_site_is_not_shown_either(everyone, land, client):
    xixi = land["xixi"]
    client.force_login(everyone["fay"])
    assert client.get(reverse("admin:stations_site_history", args=[xixi.pk])).status_code == 404
    version = reverse("admin:stations_site_simple_history", args=[xixi.pk, xixi.history.earliest().history_id])
    assert client.get(version).status_code == 404
    client.force_login(everyone["hal"])
    assert client.get(reverse("admin:stations_site_history", args=[xixi.pk])).status_code == 200
