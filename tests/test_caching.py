"""Public pages and feeds from the cache (stations/caching.py): what a change shows up on is rendered again at
once, everything else stays cached; ETag / Last-Modified answer 304; nobody gets another visitor's page.

These tests commit (transactional_db), as production does: a page is cached only outside a transaction, and
the services renew the pages they change once their transaction commits. A hit runs at most two queries (the
scopes' tokens and the page, both from the database cache); a miss renders the page (many more).
"""

from __future__ import annotations

import datetime as dt
import re
import time

import django.test
import pytest
from django.urls import reverse
from django.utils import timezone

from stations import caching
from stations.audit import Actor
from stations.models import Attendance, Duty, Roster, Site
from stations.services import network, opinions, rosters, visits
from tests.conftest import make_deputy, make_user
from tests.factories_rosters import make_shift, running_now
from tests.test_permissions import url_routes

pytestmark = pytest.mark.usefixtures("transactional_db")

SYSTEM = Actor.system()


class World:
    """余新镇 with its 金星 room (three deputies on a published roster: a reception running now and one in ten
    days), and 凤桥镇 with a room of its own and a deputy, on a roster of its own."""

    def __init__(self, room, other_room, deputies, district):
        now = timezone.now()
        self.room, self.other_room, self.deputies, self.district = room, other_room, deputies, district
        self.other_deputy = make_deputy(district, "钱卫东", sites=[other_room], slug="qian-weidong")
        self.running = make_shift(room, *running_now(), deputies=deputies[:2], published=True)
        self.coming = make_shift(room, now + dt.timedelta(days=10), deputies=[deputies[2]], published=True)
        self.other_shift = make_shift(other_room, now + dt.timedelta(days=10), deputies=[self.other_deputy])


@pytest.fixture
def world(room, other_room, deputies, district):
    return World(room, other_room, deputies, district)


def visitor(**cookies) -> django.test.Client:
    client = django.test.Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def site_page(site: Site) -> str:
    return reverse("stations:site_detail", args=[site.slug])


