"""Towns and streets as regions (issue 15): the services keep a town region under the district's county for
every town its sites name; the county's page lists its towns with their counts, a town's page its sites, its
schedule and its figures.

conftest's 南湖区 has 余新镇 (station, room, point) and 凤桥镇 (station); `county` attaches it to
浙江省 → 嘉兴市 → 南湖区.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from stations.audit import Actor
from stations.models import AuditEntry, District, Region, Site, SiteKind
from stations.selectors.stats import Period, Scope, headline
from stations.services.network import site_upsert
from stations.services.regions import district_towns_ensure
from tests.conftest import region_station
from tests.factories_stats import page_tables

SYSTEM = Actor.system()


def region_url(region: Region) -> str:
    return reverse("stations:region_detail", kwargs={"key": region.key})


def chain(name: str = "南湖区", code: str = "330402000000") -> Region:
    province = Region.objects.get_or_create(name="浙江省", code="330000000000", level="province")[0]
    city = Region.objects.get_or_create(name="嘉兴市", code="330400000000", level="city", parent=province)[0]
    return Region.objects.create(name=name, code=code, level="county", parent=city)


@pytest.fixture
def county(district):
    region = chain()
    District.objects.filter(pk=district.pk).update(region=region)
    district.region = region
    return region


def towns_of(county: Region) -> list[str]:
    return sorted(Region.objects.filter(parent=county, level="town").values_list("name", flat=True))


# --- the services keep the towns in step --------------------------------------------------------------------------


def test_a_station_created_through_the_service_gets_its_town_under_the_county_once(county, district):
    station, _ = site_upsert(
        district=district, parent=None, name="新丰镇代表联络站", kind=SiteKind.STATION, town="新丰镇", actor=SYSTEM
    )
    town = Region.objects.get(parent=county, name="新丰镇")
    assert town.level == "town"
    entry = AuditEntry.objects.get(action="region.created")
    assert (entry.object_id, entry.summary) == (str(town.pk), "南湖区 新丰镇")
    # A room in the same town and the station written again: no second region, no second entry.
    site_upsert(
        district=district, parent=station, name="新丰村代表联络室", kind=SiteKind.ROOM, town="新丰镇", actor=SYSTEM
    )
    site_upsert(
        district=district, parent=None, name="新丰镇代表联络站", kind=SiteKind.STATION, town="新丰镇", actor=SYSTEM
    )
    assert towns_of(county) == ["新丰镇"]
    assert AuditEntry.objects.filter(action="region.created").count() == 1


def test_a_town_renamed_through_the_service_gets_its_region_and_the_old_one_stays(county, district, station):
    district_towns_ensure(district=district, actor=SYSTEM)
    assert towns_of(county) == ["余新镇"]
    site_upsert(district=district, parent=None, name=station.name, kind=SiteKind.STATION, town="余新街道", actor=SYSTEM)
    # Regions are administrative data: the old town stays (with nothing under it) until an administrator
    # deletes it; the new one exists at once.
    assert towns_of(county) == ["余新街道", "余新镇"]
    rows = {row[0]: row[1:] for row in page_tables(client_get(region_url(county)))["region-children"][1:]}
    assert rows == {"余新街道": ["1", "0", "0"], "余新镇": ["0", "0", "0"]}


def client_get(path: str) -> str:
    from django.test import Client

    response = Client().get(path)
    assert response.status_code == 200, path
    return response.text


def test_a_district_without_a_county_gets_no_town_and_its_site_is_written(district):
    site, _ = site_upsert(
        district=district, parent=None, name="新丰镇代表联络站", kind=SiteKind.STATION, town="新丰镇", actor=SYSTEM
    )
    assert site.pk is not None
    assert not Region.objects.exists()
    assert not AuditEntry.objects.filter(action="region.created").exists()


def test_a_station_moved_to_another_district_in_the_admin_gets_its_town_there(admin_client, county, district):
    from tests.test_sites_admin import _form_data

    xiuzhou_county = chain("秀洲区", "330411000000")
    xiuzhou = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ", region=xiuzhou_county)
    station = region_station(district, "wangdian", "王店镇代表联络站")
    url = reverse("admin:stations_site_change", args=[station.pk])
    assert admin_client.post(url, _form_data(admin_client.get(url), district=xiuzhou.pk)).status_code == 302
    assert towns_of(xiuzhou_county) == ["王店镇"]
    assert AuditEntry.objects.filter(action="region.created", object_id=str(Region.objects.get(name="王店镇").pk))


def test_a_room_added_in_the_admin_in_a_new_town_gets_its_region(admin_client, county, district, station):
    from tests.test_sites_admin import _form_data

    url = reverse("admin:stations_site_change", args=[station.pk])
    data = _form_data(
        admin_client.get(url),
        **{
            "children-TOTAL_FORMS": "1",
            "children-0-kind": "room",
            "children-0-name": "湘家荡代表联络室",
            "children-0-slug": "xiangjiadang",
            "children-0-town": "七星街道",
            "children-0-sector": "general",
            "children-0-is_active": "on",
        },
    )
    assert admin_client.post(url, data).status_code == 302
    assert towns_of(county) == ["七星街道", "余新镇"]


def test_a_district_attached_to_its_county_in_the_admin_gets_its_towns(admin_client, district, room, other_station):
    from tests.test_sites_admin import _form_data

    county = chain()
    url = reverse("admin:stations_district_change", args=[district.pk])
    assert admin_client.post(url, _form_data(admin_client.get(url), region=county.pk)).status_code == 302
    assert towns_of(county) == ["余新镇", "凤桥镇"]


def test_the_data_migration_creates_the_towns_of_existing_sites_once(county, district, room, other_station):
    migration = importlib.import_module("stations.migrations.0026_town_regions_for_sites")
    loose = District.objects.create(name="外区", slug="outside", code="WQ")  # no region: nothing to hang towns on
    region_station(loose, "outside-s", "外镇代表联络站")
    Region.objects.create(name="凤桥镇", level="town", parent=county, code="330402101000")  # recorded already

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.create_towns(apps, editor)
    migration.create_towns(apps, editor)
    assert towns_of(county) == ["余新镇", "凤桥镇"]
    assert Region.objects.get(name="凤桥镇").code == "330402101000"
    assert Region.objects.filter(level="town").count() == 2


# --- the county's page lists its towns; a town's page its sites ---------------------------------------------------


def test_the_county_page_lists_its_towns_with_counts_in_bounded_queries(
    client, county, district, django_assert_max_num_queries
):
    from tests.factories_network import build_network

    build_network(district, sites=400, deputies_per_site=0)  # 40 stations in 40 towns
    district_towns_ensure(district=district, actor=SYSTEM)
    with django_assert_max_num_queries(6):
        response = client.get(region_url(county))
    rows = page_tables(response.text)["region-children"]
    assert rows[0] == ["行政区划", "联络站点", "联络室", "联络点"]  # no column of districts under a county
    assert len(rows) == 1 + 40
    expected = {
        town: [
            str(Site.objects.filter(district=district, town=town, kind=kind).count())
            for kind in (SiteKind.STATION, SiteKind.ROOM, SiteKind.POINT)
        ]
        for town in ("第0镇", "第17镇", "第39镇")
    }
    by_town = {row[0]: row[1:] for row in rows[1:]}
    assert {town: by_town[town] for town in expected} == expected
    assert sum(int(row[2]) for row in rows[1:]) == Site.objects.filter(kind=SiteKind.ROOM).count()
    town = Region.objects.get(parent=county, name="第17镇")
    assert f'href="{region_url(town)}"' in response.text


def test_the_town_page_lists_its_sites_a_page_at_a_time_with_its_schedule_and_figures(
    client, county, district, station, room, point, other_station, django_assert_max_num_queries
):
    Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.ROOM,
            parent=station,
            name=f"第{n:02d}村代表联络室",
            slug=f"v{n}",
            town="余新镇",
        )
        for n in range(30)
    )
    district_towns_ensure(district=district, actor=SYSTEM)
    town = Region.objects.get(parent=county, name="余新镇")
    with django_assert_max_num_queries(5):
        first = client.get(region_url(town))
    text = first.text
    assert "共 33 个站点" in text
    assert text.count('class="card card-body mb-2"') == 25
    # The station first, then its rooms by name, in the network's order; 凤桥镇's station is not in this town.
    cards = text.split('class="card card-body mb-2"')[1:]
    assert "余新镇代表联络站" in cards[0] and "第00村代表联络室" in cards[1]
    assert "凤桥镇代表联络站" not in text
    assert f'href="{reverse("stations:schedule")}?town=yuxin"' in text
    assert f'href="{reverse("stations:public_stats")}?region={town.key}"' in text
    for above in ("浙江省", "嘉兴市", "南湖区"):
        assert f'href="{region_url(Region.objects.get(name=above))}"' in text
    second = client.get(region_url(town), {"page": 2})
    assert second.text.count('class="card card-body mb-2"') == 33 - 25
    assert "金星村代表联络室" in second.text and "金星村企业代表联络点" in second.text


def test_a_town_schedule_link_opens_the_town_schedule(client, county, district, station):
    district_towns_ensure(district=district, actor=SYSTEM)
    response = client.get(reverse("stations:schedule"), {"town": station.slug})
    assert response.status_code == 200 and response.context["station"] == station


# --- a town's figures are its stations' --------------------------------------------------------------------------


def test_a_towns_figures_equal_the_live_figures_of_its_stations(client, land, district, station, other_station):
    district.refresh_from_db()  # `land` attached it to 南湖区
    district_towns_ensure(district=district, actor=SYSTEM)
    year = Period.year(2025)
    yuxin = Region.objects.get(parent=land["nanhu"], name="余新镇")
    assert headline(scope=Scope.for_region(yuxin), period=year) == headline(
        scope=Scope.for_station(station), period=year
    )
    assert headline(scope=Scope.for_region(yuxin), period=year).voters == 3
    # Two stations in one town: the town's figures are both stations' together.
    Site.objects.filter(pk=other_station.pk).update(town="余新镇")
    both = headline(scope=Scope.for_region(yuxin), period=year)
    assert (both.voters, both.opinions) == (3 + 4, 1)
    response = client.get(reverse("stations:public_stats"), {"region": yuxin.key, "year": 2025})
    assert response.status_code == 200
    assert "余新镇" in response.text
    stations = page_tables(response.text)["table-stations"]
    assert {row[0] for row in stations[1:]} >= {"余新镇代表联络站", "凤桥镇代表联络站"}


def test_the_admin_lists_the_towns_among_the_regions(admin_client, county, district, station):
    district_towns_ensure(district=district, actor=SYSTEM)
    response = admin_client.get(reverse("admin:stations_region_changelist"), {"level": "town"})
    assert response.status_code == 200
    assert "余新镇" in response.text and "嘉兴市" not in response.text.split("result_list")[-1]


def test_the_demo_county_lists_its_fifteen_towns_and_streets(client, db, monkeypatch):
    import io

    from django.core.management import call_command

    from stations import demo

    monkeypatch.setattr(demo, "ACTIVITY_MODULE", "stations.demo.no_such_module")  # the network alone
    call_command("load_demo", stdout=io.StringIO())
    rows = page_tables(client.get(reverse("stations:region_detail", kwargs={"key": "330402000000"})).text)[
        "region-children"
    ][1:]
    assert len(rows) == 15
    totals = [sum(int(row[column]) for row in rows) for column in (1, 2, 3)]
    assert totals == [15, 63, 10]  # every station, room and point of Nanhu lies in one of them
    assert rows[[row[0] for row in rows].index("余新镇")][:2] == ["余新镇", "1"]


# --- a site's town in its breadcrumbs; a town renamed takes its sites along -----------------------------------------


def test_a_site_page_names_its_town_between_the_county_and_the_station(client, county, district, room):
    district_towns_ensure(district=district, actor=SYSTEM)
    town = Region.objects.get(parent=county, name="余新镇")
    crumbs = client.get(reverse("stations:site_detail", args=[room.slug])).text.split('class="breadcrumb', 1)[1]
    crumbs = crumbs.split("</ol>", 1)[0]
    assert (
        crumbs.index("南湖区") < crumbs.index(f'href="{region_url(town)}">余新镇</a>') < crumbs.index(room.parent.name)
    )


def test_a_town_renamed_in_the_admin_renames_its_sites_and_villages_with_their_history(
    admin_client, county, district, station, room
):
    from stations.models import Area
    from stations.services.network import area_upsert
    from tests.test_sites_admin import _form_data

    district_towns_ensure(district=district, actor=SYSTEM)
    area_upsert(district=district, town="余新镇", name="金星村", kind="village", actor=SYSTEM)
    town = Region.objects.get(parent=county, name="余新镇")
    url = reverse("admin:stations_region_change", args=[town.pk])
    assert admin_client.post(url, _form_data(admin_client.get(url), name="余新街道")).status_code == 302
    renamed = Site.objects.filter(pk__in=[station.pk, room.pk])
    assert set(renamed.values_list("town", flat=True)) == {"余新街道"}
    assert not Site.objects.filter(district=district, town="余新镇").exists()
    assert Area.objects.get(name="金星村").town == "余新街道"
    assert station.history.latest().town == "余新街道"
    entry = AuditEntry.objects.filter(action="site.updated", object_id=str(room.pk)).latest("at")
    assert entry.changes["town"] == {"from": "余新镇", "to": "余新街道"}
    assert towns_of(county) == ["余新街道"]  # the region renamed, not a second one made
    # The sites still belong to their town: its page lists them.
    assert room.name in admin_client.get(region_url(town)).text


def test_a_town_rename_that_would_merge_two_villages_is_refused_beside_the_name(
    admin_client, county, district, station
):
    from stations.models import Area
    from stations.services.network import area_upsert
    from tests.test_sites_admin import _form_data

    district_towns_ensure(district=district, actor=SYSTEM)
    area_upsert(district=district, town="余新镇", name="金星村", kind="village", actor=SYSTEM)
    area_upsert(district=district, town="凤桥镇", name="金星村", kind="village", actor=SYSTEM)
    town = Region.objects.get(parent=county, name="余新镇")
    url = reverse("admin:stations_region_change", args=[town.pk])
    response = admin_client.post(url, _form_data(admin_client.get(url), name="凤桥镇二"))
    assert response.status_code == 302  # no village named the same in 凤桥镇二: fine
    town.refresh_from_db()
    response = admin_client.post(url, _form_data(admin_client.get(url), name="凤桥镇"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "两个镇（街道）都有名为金星村的村（社区），请先更名或合并。"
    ]
    assert Region.objects.get(pk=town.pk).name == "凤桥镇二"
    assert set(Area.objects.filter(name="金星村").values_list("town", flat=True)) == {"凤桥镇二", "凤桥镇"}
