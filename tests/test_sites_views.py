"""The public network pages: home, the site tree and search, site pages, the deputy list and profiles."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.models import Site, SiteKind
from stations.selectors.schedule import default_reception_day
from stations.views.sites import STATIONS_PER_PAGE
from tests.conftest import make_deputy
from tests.factories_network import build_deputies, build_network


def _figures(html: str) -> dict[str, int]:
    """The network figures as the page shows them: {label: number}."""
    return {label: int(number) for label, number in re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html)}


# --- home ----------------------------------------------------------------------------------------------


def test_home_counts_active_stations_rooms_points_and_online_sites(client, point, other_room):
    Site.objects.create(
        district=other_room.district,
        kind=SiteKind.ROOM,
        parent=other_room.parent,
        name="已撤销联络室",
        slug="closed",
        town="凤桥镇",
        is_active=False,
        is_online=True,
    )
    figures = _figures(client.get(reverse("stations:home")).text)
    # 2 stations (余新, 凤桥); rooms 金星 and 凤桥村 (the closed one is not counted); the 金星 point;
    # online: the 余新 station and the 金星 room.
    assert figures == {"代表联络站": 2, "代表联络室": 2, "代表联络点": 1, "网上代表联络站": 2}


def test_home_has_a_find_my_station_search_sending_to_the_site_list(client, db):
    html = client.get(reverse("stations:home")).text
    form = re.search(r'<form role="search" method="get" action="([^"]+)"', html)
    assert form and form.group(1) == reverse("stations:site_list")
    assert 'name="q"' in html
    assert "查找我的联络站" in html


def test_home_shows_the_next_reception_day(client, db):
    expected = default_reception_day(timezone.localdate())
    html = client.get(reverse("stations:home")).text
    assert f'<time datetime="{expected.isoformat()}">' in html
    assert f"{expected.year}年{expected.month}月20日" in html


def test_public_navigation_links_to_sites_and_deputies(client, db):
    html = client.get(reverse("stations:home")).text
    assert f'href="{reverse("stations:site_list")}">联络站点<' in html
    assert f'href="{reverse("stations:deputy_list")}">人大代表<' in html


# --- the site tree and search ---------------------------------------------------------------------------


def test_site_list_shows_the_tree_of_stations_rooms_and_points(client, point, other_room):
    html = client.get(reverse("stations:site_list")).text
    for site in (point.parent.parent, point.parent, point, other_room.parent, other_room):
        assert f'href="{site.get_absolute_url()}"' in html
    # The point sits inside its room's list item, which sits inside the station's.
    station_at = html.index(point.parent.parent.get_absolute_url())
    room_at = html.index(point.parent.get_absolute_url(), station_at)
    assert station_at < room_at < html.index(point.get_absolute_url(), room_at)
    served = re.search(r"服务范围：</span>([^<]+)<", html).group(1).strip()
    assert sorted(served.split("、")) == sorted(["金星村", "长秦村", "曹王村"])


def test_site_list_leaves_out_inactive_sites(client, room):
    room.is_active = False
    room.save()
    assert room.get_absolute_url() not in client.get(reverse("stations:site_list")).text


@pytest.mark.parametrize("query", ["长秦", "曹王村", "金星村代表联络室"])
def test_search_by_village_or_name_finds_the_room_that_serves_it(client, room, other_room, query):
    response = client.get(reverse("stations:site_list"), {"q": query})
    results = response.text.split('id="results-heading"')[1].split('id="tree-heading"')[0]
    assert room.get_absolute_url() in results
    assert other_room.get_absolute_url() not in results


def test_search_by_town_finds_the_station_and_everything_under_it(client, point, other_room):
    results = client.get(reverse("stations:site_list"), {"q": "余新"}).text.split('id="tree-heading"')[0]
    for site in (point.parent.parent, point.parent, point):
        assert site.get_absolute_url() in results
    assert other_room.get_absolute_url() not in results


def test_search_that_finds_nothing_says_so_and_suggests_browsing(client, room):
    response = client.get(reverse("stations:site_list"), {"q": "不存在村"})
    assert response.status_code == 200
    assert "没有找到为“不存在村”服务的联络站、联络室或联络点" in response.text
    assert "浏览下面的全部站点" in response.text
    # The tree is still there to browse.
    assert room.get_absolute_url() in response.text


def test_overlong_search_says_what_is_wrong(client, room):
    response = client.get(reverse("stations:site_list"), {"q": "金" * 51})
    assert "最多输入 50 个字。" in response.text
    assert 'id="results-heading"' not in response.text


def test_blank_search_just_shows_the_tree(client, room):
    response = client.get(reverse("stations:site_list"), {"q": "   "})
    assert 'id="results-heading"' not in response.text
    assert room.get_absolute_url() in response.text


# --- a site's page --------------------------------------------------------------------------------------


def test_site_page_shows_address_areas_parent_children_and_deputies(client, point, deputies):
    room = point.parent
    room.opening_notes = "每月20日上午开放"
    room.phone = "0573-83123456"
    room.save()
    html = client.get(room.get_absolute_url()).text
    assert "<h1" in html and "金星村代表联络室</h1>" in html
    assert "余新镇金星村村委会" in html
    assert "每月20日上午开放" in html
    assert 'href="tel:0573-83123456"' in html
    for village in ("金星村", "长秦村", "曹王村"):
        assert f"<li>{village}</li>" in html
    assert f'href="{room.parent.get_absolute_url()}"' in html
    assert f'href="{point.get_absolute_url()}"' in html
    for deputy in deputies:
        assert f'href="{deputy.get_absolute_url()}"' in html
    assert "镇人大代表" in html and "区人大代表" in html and "市人大代表" in html


def test_site_page_shows_the_next_reception_day_with_default_hours(client, room):
    expected = default_reception_day(timezone.localdate())
    html = client.get(room.get_absolute_url()).text
    schedule = html.split('class="site-schedule')[1]
    assert f'<time datetime="{expected.isoformat()}">' in schedule
    assert "09:00–11:30" in schedule


def test_site_page_shows_a_placeholder_for_a_deputy_without_photo(client, deputies):
    html = client.get(deputies[0].sites.get().get_absolute_url()).text
    assert "img/deputy-placeholder.svg" in html


def test_site_page_does_not_list_inactive_deputies(client, room, deputies):
    deputies[0].is_active = False
    deputies[0].save()
    html = client.get(room.get_absolute_url()).text
    assert deputies[0].get_absolute_url() not in html
    assert deputies[1].get_absolute_url() in html


@pytest.mark.parametrize("slug", ["no-such-site", "closed-room"])
def test_unknown_or_inactive_site_is_404(client, room, slug):
    Site.objects.create(
        district=room.district, kind="room", parent=room.parent, name="撤销", slug="closed-room", town="余新镇"
    )
    Site.objects.filter(slug="closed-room").update(is_active=False)
    assert client.get(reverse("stations:site_detail", kwargs={"slug": slug})).status_code == 404


# --- deputies -------------------------------------------------------------------------------------------


def test_deputy_list_filters_by_level(client, deputies):
    html = client.get(reverse("stations:deputy_list"), {"level": "city"}).text
    assert deputies[2].get_absolute_url() in html  # 李建国, city
    assert deputies[0].get_absolute_url() not in html


def test_deputy_list_filters_by_site_including_rooms_under_a_station(client, room, other_room, deputies, district):
    elsewhere = make_deputy(district, "周凤英", sites=[other_room], slug="zhou-fengying", gender="f")
    html = client.get(reverse("stations:deputy_list"), {"site": room.parent.slug}).text
    assert all(deputy.get_absolute_url() in html for deputy in deputies)
    assert elsewhere.get_absolute_url() not in html


def test_deputy_list_filters_by_sector(client, deputies, room, district):
    farmer = make_deputy(district, "沈农", sites=[room], slug="shen-nong", sector="agriculture")
    html = client.get(reverse("stations:deputy_list"), {"sector": "agriculture"}).text
    assert farmer.get_absolute_url() in html
    assert deputies[0].get_absolute_url() not in html


def test_deputy_list_is_paginated_and_keeps_filters_on_page_links(client, room, district):
    build_deputies(district, sites=[room], per_site=60)  # 45 in the general sector: two pages of 24
    first = client.get(reverse("stations:deputy_list"), {"sector": "general"}).text
    assert "第 1 页，共 2 页" in first
    assert "?sector=general&amp;page=2" in first
    second = client.get(reverse("stations:deputy_list"), {"sector": "general", "page": 2}).text
    assert "第 2 页，共 2 页" in second


def test_deputy_list_ignores_an_unknown_site_in_the_filter(client, deputies):
    response = client.get(reverse("stations:deputy_list"), {"site": "no-such-site"})
    assert response.status_code == 200
    assert deputies[0].get_absolute_url() in response.text


def test_deputy_profile_shows_levels_sites_bio_and_never_the_phone(client, room, district):
    deputy = make_deputy(
        district,
        "黄美勤",
        level="district",
        sites=[room],
        slug="huang-meiqin",
        gender="f",
        phone="13812345678",
        biography="长期关注农村道路建设。",
        occupation="村党总支书记",
    )
    deputy.mandates.create(level="town", term_start=dt.date(2021, 12, 1), electoral_district="余新镇第3选区")
    html = client.get(deputy.get_absolute_url()).text
    assert "黄美勤</h1>" in html
    assert html.index("区人大代表") < html.index("镇人大代表")
    assert "余新镇第3选区" in html
    assert "长期关注农村道路建设。" in html
    assert "村党总支书记" in html and "女" in html
    assert f'href="{room.get_absolute_url()}"' in html
    assert "13812345678" not in html and "1381234" not in html and "5678<" not in html
    assert 'class="deputy-duties' in html


def test_deputy_profile_shows_an_uploaded_photo(client, deputies):
    deputy = deputies[0]
    deputy.photo.name = "deputies/gu.jpg"
    deputy.save()
    html = client.get(deputy.get_absolute_url()).text
    assert 'src="/media/deputies/gu.jpg"' in html
    assert "deputy-placeholder.svg" not in html


def test_inactive_deputy_profile_is_404(client, deputies):
    deputies[0].is_active = False
    deputies[0].save()
    assert client.get(deputies[0].get_absolute_url()).status_code == 404


# --- query counts: the same bound for 10 and for 500 sites ---------------------------------------------

# The site pages include the published roster (schedule_tags): a fixed three queries more; and the station's
# activity themes of the year (issue 16): one more.
# site_list: the districts' figures, a page of stations, their rooms and points, the areas these serve (issue 15: a
# page of stations rather than the whole tree, so its count comes from the figures).
PAGE_QUERY_BOUNDS = {"home": 2, "site_list": 4, "search": 5, "station_detail": 10, "room_detail": 10}


def _urls(sites: list[Site]) -> dict[str, str]:
    station = next(site for site in sites if site.kind == SiteKind.STATION)
    room = next(site for site in sites if site.kind == SiteKind.ROOM)
    return {
        "home": reverse("stations:home"),
        "site_list": reverse("stations:site_list"),
        "search": reverse("stations:site_list") + "?q=村",
        "station_detail": station.get_absolute_url(),
        "room_detail": room.get_absolute_url(),
    }


@pytest.mark.parametrize("size", [10, 500])
@pytest.mark.parametrize("page", sorted(PAGE_QUERY_BOUNDS))
def test_site_pages_run_a_bounded_number_of_queries(client, district, django_assert_max_num_queries, size, page):
    sites = build_network(district, sites=size)
    url = _urls(sites)[page]
    with django_assert_max_num_queries(PAGE_QUERY_BOUNDS[page]):
        response = client.get(url)
    assert response.status_code == 200
    if page == "site_list":  # a page of stations at most, whatever the size of the network
        assert response.text.count('class="site-tree-station"') == min(size // 10, STATIONS_PER_PAGE)


@pytest.mark.parametrize("size", [10, 400])
@pytest.mark.parametrize("params", [{}, {"level": "district"}, {"site": "bulk-station-0"}, {"page": "2"}])
def test_deputy_pages_run_a_bounded_number_of_queries(client, district, django_assert_max_num_queries, size, params):
    sites = build_network(district, sites=10, deputies_per_site=size // 10)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("stations:deputy_list"), params)
    assert response.status_code == 200
    assert response.text.count('class="deputy-card"') > 0
    deputy = sites[0].deputies.first()
    with django_assert_max_num_queries(4):
        assert client.get(deputy.get_absolute_url()).status_code == 200


def test_the_deputy_list_finds_a_site_by_name_without_listing_every_site(client, station, room, point, district):
    # Issue 15: the site filter is typed (a name, a town, or the slug a link gives), not a select of every site.
    at_point = make_deputy(district, "企业代表", sites=[point], slug="at-point")
    at_station = make_deputy(district, "站上代表", sites=[station], slug="at-station")
    response = client.get(reverse("stations:deputy_list"))
    assert '<select name="site"' not in response.text
    assert re.search(r'<input type="text" name="site"[^>]*id="id_site"', response.text)
    by_station = client.get(reverse("stations:deputy_list"), {"site": "余新镇代表联络站"}).text
    assert at_point.get_absolute_url() in by_station and at_station.get_absolute_url() in by_station
    by_room = client.get(reverse("stations:deputy_list"), {"site": "金星村"}).text
    assert at_point.get_absolute_url() in by_room and at_station.get_absolute_url() not in by_room
    unknown = client.get(reverse("stations:deputy_list"), {"site": "不存在"}).text
    assert "没有名为“不存在”的联络站、联络室或联络点，显示全部代表。" in unknown


def _photo_imgs(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<img\b[^>]*>", html) if "/media/deputies/" in tag]


def test_pages_showing_a_deputy_photo_give_its_width_and_height(client, deputies, room):
    # The browser reserves the photo's box before it arrives, and never lays out an upload at its own size.
    for deputy in deputies:
        deputy.photo.name = f"deputies/{deputy.slug}.jpg"
        deputy.save()
    pages = [deputies[0].get_absolute_url(), room.get_absolute_url(), reverse("stations:deputy_list")]
    for page in pages:
        imgs = _photo_imgs(client.get(page).text)
        assert imgs, page
        for tag in imgs:
            assert re.search(r'\bwidth="\d+"', tag) and re.search(r'\bheight="\d+"', tag), (page, tag)


# --- the roster year a site's page shows -------------------------------------------------------------------


def test_site_page_shows_the_year_asked_for_and_links_next_years_published_roster(client, room, deputies):
    from tests.factories_rosters import at, make_shift

    soon = timezone.now() + dt.timedelta(hours=1)
    this_year = timezone.localtime(soon).year
    make_shift(room, soon, deputies=deputies[:1], published=True)
    make_shift(room, at(this_year + 1, 1, 20), deputies=deputies[1:2], published=True)
    make_shift(room, at(this_year + 1, 2, 20), deputies=deputies[1:2])  # a draft next year: counts for nothing
    page = client.get(room.get_absolute_url())
    table = re.search(r'<table class="table table-sm align-middle roster-table".*?</table>', page.text, re.S).group(0)
    assert deputies[0].name in table and deputies[1].name not in table
    assert f'href="{room.get_absolute_url()}?year={this_year + 1}#site-roster-{room.pk}"' in page.text

    page = client.get(room.get_absolute_url(), {"year": this_year + 1})
    table = re.search(r'<table class="table table-sm align-middle roster-table".*?</table>', page.text, re.S).group(0)
    assert deputies[1].name in table and deputies[0].name not in table
    assert f"{this_year + 1}年值班表" in page.text
    # A year without a published roster (or nonsense) falls back to the current one.
    for year in (this_year + 2, "x"):
        assert client.get(room.get_absolute_url(), {"year": year}).status_code == 200


def test_in_december_a_published_roster_for_next_year_is_what_the_site_page_shows(client, room, deputies):
    from tests.factories_rosters import at, make_shift

    this_year = timezone.localdate().year
    # This year's last reception is over; next year's roster is out.
    make_shift(room, timezone.now() - dt.timedelta(days=1), deputies=deputies[:1], published=True)
    make_shift(room, at(this_year + 1, 1, 20), deputies=deputies[1:2], published=True)
    page = client.get(room.get_absolute_url())
    table = re.search(r'<table class="table table-sm align-middle roster-table".*?</table>', page.text, re.S).group(0)
    assert deputies[1].name in table
    assert f"?year={this_year}#" in page.text  # the year just ended stays one click away


def test_a_room_that_takes_opinions_online_links_to_the_form_with_the_room_chosen(client, room, other_room):
    link = f'href="{reverse("stations:opinion_create")}?site={room.slug}"'
    assert link in client.get(room.get_absolute_url()).text
    assert "在此提出意见建议" not in client.get(other_room.get_absolute_url()).text  # 凤桥 takes no opinions online
    form = client.get(reverse("stations:opinion_create"), {"site": room.slug}).context["form"]
    assert form.initial["site"] == room
    assert list(form.fields).index("consent") < list(form.fields).index("submitter_name")


# --- a network larger than a page (issue 15) --------------------------------------------------------------


def test_a_portal_of_several_districts_lists_them_with_counts_and_each_one_its_own_stations(client, point, other_room):
    from stations.models import District

    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    far = Site.objects.create(
        district=other, kind=SiteKind.STATION, name="王江泾镇代表联络站", slug="wjj", town="王江泾镇"
    )
    top = client.get(reverse("stations:site_list")).text
    districts = top.split('id="districts-heading"')[1]
    assert "南湖区" in districts and "秀洲区" in districts
    assert "联络站 2 个 · 联络室 2 个 · 联络点 1 个" in districts  # 南湖区: two stations, two rooms, one point
    assert far.get_absolute_url() not in top and point.get_absolute_url() not in top

    nanhu = client.get(reverse("stations:site_list"), {"district": "nanhu"}).text
    assert point.get_absolute_url() in nanhu and other_room.get_absolute_url() in nanhu
    assert far.get_absolute_url() not in nanhu
    assert client.get(reverse("stations:site_list"), {"district": "xiuzhou"}).text.count("site-tree-station") == 1
    # A search within a district stays in it.
    found = client.get(reverse("stations:site_list"), {"district": "xiuzhou", "q": "镇"}).text
    assert far.get_absolute_url() in found and point.parent.parent.get_absolute_url() not in found
    assert client.get(reverse("stations:site_list"), {"district": "nowhere"}).status_code == 404


def test_a_districts_stations_come_a_page_at_a_time_with_links_between_pages(client, district):
    build_network(district, sites=450, deputies_per_site=0)  # 45 stations
    first = client.get(reverse("stations:site_list")).text
    assert first.count('class="site-tree-station"') == STATIONS_PER_PAGE
    assert "第 1 页，共 3 页" in first
    assert 'href="?page=2"' in first
    last = client.get(reverse("stations:site_list"), {"page": "3"}).text
    assert last.count('class="site-tree-station"') == 45 - 2 * STATIONS_PER_PAGE
    # Every station is on exactly one page.
    pages = [client.get(reverse("stations:site_list"), {"page": n}).text for n in (1, 2, 3)]
    for station in Site.objects.filter(kind=SiteKind.STATION):
        assert sum(station.get_absolute_url() + '"' in page for page in pages) == 1