def load(client, path: str, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code in (200, 304), f"{path}: {response.status_code}"
    return response


def assert_cached(client, path: str, django_assert_max_num_queries) -> None:
    """`path` is served from the cache: at most two queries, and the cache says so."""
    with django_assert_max_num_queries(2):
        response = load(client, path)
    assert response["X-Cache"] == "hit", path


def text(response) -> str:
    return response.content.decode()


# --- hits, and who never gets a cached page --------------------------------------------------------------


def test_it_serves_a_public_page_again_from_the_cache_in_two_queries(world, django_assert_max_num_queries):
    client = visitor()
    first = load(client, site_page(world.room))
    assert first["X-Cache"] == "miss"
    assert "顾海明" in text(first)
    with django_assert_max_num_queries(2):
        again = load(client, site_page(world.room))
    assert again["X-Cache"] == "hit"
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", text(again)) == strip.sub("", text(first))


@pytest.mark.parametrize(
    "name",
    ["home", "site_list", "deputy_list", "schedule", "public_stats"],
)
def test_every_public_list_page_is_cached(world, name, django_assert_max_num_queries):
    path = reverse(f"stations:{name}")
    assert load(visitor(), path)["X-Cache"] == "miss"
    assert_cached(visitor(), path, django_assert_max_num_queries)


def test_it_caches_feeds_and_posters(world, django_assert_max_num_queries):
    for path in (
        reverse("stations:site_calendar", args=[world.room.slug]),
        reverse("stations:deputy_calendar", args=[world.deputies[0].slug]),
        reverse("stations:site_poster", args=[world.room.slug]),
        reverse("stations:deputy_detail", args=[world.deputies[0].slug]),
    ):
        load(visitor(), path)
        assert_cached(visitor(), path, django_assert_max_num_queries)


def test_each_language_has_its_own_page(world):
    path = site_page(world.room)
    chinese = load(visitor(), path)
    english = load(visitor(django_language="en"), path)
    assert '<html lang="zh-hans"' in text(chinese)
    assert '<html lang="en"' in text(english)
    assert "Deputies at this site" in text(english) and "Deputies at this site" not in text(chinese)
    assert load(visitor(django_language="en"), path)["X-Cache"] == "hit"
    assert '<html lang="en"' in text(load(visitor(django_language="en"), path))
    assert '<html lang="zh-hans"' in text(load(visitor(), path))


def test_the_elder_friendly_display_has_its_own_page(world):
    path = site_page(world.room)
    standard = load(visitor(), path)
    elder = load(visitor(display="elder"), path)
    assert elder["X-Cache"] == "miss" and elder["ETag"] != standard["ETag"]
    assert 'class="no-js elder"' in text(load(visitor(display="elder"), path))
    assert 'class="no-js elder"' not in text(load(visitor(), path))


def test_a_signed_in_user_never_gets_or_leaves_a_cached_page(world, alice):
    path = reverse("stations:site_list")
    load(visitor(), path)  # cached for visitors
    staff = django.test.Client()
    staff.force_login(alice)
    for _ in range(2):
        response = load(staff, path)
        assert "X-Cache" not in response
        assert "爱丽丝" in text(response)  # her name in the header
    assert "爱丽丝" not in text(load(visitor(), path))


def test_each_visitor_gets_their_own_csrf_token_and_can_switch_language(world):
    path = site_page(world.room)
    load(visitor(), path)
    client = django.test.Client(enforce_csrf_checks=True)
    response = load(client, path)
    assert response["X-Cache"] == "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(response)).group(1)
    switched = client.post(reverse("set_language"), {"language": "en", "next": path, "csrfmiddlewaretoken": token})
    assert switched.status_code == 302
    assert '<html lang="en"' in text(load(client, path))


def test_the_remembered_town_selects_the_schedule(world, station, other_station):
    path = reverse("stations:schedule")
    chosen = load(visitor(), f"{path}?town={station.slug}")
    assert chosen.cookies["schedule_town"].value == station.slug
    again = load(visitor(), f"{path}?town={station.slug}")
    assert again["X-Cache"] == "hit"
    assert again.cookies["schedule_town"].value == station.slug  # the cookie is set by the cached answer too
    yuxin = load(visitor(schedule_town=station.slug), path)
    fengqiao = load(visitor(schedule_town=other_station.slug), path)
    assert station.name in text(yuxin) and "顾海明" in text(yuxin)
    assert "顾海明" not in text(fengqiao)


def test_a_stale_remembered_town_is_forgotten_and_not_cached(world):
    path = reverse("stations:schedule")
    for _ in range(2):
        response = load(visitor(schedule_town="gone"), path)
        assert response.cookies["schedule_town"].value == ""
        assert "X-Cache" not in response


# --- exact invalidation: each kind of change -----------------------------------------------------------------


def test_publishing_a_roster_shows_at_once_and_leaves_other_sites_cached(world, django_assert_max_num_queries):
    other_page, page = f"{reverse('stations:schedule')}?site={world.other_room.slug}", site_page(world.room)
    assert "钱卫东" not in text(load(visitor(), other_page))
    load(visitor(), page)
    rosters.roster_publish(roster=world.other_shift.roster, actor=SYSTEM)
    shown = load(visitor(), other_page)
    assert shown["X-Cache"] == "miss"
    assert "钱卫东" in text(shown)
    assert_cached(visitor(), page, django_assert_max_num_queries)


def test_a_swap_shows_on_both_sites_and_both_deputies_pages_and_feeds(world, django_assert_max_num_queries):
    rosters.roster_publish(roster=world.other_shift.roster, actor=SYSTEM)
    mine = Duty.objects.get(shift=world.coming, deputy=world.deputies[2])
    theirs = Duty.objects.get(shift=world.other_shift)
    paths = [
        site_page(world.room),
        site_page(world.other_room),
        reverse("stations:site_calendar", args=[world.room.slug]),
        reverse("stations:deputy_calendar", args=[world.other_deputy.slug]),
        reverse("stations:deputy_detail", args=[world.deputies[2].slug]),
    ]
    before = {path: text(load(visitor(), path)) for path in paths}
    unrelated = reverse("stations:deputy_detail", args=[world.deputies[0].slug])
    load(visitor(), unrelated)

    rosters.shift_swap(duty=mine, other_duty=theirs, actor=SYSTEM, reason="对调")

    after = {path: load(visitor(), path) for path in paths}
    for path, response in after.items():
        assert response["X-Cache"] == "miss" and text(response) != before[path], path
    assert "钱卫东" in text(after[site_page(world.room)])
    assert world.other_room.name in text(after[reverse("stations:deputy_detail", args=[world.deputies[2].slug])])
    assert_cached(visitor(), unrelated, django_assert_max_num_queries)


def test_marking_attendance_on_the_staff_page_shows_on_the_schedule_and_the_figures(
    world, alice, station, django_assert_max_num_queries
):
    schedule = f"{reverse('stations:schedule')}?town={station.slug}"
    stats = reverse("stations:public_stats")
    other_town = f"{reverse('stations:schedule')}?town=fengqiao"
    assert "黄美勤" in text(load(visitor(), schedule))
    figures_before = load(visitor(), stats).context["tables"][0].rows[0]
    load(visitor(), other_town)

    staff = django.test.Client()
    staff.force_login(alice)
    for deputy, attendance in ((world.deputies[1], Attendance.ABSENT), (world.deputies[0], Attendance.PRESENT)):
        duty = Duty.objects.get(shift=world.running, deputy=deputy)
        prefix = f"duty-{duty.pk}"
        response = staff.post(
            reverse("stations:staff_duty_attendance", args=[duty.pk]),
            {
                f"{prefix}-attendance": attendance,
                f"{prefix}-absence_reason": "illness" if attendance == "absent" else "",
            },
        )
        assert response.status_code == 302

    shown = load(visitor(), schedule)
    assert shown["X-Cache"] == "miss"
    assert "黄美勤" not in text(shown)  # who came, not who was expected
    figures = load(visitor(), stats)
    assert figures["X-Cache"] == "miss"
    assert figures.context["tables"][0].rows[0] != figures_before  # a reception held
    assert_cached(visitor(), other_town, django_assert_max_num_queries)


def test_a_site_edit_shows_on_its_page_its_rooms_and_the_tree(world, station, django_assert_max_num_queries):
    paths = [site_page(station), site_page(world.room), reverse("stations:site_list")]
    for path in paths:
        load(visitor(), path)
    unrelated = site_page(world.other_room)
    load(visitor(), unrelated)

    network.site_upsert(
        district=station.district,
        parent=None,
        name=station.name,
        kind=station.kind,
        town=station.town,
        address="余新镇新址大道1号",
        phone="0573-82345678",
        is_online=station.is_online,
        actor=SYSTEM,
    )

    for path in paths:
        assert load(visitor(), path)["X-Cache"] == "miss", path
    assert "余新镇新址大道1号" in text(load(visitor(), site_page(station)))
    poster = load(visitor(), reverse("stations:site_poster", args=[world.room.slug]))
    assert "0573-82345678" in text(poster)  # a room's poster gives its station's phone
    assert_cached(visitor(), unrelated, django_assert_max_num_queries)


def test_a_site_edit_in_the_admin_shows_at_once(world, admin_client, django_assert_max_num_queries):
    from tests.test_sites_admin import _form_data

    page = site_page(world.room)
    load(visitor(), page)
    unrelated = site_page(world.other_room)
    load(visitor(), unrelated)
    url = reverse("admin:stations_site_change", args=[world.room.pk])
    response = admin_client.post(url, _form_data(admin_client.get(url), address="金星村新村委会"))
    assert response.status_code == 302
    assert "金星村新村委会" in text(load(visitor(), page))
    assert_cached(visitor(), unrelated, django_assert_max_num_queries)


def test_a_slug_changed_in_the_admin_leaves_no_page_under_the_old_one(world, admin_client):
    from tests.test_sites_admin import _form_data

    deputy = world.deputies[0]
    old = reverse("stations:deputy_detail", args=[deputy.slug])
    load(visitor(), old)
    url = reverse("admin:stations_deputy_change", args=[deputy.pk])
    assert admin_client.post(url, _form_data(admin_client.get(url), slug="gu-haiming-2")).status_code == 302
    assert visitor().get(old).status_code == 404


def test_a_deputy_edit_shows_wherever_the_deputy_is_named(world, django_assert_max_num_queries):
    deputy = world.deputies[0]
    paths = [
        reverse("stations:deputy_detail", args=[deputy.slug]),
        reverse("stations:deputy_list"),
        site_page(world.room),
        reverse("stations:site_calendar", args=[world.room.slug]),
        f"{reverse('stations:schedule')}?deputy={deputy.slug}",
    ]
    for path in paths:
        load(visitor(), path)
    unrelated = site_page(world.other_room)
    load(visitor(), unrelated)

    network.deputy_upsert(district=world.district, name="顾海明明", gender="m", slug=deputy.slug, actor=SYSTEM)

    for path in paths:
        response = load(visitor(), path)
        assert response["X-Cache"] == "miss" and "顾海明明" in text(response), path
    assert_cached(visitor(), unrelated, django_assert_max_num_queries)


def test_an_assignment_shows_on_the_site_and_the_deputys_page(world, django_assert_max_num_queries):
    deputy = world.other_deputy
    page = site_page(world.room)
    assert "钱卫东" not in text(load(visitor(), page))
    unrelated = reverse("stations:site_calendar", args=[world.other_room.slug])
    load(visitor(), unrelated)
    network.assignment_upsert(deputy=deputy, site=world.room, actor=SYSTEM)
    assert "钱卫东" in text(load(visitor(), page))
    assert world.room.name in text(load(visitor(), reverse("stations:deputy_detail", args=[deputy.slug])))
    assert_cached(visitor(), unrelated, django_assert_max_num_queries)


def test_a_visit_and_an_opinion_step_change_the_public_figures_only(world, alice, django_assert_max_num_queries):
    stats = reverse("stations:public_stats")
    before = load(visitor(), stats).context["tables"][0].rows[0]
    page = site_page(world.room)
    load(visitor(), page)

    visit = visits.visit_create(
        site=world.room,
        actor=Actor(alice, "127.0.0.1"),
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        summary="路灯不亮",
        people=7,
        opinions=[{"content": "村口路灯坏了", "category": "other"}],
    )
    after_visit = load(visitor(), stats)
    assert after_visit["X-Cache"] == "miss"
    assert after_visit.context["tables"][0].rows[0] != before
    assert_cached(visitor(), page, django_assert_max_num_queries)

    opinion = visit.opinions.get()
    opinions.opinion_accept(opinion=opinion, actor=Actor(alice, "127.0.0.1"))
    accepted = load(visitor(), stats)
    assert accepted["X-Cache"] == "miss"
    assert accepted.context["tables"][0].rows[0] != after_visit.context["tables"][0].rows[0]
    assert_cached(visitor(), page, django_assert_max_num_queries)


def test_a_rolled_back_change_renews_nothing(world, django_assert_max_num_queries):
    from django.db import transaction

    page = site_page(world.room)
    load(visitor(), page)
    with pytest.raises(RuntimeError), transaction.atomic():
        network.deputy_upsert(
            district=world.district, name="不存在", gender="m", slug=world.deputies[0].slug, actor=SYSTEM
        )
        raise RuntimeError
    assert_cached(visitor(), page, django_assert_max_num_queries)


# --- ETag / Last-Modified ----------------------------------------------------------------------------------


def test_if_none_match_answers_304_until_the_page_changes(world, django_assert_max_num_queries):
    feed = reverse("stations:site_calendar", args=[world.room.slug])
    page = site_page(world.room)
    for path in (feed, page):
        etag = load(visitor(), path)["ETag"]
        with django_assert_max_num_queries(1):  # the tokens only: the page is not even read
            response = visitor().get(path, headers={"if-none-match": etag})
        assert response.status_code == 304
        assert response["ETag"] == etag

    etag = load(visitor(), feed)["ETag"]
    duty = Duty.objects.get(shift=world.coming)
    rosters.duty_substitute(duty=duty, substitute=world.deputies[0], actor=SYSTEM, reason="临时有事")
    changed = visitor().get(feed, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "顾海明" in text(changed)


def test_if_modified_since_answers_304_until_the_page_changes(world):
    path = site_page(world.room)
    load(visitor(), path)
    time.sleep(1.1)  # Last-Modified is left out within the second the page last changed
    last_modified = load(visitor(), path)["Last-Modified"]
    assert visitor().get(path, headers={"if-modified-since": last_modified}).status_code == 304

    network.assignment_upsert(deputy=world.other_deputy, site=world.room, actor=SYSTEM)
    changed = visitor().get(path, headers={"if-modified-since": last_modified})
    assert changed.status_code == 200
    assert "钱卫东" in text(changed)


def test_a_process_keeps_the_pages_it_served_in_memory_but_never_a_stale_one(world, django_assert_max_num_queries):
    """After the first hit a process answers from its memory: one query (the tokens, which stay shared), as
    cheap as /healthz. Another process's change still shows at once: it deleted the tokens in the shared cache."""
    path = site_page(world.room)
    load(visitor(), path)
    caching._memo.clear()  # as if another process had rendered it: this one reads the shared cache once
    with django_assert_max_num_queries(2):
        assert load(visitor(), path)["X-Cache"] == "hit"
    with django_assert_max_num_queries(1):
        assert load(visitor(), path)["X-Cache"] == "hit"
    # A change committed elsewhere: only the shared tokens say so, and they are read on every request.
    caching._bump(["gen:" + caching.site_scope(world.room.slug)])
    Site.objects.filter(pk=world.room.pk).update(address="金星村新址 8 号")
    changed = load(visitor(), path)
    assert changed["X-Cache"] == "miss" and "金星村新址 8 号" in text(changed)


def test_an_upgrade_renders_every_page_afresh(world, monkeypatch):
    """A page's key and ETag carry the release (a hash of the code, templates and translations): after an
    upgrade nobody is served a page the old code rendered, nor told that their copy of it is current."""
    path = site_page(world.room)
    etag = load(visitor(), path)["ETag"]
    assert visitor().get(path, headers={"if-none-match": etag}).status_code == 304
    monkeypatch.setattr(caching, "release", lambda: "the-next-release")
    caching._memo.clear()
    again = visitor().get(path, headers={"if-none-match": etag})
    assert again.status_code == 200 and again["X-Cache"] == "miss" and again["ETag"] != etag


def test_the_release_is_a_hash_of_the_files_every_node_has():
    caching.release.cache_clear()
    first = caching.release()
    caching.release.cache_clear()
    assert caching.release() == first and len(first) == 16


def test_staff_figures_are_kept_until_a_figure_changes(world, dana, dana_client, django_assert_max_num_queries):
    """/staff/stats/ adds a scope's figures up once and keeps the tables (a province's year is seconds of
    adding up at full size); a visit recorded through the service shows in them at the next request."""
    from tests.factories_stats import page_tables

    year = timezone.localdate().year
    path = reverse("stations:staff_stats") + f"?year={year}"

    def voters() -> str:
        rows = page_tables(dana_client.get(path).text)["table-headline"]
        return next(row[1] for row in rows if row[0] == "接待选民群众（人次）")

    before = voters()
    with django_assert_max_num_queries(12) as kept:
        assert voters() == before
    visits.visit_create(
        site=world.room,
        actor=Actor(dana, "127.0.0.1"),
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        summary="反映路灯不亮",
        people=7,
        channel="walk_in",
    )
    with django_assert_max_num_queries(60) as counted:
        assert int(voters()) == int(before) + 7
    assert len(counted.captured_queries) > len(kept.captured_queries)


def test_a_stations_staff_figures_are_kept_while_other_districts_record(
    world, client, alice, django_assert_max_num_queries
):
    """On a reception day a province writes a figure every few seconds somewhere: a station's tables are computed
    afresh only after a change in its own district (caching.figures_changed), or in what any figures name."""
    from stations.models import District
    from tests.conftest import region_station
    from tests.factories_stats import page_tables

    elsewhere = region_station(
        District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ"), "wangdian", "王店镇代表联络站"
    )
    client.force_login(alice)
    path = reverse("stations:staff_stats") + f"?year={timezone.localdate().year}"
    clerk = make_user("clerk", role=None, is_staff=True, is_superuser=True)

    def voters() -> str:
        rows = page_tables(client.get(path).text)["table-headline"]
        return next(row[1] for row in rows if row[0] == "接待选民群众（人次）")

    def record(site: Site, people: int) -> None:
        visits.visit_create(
            site=site,
            actor=Actor(clerk, "127.0.0.1"),
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
            summary="反映路灯不亮",
            people=people,
            channel="walk_in",
        )

    before = voters()
    with django_assert_max_num_queries(12) as kept:
        assert voters() == before
    record(elsewhere, 5)
    with django_assert_max_num_queries(len(kept.captured_queries)):
        assert voters() == before  # another district's visit: the tables are not computed again
    record(world.room, 7)
    assert int(voters()) == int(before) + 7
    # A name the tables show (a site renamed in the admin, through the same scopes) renews them everywhere.
    caching.invalidate(caching.site_scopes(elsewhere))
    with django_assert_max_num_queries(60) as renewed:
        assert int(voters()) == int(before) + 7
    assert len(renewed.captured_queries) > len(kept.captured_queries)


def test_a_region_renamed_in_the_admin_shows_in_the_cached_site_pages_breadcrumbs(world, admin_client):
    from stations.models import District, Region
    from tests.test_sites_admin import _form_data

    province = Region.objects.create(name="浙江省", code="330000000000", level="province")
    city = Region.objects.create(name="嘉兴市", code="330400000000", level="city", parent=province)
    county = Region.objects.create(name="南湖区", code="330402000000", level="county", parent=city)
    District.objects.filter(pk=world.district.pk).update(region=county)
    caching.invalidate(caching.scopes_for(county))
    path = site_page(world.room)
    assert "嘉兴市" in text(load(visitor(), path))
    assert load(visitor(), path)["X-Cache"] == "hit"
    url = reverse("admin:stations_region_change", args=[city.pk])
    assert admin_client.post(url, _form_data(admin_client.get(url), name="嘉兴市（新）")).status_code == 302
    assert "嘉兴市（新）" in text(load(visitor(), path))


def test_cached_pages_ask_browsers_to_revalidate(world):
    response = load(visitor(), site_page(world.room))
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control and "private" in cache_control and "no-store" not in cache_control
    assert "Cookie" in response["Vary"]


def test_the_etag_helper_for_other_views_answers_304(world, rf):
    request = rf.get("/api/anything")
    not_modified, etag, _last = caching.conditional_response(request, scopes=[caching.site_scope(world.room.slug)])
    assert not_modified is None
    again = rf.get("/api/anything", headers={"if-none-match": etag})
    assert caching.conditional_response(again, scopes=[caching.site_scope(world.room.slug)])[0].status_code == 304
    caching._bump(["gen:" + caching.site_scope(world.room.slug)])
    assert caching.conditional_response(again, scopes=[caching.site_scope(world.room.slug)])[0] is None


# --- time -----------------------------------------------------------------------------------------------------


def test_the_clock_turns_when_the_next_reception_starts_or_ends(world):
    local_midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    _token, until = caching._clock_token()
    # The running reception ends in two hours; after 22:00 local time the day ends first (and the clock turns then).
    assert until == min(world.running.end.timestamp(), local_midnight.timestamp())
    Roster.objects.all().delete()
    _token, until = caching._clock_token()
    assert until == pytest.approx(local_midnight.timestamp(), abs=3600 * 2)


def test_a_reception_that_ends_leaves_the_next_reception_box_at_once(room, deputies):
    now = timezone.now()
    ending = make_shift(
        room, now - dt.timedelta(hours=2), now + dt.timedelta(seconds=2), deputies=[deputies[0]], published=True
    )
    make_shift(room, now + dt.timedelta(days=10), deputies=[deputies[1]], published=True)
    page = site_page(room)

    def next_reception() -> str:
        response = load(visitor(), page)
        box = text(response)
        return box[box.index("site-next-") : box.index("site-roster-")]

    assert "顾海明" in next_reception() and "黄美勤" not in next_reception()
    assert load(visitor(), page)["X-Cache"] == "hit"
    time.sleep(max(0.0, (ending.end - timezone.now()).total_seconds()) + 0.5)
    assert "黄美勤" in next_reception() and "顾海明" not in next_reception()


# --- which public pages are cached ------------------------------------------------------------------------------

# Public URLs deliberately not cached, and why.
NOT_CACHED = {
    "stations:healthz": "answers whether the database answers now",
    "stations:opinion_submitted": "the voter's own tracking code",
    "stations:track_detail": "a voter's own opinion (no-store)",
    "set_language": "a redirect that sets a cookie",
    "media": "files, served with their own validators",
    "stations:display_switch": "a form post that sets the display cookie",
    "stations:track_answer": "a voter's own answer about their own opinion",
    # A deputy's own pages (/me/): signed in, never cached; the private calendar is the deputy's alone.
    "stations:deputy_home": "a signed-in deputy's own page",
    "stations:deputy_activity_add": "a signed-in deputy's form post",
    "stations:deputy_calendar_feed": "a signed-in deputy's form post",
    "stations:deputy_swap_request": "a signed-in deputy's form",
    "stations:deputy_unavailable_add": "a signed-in deputy's form post",
    "stations:deputy_unavailable_delete": "a signed-in deputy's form post",
    "stations:deputy_private_calendar": "one deputy's private feed behind a revocable token",
}


def test_every_public_url_is_cached_or_deliberately_not():
    public = {
        name
        for name, route in url_routes().items()
        if not route.startswith(("staff/", "admin/", "accounts/", "i18n/")) or name == "set_language"
    }
    # The API (/api/v1/) has validators of its own (stations/api/conditional.py): from the tokens of the scopes in
    # caching.FEEDS, else from its bodies; tests/test_api_etags.py.
    api = {name for name in public if name.startswith("api:")}
    assert public - api - set(caching.PAGES) - set(NOT_CACHED) == set()
    assert set(caching.PAGES) <= public
    assert not set(caching.PAGES) & set(NOT_CACHED)


def test_the_tracking_form_is_cached_and_a_code_still_leads_to_its_opinion(world, django_assert_max_num_queries):
    """/track/ is a form and nothing else: served from the cache like the opinion form; a code typed into it is
    looked up as before (a redirect, never stored), a wrong one answered 400 with its error, never stored."""
    path = reverse("stations:track")
    assert load(visitor(), path)["X-Cache"] == "miss"
    assert_cached(visitor(), path, django_assert_max_num_queries)
    looked_up = visitor().get(path, {"code": "abcd-efgh-jkmn"})
    assert looked_up.status_code == 302 and "X-Cache" not in looked_up
    empty = visitor().get(path, {"code": "  "})
    assert empty.status_code == 400 and "X-Cache" not in empty


def test_hostile_slugs_and_cookies_are_answered_as_without_a_cache(world):
    long_slug = "a" * 900
    assert visitor().get(reverse("stations:site_detail", args=[long_slug])).status_code == 404
    assert visitor().get(f"{reverse('stations:schedule')}?site={long_slug}").status_code == 200  # ignored by the form
    for value in ("x" * 900, "%E9%95%87 \u00e9\u00a0", "../../etc"):
        response = visitor(schedule_town=value).get(reverse("stations:schedule"))
        assert response.status_code == 200
        assert "X-Cache" not in response  # a town that does not exist is forgotten, never stored


def test_a_theme_shows_on_its_stations_pages_at_once_and_leaves_other_towns_cached(
    world, station, django_assert_max_num_queries
):
    from stations.services import records

    paths = [site_page(station), site_page(world.room)]
    for path in paths:
        load(visitor(), path)
    unrelated = site_page(world.other_room)
    load(visitor(), unrelated)

    theme = records.theme_create(
        actor=SYSTEM, district=station.district, year=timezone.localdate().year, name="三改一拆", stations=[station]
    )

    for path in paths:
        assert load(visitor(), path)["X-Cache"] == "miss", path
    assert "三改一拆" in text(load(visitor(), site_page(station)))
    assert_cached(visitor(), unrelated, django_assert_max_num_queries)

    records.theme_update(actor=SYSTEM, theme=theme, name="小城镇环境综合整治", stations=[station])
    assert "小城镇环境综合整治" in text(load(visitor(), site_page(station)))


def test_a_region_page_is_cached_and_a_new_station_below_it_shows_at_once(land, django_assert_max_num_queries):
    page = reverse("stations:region_detail", args=[land["jiaxing"].code])
    load(visitor(), page)
    assert_cached(visitor(), page, django_assert_max_num_queries)

    network.site_upsert(
        district=land["xiuzhou"],
        parent=None,
        name="新塍镇代表联络站",
        kind="station",
        town="新塍镇",
        address="新塍镇政府",
        phone="",
        is_online=False,
        actor=SYSTEM,
    )

    renewed = load(visitor(), page)
    assert renewed["X-Cache"] == "miss"


def test_a_sites_family_is_found_by_its_station_not_by_an_or_over_parents(world, station, point):
    """A point edited renews its station's and room's pages: found through the indexed `Site.station`, never
    through `parent = X OR grandparent = X`, which scans every site of a province."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        scopes = caching.site_scopes(point)
    assert {caching.site_scope(s.slug) for s in (station, world.room, point)} <= scopes
    assert caching.town_scope(station.slug) in scopes
    assert caching.site_scope(world.other_room.slug) not in scopes  # another station's room stays cached
    assert {caching.deputy_scope(deputy.slug) for deputy in world.deputies} <= scopes  # on the room's roster
    family = [q["sql"] for q in queries if '"stations_site"."station_id" =' in q["sql"]]
    assert family, [q["sql"] for q in queries]
    assert not any('"parent_id"' in q["sql"] and " OR " in q["sql"] for q in queries)


# --- the opinion form -----------------------------------------------------------------------------------------


def opinion_form(**query: str) -> str:
    path = reverse("stations:opinion_create")
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else path


def test_the_opinion_form_is_served_from_the_cache_with_each_visitors_own_csrf_token(
    world, django_assert_max_num_queries
):
    path = opinion_form(site=world.room.slug)
    assert load(visitor(), path)["X-Cache"] == "miss"
    client = django.test.Client(enforce_csrf_checks=True)  # a new visitor: no CSRF cookie yet
    with django_assert_max_num_queries(2):
        page = load(client, path)
    assert page["X-Cache"] == "hit"
    assert "Cookie" in page["Vary"] and "private" in page["Cache-Control"]
    assert client.cookies["csrftoken"].value  # the token on the page is backed by the cookie it was given
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(page))
    assert len(tokens) >= 2 and "\x00" not in text(page)  # the header's switches' and the opinion form's
    another = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(load(visitor(), path)))
    assert set(another).isdisjoint(tokens)  # nobody gets another visitor's token

    posted = client.post(
        reverse("stations:opinion_create"),
        {
            "site": world.room.pk,
            "category": "transport",
            "content": "金星村村道路灯损坏多日。",
            "csrfmiddlewaretoken": tokens[-1],
        },
    )
    assert posted.status_code == 302 and posted["Location"] == reverse("stations:opinion_submitted")
    assert world.room.opinions.count() == 1


def test_the_opinion_form_post_with_errors_is_never_cached(world):
    path = reverse("stations:opinion_create")
    load(visitor(), path)
    answer = visitor().post(path, {"site": world.room.pk, "category": "transport", "content": ""})
    assert answer.status_code == 400 and "X-Cache" not in answer
    assert "必填" in text(answer)  # the error next to the empty field
    assert load(visitor(), path)["X-Cache"] == "hit"  # the stored form holds nothing that was typed


def test_a_site_added_renamed_or_closed_shows_on_the_opinion_form_at_once(
    world, station, admin_client, django_assert_max_num_queries
):
    from tests.test_sites_admin import _form_data

    search = opinion_form(q="余新")
    in_link = opinion_form(site=world.room.slug)
    for path in (search, in_link):
        load(visitor(), path)
        assert_cached(visitor(), path, django_assert_max_num_queries)

    network.site_upsert(
        district=station.district, parent=station, name="余新村代表联络室", kind="room", town="余新镇", actor=SYSTEM
    )
    assert "余新村代表联络室" in text(load(visitor(), search))

    url = reverse("admin:stations_site_change", args=[world.room.pk])
    response = admin_client.post(url, _form_data(admin_client.get(url), name="金星村代表之家"))
    assert response.status_code == 302
    renamed = load(visitor(), in_link)
    assert renamed["X-Cache"] == "miss" and "金星村代表之家" in text(renamed)

    response = admin_client.post(url, _form_data(admin_client.get(url), is_active=""))
    assert response.status_code == 302
    assert "金星村代表之家" not in text(load(visitor(), search))
    assert "金星村代表之家" not in text(load(visitor(), in_link))


def test_a_visitor_whose_csrf_cookie_changed_gets_a_form_they_can_post_not_a_304(world, django_assert_max_num_queries):
    """Signing in or out rotates the CSRF secret: a browser's kept copy of the form then holds a token of the old
    one, so the ETag it revalidates with no longer matches and it gets the page again, with a token it can post."""
    from django.middleware.csrf import _get_new_csrf_string

    path = opinion_form(site=world.room.slug)
    client = django.test.Client(enforce_csrf_checks=True)
    load(client, path)  # the first visit sets the cookie
    kept = load(client, path)
    with django_assert_max_num_queries(1):
        assert client.get(path, headers={"if-none-match": kept["ETag"]}).status_code == 304  # same cookie

    client.cookies["csrftoken"] = _get_new_csrf_string()  # rotated (a sign-in and sign-out in between)
    again = client.get(path, headers={"if-none-match": kept["ETag"]})
    assert again.status_code == 200 and again["X-Cache"] == "hit" and again["ETag"] != kept["ETag"]
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(again))[-1]
    posted = client.post(
        reverse("stations:opinion_create"),
        {"site": world.room.pk, "category": "transport", "content": "路灯坏了。", "csrfmiddlewaretoken": token},
    )
    assert posted.status_code == 302
