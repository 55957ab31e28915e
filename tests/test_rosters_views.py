"""Staff roster pages: scope (own station only), roles (head-only writes, read-only deputies), forms and errors."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.audit import Actor
from stations.models import Duty, DutyShift, Roster
from stations.services.rosters import roster_generate_station, roster_publish
from tests.conftest import make_deputy
from tests.factories_rosters import at, make_shift

YEAR = 2027
GRID = reverse("stations:staff_rosters")


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def draft_station(station, room, point, deputies):
    roster_generate_station(station=station, year=YEAR, actor=Actor.system())
    return station


@pytest.fixture
def published(draft_station, room):
    roster = Roster.objects.get(site=room, year=YEAR)
    roster_publish(roster=roster, actor=Actor.system())
    return roster


def a_shift(room, month=3):
    return DutyShift.objects.get(roster__site=room, start=at(YEAR, month, 20))


# --- the grid ------------------------------------------------------------------------------------------


def test_grid_shows_the_stations_sites_and_months(client, alice, draft_station, room, point):
    response = login(client, alice).get(GRID, {"year": YEAR, "month": 3})
    assert response.status_code == 200
    text = response.text
    assert draft_station.name in text and room.name in text and point.name in text
    assert len(response.context["grid"]) == 3
    assert all(len(cells) == 12 for _site, _roster, cells in response.context["grid"])
    march = [shift for _site, _roster, shifts in response.context["month_rows"] for shift in shifts]
    assert len(march) == 3 and all(timezone.localtime(s.start).month == 3 for s in march)
    # Staff see no head-only buttons.
    assert reverse("stations:staff_roster_publish") not in text


def test_grid_offers_generate_and_publish_to_the_head(client, bob, draft_station):
    text = login(client, bob).get(GRID, {"year": YEAR}).text
    assert reverse("stations:staff_roster_generate") in text
    assert reverse("stations:staff_roster_publish") in text


def test_grid_runs_a_bounded_number_of_queries(client, bob, station, room, district, django_assert_max_num_queries):
    for n in range(12):
        make_deputy(district, f"代表{n}", sites=[station, room])
    roster_generate_station(station=station, year=YEAR, actor=Actor.system())
    client = login(client, bob)
    with django_assert_max_num_queries(16):
        response = client.get(GRID, {"year": YEAR})
    assert sum(len(shifts) for _s, _r, cells in response.context["grid"] for shifts in cells) == 24


def test_a_moved_reception_shows_in_the_month_it_is_now_held_in_the_grid_and_below_it(client, bob, draft_station, room):
    from stations.services.rosters import shift_move

    march = a_shift(room)
    deputies_on_it = march.duties.count()
    shift_move(shift=march, start=at(YEAR, 4, 3, 9), end=at(YEAR, 4, 3, 11), actor=Actor(user=bob), reason="场地维修")
    response = login(client, bob).get(GRID, {"year": YEAR, "month": 4})
    cells = next(cells for site, _roster, cells in response.context["grid"] if site == room)
    assert [shift.pk for shift in cells[2]] == []  # March: gone
    april = [(shift.pk, shift.day, shift.duties, shift.was_moved) for shift in cells[3]]
    assert (march.pk, 3, deputies_on_it, True) in april
    below = [shift.pk for site, _roster, shifts in response.context["month_rows"] if site == room for shift in shifts]
    assert march.pk in below
    row = response.text.split(f'href="{reverse("stations:staff_shift", args=[march.pk])}">3</a>', 1)[1]
    assert row.startswith(f'<span class="small"> ({deputies_on_it})</span>*')
    march_page = client.get(GRID, {"year": YEAR, "month": 3})
    assert march.pk not in [
        s.pk for site, _r, shifts in march_page.context["month_rows"] if site == room for s in shifts
    ]


def test_grid_requires_sign_in(client, db):
    response = client.get(GRID)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_grid_of_another_station_is_404(client, charlie, draft_station):
    assert login(client, charlie).get(GRID, {"station": draft_station.slug}).status_code == 404


def test_deputy_role_gets_403(client, erin, draft_station):
    assert login(client, erin).get(GRID).status_code == 403


def test_district_admin_chooses_any_station(client, dana, draft_station, other_station):
    response = login(client, dana).get(GRID, {"station": other_station.slug, "year": YEAR})
    assert response.status_code == 200
    assert response.context["station"] == other_station
    assert draft_station.name in response.text  # in the station picker


def test_beyond_a_selects_stations_an_administrator_finds_the_station_by_typing(
    client, dana, draft_station, other_station, monkeypatch
):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 1)
    client = login(client, dana)
    page = client.get(GRID, {"station": draft_station.slug, "year": YEAR}).text
    assert 'name="station" class="form-select"' not in page and 'name="q" type="search"' in page
    assert other_station.name not in page
    found = client.get(GRID, {"station": draft_station.slug, "year": YEAR, "q": "凤桥"}).text
    # The match is a link to its grid, and the station being shown stays on the page.
    assert f'href="?station={other_station.slug}&amp;year={YEAR}"' in found
    assert f"值班表 · {draft_station.name}" in found and "2027年全年概览" in found
    by_code = client.get(GRID, {"station": draft_station.slug, "year": YEAR, "q": "FENGQIAO"}).text
    assert f'href="?station={other_station.slug}&amp;year={YEAR}"' in by_code
    assert "没有与“朝阳”相符的联络站" in client.get(GRID, {"q": "朝阳"}).text


def test_a_regional_administrator_finds_only_the_stations_of_their_region(client, fay, land, monkeypatch):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 1)
    page = login(client, fay).get(GRID, {"q": "代表联络站"})
    listed = page.text.split('id="roster-matches"', 1)[1].split("</ul>", 1)[0]
    found = {link.split("&")[0] for link in listed.split('href="?station=')[1:]}
    assert found == {"yuxin", "fengqiao", "wangdian"}  # not 西溪街道, in 杭州市
    assert "没有与“西溪”相符的联络站" in login(client, fay).get(GRID, {"q": "西溪"}).text
    assert login(client, fay).get(GRID, {"station": "xixi"}).status_code == 404


def test_the_station_search_pages_its_matches_in_a_fixed_number_of_queries(
    client, dana, station, district, monkeypatch, django_assert_max_num_queries
):
    from stations.models import Site, SiteKind

    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 5)
    Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.STATION,
            name=f"第{n:02d}镇代表联络站",
            slug=f"town-{n}",
            town=f"第{n:02d}镇",
        )
        for n in range(45)
    )
    client = login(client, dana)
    client.get(GRID, {"station": station.slug, "q": "镇代表"})
    with django_assert_max_num_queries(12):
        first = client.get(GRID, {"station": station.slug, "q": "镇代表"})

    def matches(page: str) -> int:
        return page.split('id="roster-matches"', 1)[1].split("</ul>", 1)[0].count("<li>")

    from stations.forms.base import CHOOSER_PAGE_SIZE

    pages = -(-46 // CHOOSER_PAGE_SIZE)  # 45 towns and 余新镇: 46 matches
    assert matches(first.text) == CHOOSER_PAGE_SIZE and f"第 1 页，共 {pages} 页" in first.text
    last = client.get(GRID, {"station": station.slug, "q": "镇代表", "page": pages}).text
    assert matches(last) == 46 - (pages - 1) * CHOOSER_PAGE_SIZE


# --- generate and publish ------------------------------------------------------------------------------


def test_head_generates_and_publishes_the_stations_year(client, bob, station, room, point, deputies):
    client = login(client, bob)
    response = client.post(reverse("stations:staff_roster_generate"), {"station": station.slug, "year": YEAR})
    assert response.status_code == 302
    assert DutyShift.objects.filter(roster__year=YEAR).count() == 36
    assert not DutyShift.objects.published().exists()

    response = client.post(
        reverse("stations:staff_roster_publish"), {"station": station.slug, "year": YEAR}, follow=True
    )
    assert DutyShift.objects.published().count() == 36
    assert "已公布" in response.text


def test_the_grid_shows_the_years_fairness_with_who_is_short_or_over(client, bob, draft_station, room, deputies):
    # A hand-made imbalance: 顾海明 takes every duty of March–June from the others.
    gu = deputies[0]
    for month in (3, 4, 5, 6):
        shift = a_shift(room, month)
        shift.duties.exclude(deputy=gu).delete()
        if not shift.duties.filter(deputy=gu).exists():
            Duty.objects.create(shift=shift, deputy=gu)
    response = login(client, bob).get(GRID, {"station": draft_station.slug, "year": YEAR})
    fair = response.context["fair"]
    counts = {row.deputy.name: row.duties for row in fair.rows}
    assert sum(counts.values()) == Duty.objects.filter(shift__roster__year=YEAR).count()
    assert fair.fairness.spread == max(counts.values()) - min(counts.values()) > 1
    assert [row.deputy for row in fair.over] == [gu]
    assert "最多与最少相差" in response.text and "高于均衡份额" in response.text


def test_publishing_asks_for_confirmation_with_the_fairness_summary_first(client, bob, draft_station, room):
    client = login(client, bob)
    assert client.get(reverse("stations:staff_roster_publish_confirm")).status_code == 405
    response = client.post(
        reverse("stations:staff_roster_publish_confirm"), {"station": draft_station.slug, "year": YEAR}
    )
    assert response.status_code == 200
    assert not DutyShift.objects.published().exists()
    assert "最多与最少相差" in response.text and room.name in response.text
    assert f"确认公布{YEAR}年值班表" in response.text
    assert reverse("stations:staff_roster_publish") in response.text


def test_confirming_with_nothing_left_to_publish_goes_back_to_the_grid(client, bob, published, draft_station):
    Roster.objects.filter(year=YEAR).update(published_at=timezone.now())
    response = login(client, bob).post(
        reverse("stations:staff_roster_publish_confirm"), {"station": draft_station.slug, "year": YEAR}, follow=True
    )
    assert "没有待公布的" in response.text


def test_staff_cannot_generate_or_publish(client, alice, station, room, deputies):
    client = login(client, alice)
    assert (
        client.post(reverse("stations:staff_roster_generate"), {"station": station.slug, "year": YEAR}).status_code
        == 403
    )
    assert (
        client.post(reverse("stations:staff_roster_publish"), {"station": station.slug, "year": YEAR}).status_code
        == 403
    )
    assert not Roster.objects.exists()


def test_deputy_cannot_generate(client, erin, station):
    assert (
        login(client, erin)
        .post(reverse("stations:staff_roster_generate"), {"station": station.slug, "year": YEAR})
        .status_code
        == 403
    )


def test_head_of_another_station_cannot_generate_here(client, station, other_station, room, deputies):
    from tests.conftest import make_user

    head = make_user("frank", role="station_head", station=other_station)
    response = login(client, head).post(
        reverse("stations:staff_roster_generate"), {"station": station.slug, "year": YEAR}
    )
    assert response.status_code == 404
    assert not Roster.objects.exists()


def test_generate_with_a_bad_year_saves_nothing(client, bob, station, room, deputies):
    response = login(client, bob).post(
        reverse("stations:staff_roster_generate"), {"station": station.slug, "year": "abc"}, follow=True
    )
    assert "请选择" in response.text
    assert not Roster.objects.exists()


def test_generation_is_get_proof(client, bob, station):
    assert login(client, bob).get(reverse("stations:staff_roster_generate")).status_code == 405


# --- one shift -----------------------------------------------------------------------------------------


def test_shift_page_for_staff_and_404_for_outsiders(client, alice, charlie, draft_station, room):
    shift = a_shift(room)
    url = reverse("stations:staff_shift", args=[shift.pk])
    response = login(client, alice).get(url)
    assert response.status_code == 200
    assert all(d.deputy.name in response.text for d in shift.duties.all())
    assert "assign_form" not in response.context  # staff cannot change the roster
    client.logout()
    assert login(client, charlie).get(url).status_code == 404


def test_head_swaps_with_a_reason_and_it_shows_in_the_history(client, bob, published, room):
    march, april = a_shift(room, 3), a_shift(room, 4)
    duty = march.duties.exclude(deputy__in=april.deputies.all()).first()
    other = april.duties.exclude(deputy__in=march.deputies.all()).first()
    moving = duty.deputy

    response = login(client, bob).post(
        reverse("stations:staff_shift_swap", args=[march.pk]),
        {"duty": duty.pk, "other_duty": other.pk, "reason": "三月外出学习"},
    )

    assert response.status_code == 302
    april.refresh_from_db()
    assert moving in april.deputies.all() and april.sequence == 1
    page = client.get(reverse("stations:staff_shift", args=[march.pk])).text
    assert "三月外出学习" in page and "bob" in page


def test_the_swap_form_offers_only_duties_that_can_still_be_swapped_grouped_by_day(client, bob, published, room):
    march, april, may = a_shift(room, 3), a_shift(room, 4), a_shift(room, 5)
    marked = may.duties.first()
    marked.attendance = "present"
    marked.save()
    DutyShift.objects.filter(pk=a_shift(room, 6).pk).update(cancelled=True)
    past = DutyShift.objects.create(
        roster=march.roster,
        start=timezone.now() - dt.timedelta(days=3),
        end=timezone.now() - dt.timedelta(days=3, hours=-2),
    )
    past_duty = Duty.objects.create(shift=past, deputy=march.duties.first().deputy)

    response = login(client, bob).get(reverse("stations:staff_shift", args=[march.pk]))
    offered = response.context["swap_form"].fields["other_duty"].queryset
    assert set(offered) >= set(april.duties.all())
    assert marked not in offered and past_duty not in offered
    assert not offered.filter(shift__cancelled=True).exists() and not offered.filter(shift=march).exists()
    text = response.text
    assert text.count("<optgroup") == len({d.shift.start.date() for d in offered})
    assert '<optgroup label="2027年4月20日">' in text
    # A duty not offered is refused if posted anyway.
    response = client.post(
        reverse("stations:staff_shift_swap", args=[march.pk]),
        {"duty": march.duties.first().pk, "other_duty": marked.pk, "reason": "x"},
    )
    assert response.status_code == 200 and Duty.objects.get(pk=marked.pk).shift_id == may.pk


def test_swap_without_a_reason_after_publishing_shows_the_error_and_saves_nothing(client, bob, published, room):
    march, april = a_shift(room, 3), a_shift(room, 4)
    duty = march.duties.exclude(deputy__in=april.deputies.all()).first()
    other = april.duties.exclude(deputy__in=march.deputies.all()).first()

    response = login(client, bob).post(
        reverse("stations:staff_shift_swap", args=[march.pk]), {"duty": duty.pk, "other_duty": other.pk, "reason": ""}
    )

    assert response.status_code == 200
    assert "请填写调整原因" in response.text
    assert Duty.objects.get(pk=duty.pk).deputy_id == duty.deputy_id


def test_staff_cannot_swap_move_assign_or_substitute(client, alice, published, room, deputies):
    shift = a_shift(room)
    client = login(client, alice)
    for name in ("swap", "move", "assign", "substitute", "remove"):
        response = client.post(reverse(f"stations:staff_shift_{name}", args=[shift.pk]), {"reason": "x"})
        assert response.status_code == 403, name
    assert DutyShift.objects.get(pk=shift.pk).sequence == 0


def test_deputy_cannot_write(client, erin, published, room):
    shift = a_shift(room)
    response = login(client, erin).post(reverse("stations:staff_shift_move", args=[shift.pk]), {})
    assert response.status_code == 403


def test_outsider_writing_to_a_shift_gets_404(client, charlie, published, room):
    shift = a_shift(room)
    response = login(client, charlie).post(reverse("stations:staff_shift_move", args=[shift.pk]), {})
    assert response.status_code == 404


def test_head_moves_a_reception_and_the_public_sees_it(client, bob, published, room):
    december = a_shift(room, 12)
    response = login(client, bob).post(
        reverse("stations:staff_shift_move", args=[december.pk]),
        {"date": f"{YEAR}-12-21", "start_time": "09:00", "end_time": "11:30", "reason": "会议室装修"},
    )
    assert response.status_code == 302
    december.refresh_from_db()
    assert december.was_moved and december.sequence == 1
    client.logout()
    public = client.get(reverse("stations:schedule"), {"site": room.slug, "date": f"{YEAR}-12-21"}).text
    assert "由12月20日改至12月21日" in public and "会议室装修" in public


def test_move_with_end_before_start_is_refused(client, bob, published, room):
    shift = a_shift(room)
    response = login(client, bob).post(
        reverse("stations:staff_shift_move", args=[shift.pk]),
        {"date": f"{YEAR}-03-21", "start_time": "11:00", "end_time": "09:00", "reason": "调整"},
    )
    assert response.status_code == 200
    assert "结束" in response.text
    shift.refresh_from_db()
    assert timezone.localtime(shift.start).day == 20


def test_assigning_a_busy_deputy_shows_the_conflict(client, bob, published, room, other_room, district):
    busy = make_deputy(district, "忙碌代表", sites=[room, other_room])
    make_shift(other_room, at(YEAR, 3, 20, 9), deputies=[busy])
    shift = a_shift(room)

    response = login(client, bob).post(
        reverse("stations:staff_shift_assign", args=[shift.pk]), {"deputy": busy.pk, "reason": "补充"}
    )

    assert response.status_code == 200
    assert "忙碌代表已安排于" in response.text and other_room.name in response.text
    assert not shift.duties.filter(deputy=busy).exists()


def test_head_substitutes_a_deputy(client, bob, published, room, district):
    newcomer = make_deputy(district, "新代表", sites=[room])
    shift = a_shift(room)
    duty = shift.duties.first()
    response = login(client, bob).post(
        reverse("stations:staff_shift_substitute", args=[shift.pk]),
        {"duty": duty.pk, "substitute": newcomer.pk, "reason": "原代表住院"},
    )
    assert response.status_code == 302
    assert shift.duties.filter(deputy=newcomer).exists()


def test_head_removes_a_deputy_from_a_draft(client, bob, draft_station, room):
    shift = a_shift(room)
    duty = shift.duties.first()
    response = login(client, bob).post(reverse("stations:staff_shift_remove", args=[shift.pk]), {"duty": duty.pk})
    assert response.status_code == 302
    assert not Duty.objects.filter(pk=duty.pk).exists()


# --- attendance ----------------------------------------------------------------------------------------


@pytest.fixture
def past(room, deputies):
    return make_shift(room, timezone.now() - dt.timedelta(days=2), deputies=deputies[:2], published=True)


def test_staff_mark_attendance(client, alice, past, deputies):
    duty = past.duties.order_by("pk").first()
    prefix = f"duty-{duty.pk}"
    response = login(client, alice).post(
        reverse("stations:staff_duty_attendance", args=[duty.pk]),
        {f"{prefix}-attendance": "absent", f"{prefix}-absence_reason": "leave"},
    )
    assert response.status_code == 302
    duty.refresh_from_db()
    assert (duty.attendance, duty.absence_reason) == ("absent", "leave")


def test_absence_without_reason_shows_the_error_next_to_the_field(client, alice, past):
    duty = past.duties.first()
    prefix = f"duty-{duty.pk}"
    response = login(client, alice).post(
        reverse("stations:staff_duty_attendance", args=[duty.pk]), {f"{prefix}-attendance": "absent"}
    )
    assert response.status_code == 200
    assert "请填写缺席原因" in response.text
    duty.refresh_from_db()
    assert duty.attendance == "unmarked"


def test_attendance_page_shows_forms_only_after_the_start(client, alice, past, room, deputies):
    future = make_shift(room, timezone.now() + dt.timedelta(days=2), deputies=deputies[:1])
    client = login(client, alice)
    assert client.get(reverse("stations:staff_shift", args=[past.pk])).context["attendance_forms"]
    assert not client.get(reverse("stations:staff_shift", args=[future.pk])).context["attendance_forms"]


def test_deputy_and_outsider_cannot_mark_attendance(client, erin, charlie, past):
    duty = past.duties.first()
    url = reverse("stations:staff_duty_attendance", args=[duty.pk])
    assert login(client, erin).post(url, {}).status_code == 403
    client.logout()
    assert login(client, charlie).post(url, {}).status_code == 404
    duty.refresh_from_db()
    assert duty.attendance == "unmarked"


def test_attendance_requires_sign_in(client, past):
    duty = past.duties.first()
    response = client.post(reverse("stations:staff_duty_attendance", args=[duty.pk]), {})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_roster_year_grid_is_empty_for_a_year_without_rosters(client, bob, station):
    response = login(client, bob).get(GRID, {"year": 2031})
    assert response.status_code == 200
    assert response.context["missing_count"] == 1
