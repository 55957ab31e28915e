"""The admin's change lists at a province's size (stations/admin/lists.py, admin_site.BoundedChangeList): a bounded
count that says "more than", periods instead of a date hierarchy, and figures within the administrator's reach."""

import datetime as dt

import pytest
from django.urls import reverse

from stations import paging
from stations.clock import local_moment, local_today
from stations.models import District, Membership
from tests.conftest import make_deputy, make_user, totp_device
from tests.factories_visits import bulk_visits, make_visit

VISITS = reverse("admin:stations_visit_changelist")


@pytest.fixture
def admin_client(client, dana):
    client.force_login(dana)
    return client


def test_a_list_longer_than_the_count_says_more_than_and_pages_on(
    admin_client, room, alice, monkeypatch, django_assert_max_num_queries
):
    from django.contrib import admin

    from stations.models import Visit

    monkeypatch.setattr(paging, "MAX_COUNT", 30)
    monkeypatch.setattr(admin.site._registry[Visit], "list_per_page", 10)
    monkeypatch.setattr(admin.site._registry[Visit], "list_max_show_all", 20)
    bulk_visits(room, alice, 45)
    with django_assert_max_num_queries(14):
        response = admin_client.get(VISITS)
    assert response.status_code == 200
    assert "超过30条接待记录，请用筛选条件或搜索缩小范围。" in response.text
    assert len(response.context["cl"].result_list) == 10
    assert len(admin_client.get(VISITS, {"p": 3}).context["cl"].result_list) == 10  # the last page counted
    few = admin_client.get(VISITS, {"q": "第4"})  # 第4号, 第40号 … 第44号
    assert few.context["cl"].result_count == 6 and "超过" not in few.text, few.context["cl"].result_count


def test_every_admin_list_pages_and_shows_all_within_what_it_counts():
    """A count bounded below a page (or below "show all") would let the change list show every row at once."""
    from django.contrib import admin

    for model_admin in admin.site._registry.values():
        assert model_admin.list_per_page < paging.MAX_COUNT, model_admin
        assert model_admin.list_max_show_all < paging.MAX_COUNT, model_admin


def test_the_period_filter_keeps_the_visits_of_that_local_month_or_year(admin_client, room, alice):
    today = local_today()
    this_month = dt.date(today.year, today.month, 1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    # One visit in the last minute of the previous local month, one in the first of this one.
    make_visit(room, alice, occurred_at=local_moment(this_month, dt.time()) - dt.timedelta(minutes=1))
    make_visit(room, alice, occurred_at=local_moment(this_month, dt.time()))
    parameter = "occurred_at_period"

    def shown(value: str) -> list:
        response = admin_client.get(VISITS, {parameter: value})
        assert response.status_code == 200
        return [visit.occurred_at for visit in response.context["cl"].result_list]

    assert shown(f"{this_month:%Y-%m}") == [local_moment(this_month, dt.time())]
    assert shown(f"{last_month:%Y-%m}") == [local_moment(this_month, dt.time()) - dt.timedelta(minutes=1)]
    assert len(shown(f"{last_month:%Y}")) == (2 if last_month.year == this_month.year else 1)
    page = admin_client.get(VISITS).text
    assert f"?{parameter}={this_month:%Y-%m}" in page and f"{this_month.year}年全年" in page
    for nonsense in ("2026-13", "abc", "99999", "0000-01", "9999-12"):
        assert len(shown(nonsense)) == 2  # not a filter: the whole list, never an error


def test_the_deputy_list_counts_only_the_unassigned_deputies_in_the_administrators_reach(client, district):
    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    make_deputy(other, "孙无站", slug="sun-wuzhan")  # another district's, not assigned anywhere
    admin = make_user("erik", role=None, is_staff=True)
    Membership.objects.create(user=admin, role="district_admin", district=district)
    totp_device(admin)
    client.force_login(admin)
    page = client.get(reverse("admin:stations_deputy_changelist")).text
    assert "名在任代表尚未进站" not in page
    make_deputy(district, "钱无站", slug="qian-wuzhan")
    page = client.get(reverse("admin:stations_deputy_changelist")).text
    assert "1 名在任代表尚未进站" in page


def test_the_roster_list_counts_each_rosters_receptions(admin_client, station, room, deputies):
    from stations.audit import Actor
    from stations.models import Roster
    from stations.services.rosters import roster_generate_station

    roster_generate_station(station=station, year=2027, actor=Actor.system())
    response = admin_client.get(reverse("admin:stations_roster_changelist"), {"year": 2027})
    counts = {roster.site_id: roster.number_of_shifts for roster in response.context["cl"].result_list}
    expected = {roster.site_id: roster.shifts.count() for roster in Roster.objects.filter(year=2027)}
    assert counts == expected and all(count == 12 for count in counts.values())


def test_no_admin_list_offers_to_count_every_filter_option(admin_client, room, alice):
    bulk_visits(room, alice, 3)
    page = admin_client.get(VISITS).text
    assert "_facets" not in page
    assert admin_client.get(VISITS, {"_facets": "True"}).status_code == 200


def test_a_province_administrator_is_told_of_unassigned_deputies_one_district_at_a_time(client, district):
    """Counting a province's unassigned deputies scanned 150,000 deputies on every page of the list: the warning
    counts the district the list is filtered to (an administrator of several districts) or their only one."""
    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    make_deputy(other, "孙无站", slug="sun-wuzhan")
    admin = make_user("root", role=None, is_staff=True, is_superuser=True)
    totp_device(admin)
    client.force_login(admin)
    url = reverse("admin:stations_deputy_changelist")
    assert "名在任代表尚未进站" not in client.get(url).text
    page = client.get(url, {"district__id__exact": other.pk}).text
    assert "1 名在任代表尚未进站" in page and f"?assignment=unassigned&amp;district__id__exact={other.pk}" in page
    assert "名在任代表尚未进站" not in client.get(url, {"district__id__exact": district.pk}).text
