"""The API's ETags come from the pages' generation tokens (stations/caching.py FEEDS): a 304 reads no row, and a
change renews exactly the feeds that show it. 余新镇 (南湖区) with its 金星 room and three deputies on duty;
王店镇 in 秀洲区, another district.

These tests commit (transactional_db), as production does: tokens are renewed when a change commits."""

from __future__ import annotations

import datetime as dt
import time

import django.test
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations.audit import Actor
from stations.models import Attendance, District, Duty, Roster, Site, SiteKind
from stations.services import network, rosters
from tests.factories_rosters import make_shift, running_now

pytestmark = pytest.mark.usefixtures("transactional_db")

SYSTEM = Actor.system()


@pytest.fixture
def wangdian(db):
    xiuzhou = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    return Site.objects.create(
        district=xiuzhou, kind=SiteKind.STATION, name="王店镇代表联络站", slug="wangdian", town="王店镇"
    )


@pytest.fixture
def running(room, deputies):
    start, end = running_now()
    return make_shift(room, start, end, deputies=deputies, published=True)


def api(name: str, query: str = "", **kwargs: str) -> str:
    path = reverse(f"api:{name}", kwargs=kwargs or None)
    return f"{path}?{query}" if query else path


def etag(path: str) -> str:
    response = django.test.Client().get(path)
    assert response.status_code == 200, path
    return response["ETag"]


def feeds(station, room) -> dict[str, str]:
    return {
        "shifts of the room": api("shift_list", f"site={room.slug}"),
        "shifts of the station": api("shift_list", f"station={station.slug}"),
        "shifts": api("shift_list"),
        "sites of the station": api("site_list", f"station={station.slug}"),
        "the room": api("site_detail", site_id=room.slug),
        "sites": api("site_list"),
        "figures": api("figures"),
    }


def etags(paths: dict[str, str]) -> dict[str, str]:
    return {name: etag(path) for name, path in paths.items()}


def changed(before: dict[str, str], paths: dict[str, str]) -> set[str]:
    after = etags(paths)
    return {name for name in paths if after[name] != before[name]}


def test_a_304_is_answered_from_the_tokens_without_reading_a_row(station, room, running):
    path = api("shift_list", f"site={room.slug}")
    client = django.test.Client()
    first = client.get(path)
    assert first.status_code == 200 and first.json()["results"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(path, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert "max-age=60" in again["Cache-Control"] and "Cookie" in again["Vary"]
    assert len(queries) <= 1 and all("portal_cache" in q["sql"] for q in queries), [q["sql"] for q in queries]
    # The same tokens give the same ETag to any client, and the answer's own validators match the 304's.
    assert etag(path) == first["ETag"]


def test_if_modified_since_answers_304_until_the_feed_changes(station, room, running):
    path = api("site_detail", site_id=room.slug)
    client = django.test.Client()
    client.get(path)
    time.sleep(1.1)  # Last-Modified is given once the newest token is a whole second old
    dated = client.get(path)
    since = dated["Last-Modified"]
    assert client.get(path, headers={"if-modified-since": since}).status_code == 304
    time.sleep(1.1)
    move_site(room, parent=station, address="新址")
    assert client.get(path, headers={"if-modified-since": since}).status_code == 200


def move_site(site, *, parent, address):
    """A site given a new address through the network service, everything else kept."""
    network.site_upsert(
        district=site.district,
        parent=parent,
        name=site.name,
        kind=site.kind,
        town=site.town,
        address=address,
        actor=SYSTEM,
    )


def test_publishing_a_roster_changes_the_feeds_of_its_site_and_not_another_districts(station, room, deputies, wangdian):
    roster = Roster.objects.create(site=room, year=timezone.localdate().year)
    make_shift(room, timezone.now() + dt.timedelta(days=3), deputies=deputies[:1])
    elsewhere = {
        "shifts of 王店镇": api("shift_list", "station=wangdian"),
        "王店镇": api("site_detail", site_id="wangdian"),
    }
    paths = feeds(station, room) | elsewhere
    before = etags(paths)

    rosters.roster_publish(roster=roster, actor=SYSTEM)

    # The room's record and the station's list of sites show no receptions: they stay current.
    assert changed(before, paths) == {"shifts of the room", "shifts of the station", "shifts"}
    assert deputies[0].name in django.test.Client().get(paths["shifts of the room"]).text


def test_an_attendance_mark_changes_the_room_s_feeds_and_the_figures(station, room, running, deputies, wangdian):
    paths = feeds(station, room) | {"shifts of 王店镇": api("shift_list", "station=wangdian")}
    before = etags(paths)

    duty = Duty.objects.get(shift=running, deputy=deputies[1])
    rosters.duty_mark_attendance(duty=duty, attendance=Attendance.ABSENT, absence_reason="illness", actor=SYSTEM)

    assert changed(before, paths) == {
        "shifts of the room",
        "shifts of the station",
        "shifts",
        "figures",
    }


def test_a_site_edit_changes_the_network_feeds_and_another_districts_edit_leaves_this_ones(
    station, room, running, wangdian
):
    paths = feeds(station, room)
    before = etags(paths)
    move_site(room, parent=station, address="金星村新址")
    assert changed(before, paths) == set(paths)  # the room's name and place show in every one of them
    assert "金星村新址" in django.test.Client().get(paths["the room"]).text

    before = etags(paths)
    move_site(wangdian, parent=None, address="王店镇新址")
    # The province-wide lists and figures show every district; this station's and room's feeds stay current.
    assert changed(before, paths) == {"sites", "figures", "shifts"}


def test_a_deputy_edit_changes_the_persons_feeds(station, room, running, deputies):
    person = api("person_detail", person_id=deputies[0].slug)
    other = api("person_detail", person_id=deputies[1].slug)
    paths = {
        "person": person,
        "other": other,
        "persons": api("person_list"),
        "shifts of the room": api("shift_list", f"site={room.slug}"),
    }
    before = etags(paths)
    network.deputy_upsert(
        district=deputies[0].district, name="顾海明新", gender=deputies[0].gender, slug=deputies[0].slug, actor=SYSTEM
    )
    assert changed(before, paths) == {"person", "persons", "shifts of the room"}
    assert "顾海明新" in django.test.Client().get(person).text


def test_every_feed_with_scopes_is_an_api_url():
    from stations import caching
    from tests.test_permissions import url_routes

    api_names = {name for name in url_routes() if name.startswith("api:")}
    assert set(caching.FEEDS) <= api_names
    assert {"api:shift_list", "api:site_list", "api:figures"} <= set(caching.FEEDS)


def test_a_deputys_feed_shows_a_renamed_colleague_on_duty_beside_them(station, room, running, deputies):
    """/shifts?deputy=D names the deputies on duty with D: their edits renew it too."""
    path = api("shift_list", f"deputy={deputies[0].slug}")
    before = etag(path)
    network.deputy_upsert(
        district=deputies[1].district, name="黄美勤新", gender=deputies[1].gender, slug=deputies[1].slug, actor=SYSTEM
    )
    assert etag(path) != before
    assert "黄美勤新" in django.test.Client().get(path).text
