"""Public roster pages: /schedule/, the calendar feeds, the wall poster and the schedule template tags."""

import datetime as dt
import re

import pytest
import segno
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from stations.audit import Actor
from stations.models import DutyShift, Roster
from stations.services.rosters import roster_generate, roster_publish, shift_move, shift_swap
from stations.views.schedule import SHIFTS_PER_PAGE
from tests.conftest import make_deputy
from tests.factories_rosters import at, make_shift, many_sites_with_shifts

SCHEDULE = reverse("stations:schedule")


def next_20th(today=None):
    today = today or timezone.localdate()
    if today.day <= 20:
        return today.replace(day=20)
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=20)


@pytest.fixture
def published_year(room, deputies):
    """The 金星 room's roster for the year of the next 20th, published, and the year after it too (so every
    deputy has coming duties even in December)."""
    year = next_20th().year
    for each in (year, year + 1):
        roster_generate(site=room, year=each, actor=Actor.system())
        roster_publish(roster=Roster.objects.get(site=room, year=each), actor=Actor.system())
    return Roster.objects.get(site=room, year=year)


# --- /schedule/ ----------------------------------------------------------------------------------------


def test_schedule_opens_on_a_town_chooser_with_the_district_list_one_click_away(client, published_year, room):
    response = client.get(SCHEDULE)

    assert response.status_code == 200
    text = response.text
    assert "选择您所在的镇（街道）" in text
    assert f'href="{SCHEDULE}?town={room.parent.slug}"' in text and room.parent.town in text
    assert f'href="{SCHEDULE}?date={next_20th().isoformat()}"' in text  # the whole district
    assert room.address not in text  # no list of every site


def test_the_chosen_towns_next_reception_day_shows_with_deputies_and_is_remembered(
    client, published_year, room, other_room, deputies, district
):
    outsider = make_deputy(district, "凤桥代表", sites=[other_room])
    make_shift(other_room, at(next_20th().year, next_20th().month, 20), deputies=[outsider], published=True)
    shift = DutyShift.objects.get(roster=published_year, start__date=next_20th())
    on_duty = [duty.deputy.name for duty in shift.duties.all()]

    response = client.get(SCHEDULE, {"town": room.parent.slug})

    assert response.status_code == 200
    assert response.context["day"] == next_20th()
    text = response.text
    assert room.name in text and room.address in text and "09:00–11:30" in text
    assert all(name in text for name in on_duty)
    assert "凤桥代表" not in text  # another town's reception
    assert f"{room.parent.town}下一个接待日" in text
    assert response.cookies["schedule_town"].value == room.parent.slug
    # Next time the schedule opens on the town; choosing "no town" forgets it.
    assert client.get(SCHEDULE).context["station"] == room.parent
    response = client.get(SCHEDULE, {"town": ""})
    assert response.context["station"] is None and response.cookies["schedule_town"].value == ""


def test_an_unknown_town_in_a_link_is_404_and_a_stale_cookie_is_forgotten(client, db):
    assert client.get(SCHEDULE, {"town": "nowhere"}).status_code == 404
    client.cookies["schedule_town"] = "gone"
    response = client.get(SCHEDULE)
    assert response.status_code == 200 and response.context["station"] is None


def test_the_district_wide_day_still_answers_to_date(client, published_year, room):
    response = client.get(SCHEDULE, {"date": next_20th().isoformat()})
    assert response.context["mode"] == "day" and room.name in response.text


def test_schedule_filters_by_site_and_date(client, published_year, room, other_room, deputies, district):
    outsider = make_deputy(district, "凤桥代表", sites=[other_room])
    make_shift(other_room, at(published_year.year, 3, 20), deputies=[outsider], published=True)

    response = client.get(SCHEDULE, {"site": room.slug, "date": f"{published_year.year}-03-20"})

    assert room.name in response.text
    assert "凤桥代表" not in response.text
    assert len(response.context["shifts"]) == 1


def test_schedule_for_a_deputy_lists_their_coming_duties(client, published_year, deputies):
    deputy = deputies[1]
    response = client.get(SCHEDULE, {"deputy": deputy.slug})
    shifts = response.context["shifts"]
    assert shifts
    assert all(deputy in shift.deputies.all() for shift in shifts)
    assert all(shift.end >= timezone.now() for shift in shifts)


def test_a_day_without_receptions_is_explained(client, published_year):
    response = client.get(SCHEDULE, {"date": f"{published_year.year}-03-21"})
    assert response.status_code == 200
    assert "没有已公布的接待安排" in response.text
    assert "每月20日" in response.text


def test_a_site_without_a_published_roster_is_explained(client, room, deputies):
    roster_generate(site=room, year=next_20th().year, actor=Actor.system())  # a draft: not public
    response = client.get(SCHEDULE, {"site": room.slug})
    assert response.context["shifts"] == []
    assert "尚未公布" in response.text
    assert not any(deputy.name in response.text for deputy in deputies)


def test_drafts_never_show_publicly(client, room, deputies):
    roster_generate(site=room, year=next_20th().year, actor=Actor.system())
    response = client.get(SCHEDULE, {"date": next_20th().isoformat()})
    assert response.context["shifts"] == []


def test_unknown_site_or_deputy_is_404(client, db):
    assert client.get(SCHEDULE, {"site": "nowhere"}).status_code == 404
    assert client.get(SCHEDULE, {"deputy": "nobody"}).status_code == 404


def test_a_bad_date_is_reported_in_chinese_and_the_next_day_shown(client, published_year):
    response = client.get(SCHEDULE, {"date": "2027-02-31"})
    assert response.status_code == 200
    assert "有效的日期" in response.text
    assert response.context["day"] == next_20th()


def test_a_moved_reception_is_shown_as_moved(client, published_year, bob):
    shift = DutyShift.objects.get(roster=published_year, start__date=next_20th())
    new_day = shift.start + dt.timedelta(days=1)
    shift_move(
        shift=shift, start=new_day, end=new_day + dt.timedelta(hours=2), actor=Actor(user=bob), reason="村委会换届"
    )

    response = client.get(SCHEDULE, {"date": timezone.localtime(new_day).date().isoformat()})

    assert "改至" in response.text and "村委会换届" in response.text


def test_schedule_across_hundreds_of_sites_runs_a_bounded_number_of_queries(
    client, district, django_assert_max_num_queries
):
    day = next_20th()
    sites, shifts = many_sites_with_shifts(district, day=day, stations=20, rooms_per_station=14, deputies_per_site=2)
    assert len(shifts) == 300

    # The district-wide list of the day (one click from the town chooser), a page at a time (issue 15).
    with django_assert_max_num_queries(8):
        response = client.get(SCHEDULE, {"date": day.isoformat()})

    assert response.status_code == 200
    assert len(response.context["shifts"]) == SHIFTS_PER_PAGE
    assert "第 1 页，共 10 页" in response.text
    with django_assert_max_num_queries(8):
        last = client.get(SCHEDULE, {"date": day.isoformat(), "page": "10"})
    assert "室9-9" in last.text and "室9-9" not in response.text  # the last town in the order of names
    seen = {
        shift.pk
        for n in range(1, 11)
        for shift in client.get(SCHEDULE, {"date": day.isoformat(), "page": n}).context["shifts"]
    }
    assert seen == {shift.pk for shift in shifts}  # every reception on exactly one page


def test_a_towns_schedule_runs_a_bounded_number_of_queries_and_stays_small(
    client, district, django_assert_max_num_queries
):
    day = next_20th()
    # 300 sites, as in the district-wide test: enough for an N+1 to show.
    many_sites_with_shifts(district, day=day, stations=20, rooms_per_station=14, deputies_per_site=2)

    # towns, the town's next day, its shifts, their duties with deputies, the deputies' mandates
    with django_assert_max_num_queries(6):
        response = client.get(SCHEDULE, {"town": "bulk-station-7"})

    assert len(response.context["shifts"]) == 15
    assert "室7-13" in response.text and "室8-0" not in response.text
    district_day = client.get(SCHEDULE, {"date": day.isoformat()})
    # Issue 15: the district's day is a page of receptions now, no longer ten times the town's.
    assert len(response.content) < len(district_day.content) < 100_000


# --- calendar feeds ------------------------------------------------------------------------------------


def events_of(response):
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_site_calendar_is_valid_ical_with_timezone_location_and_stable_uids(client, published_year, room):
    url = reverse("stations:site_calendar", args=[room.slug])
    calendar, events = events_of(client.get(url))

    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    upcoming = DutyShift.objects.published().filter(roster__site=room, end__gte=timezone.now())
    assert set(events) >= {shift.ical_uid for shift in upcoming}
    event = events[upcoming.first().ical_uid]
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Asia/Shanghai" and (start.day, start.hour) == (20, 9)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert room.address in str(event["LOCATION"])
    assert int(event["SEQUENCE"]) == 0
    # The same feed fetched again gives the same UIDs (a subscribed phone must not duplicate events).
    assert set(events_of(client.get(url))[1]) == set(events)


def test_calendar_sequence_rises_after_a_swap(client, published_year, room, bob):
    first, second = DutyShift.objects.filter(roster__site=room, end__gte=timezone.now()).order_by("start")[:2]
    duty = first.duties.exclude(deputy__in=second.deputies.all()).first()
    other = second.duties.exclude(deputy__in=first.deputies.all()).first()
    shift_swap(duty=duty, other_duty=other, actor=Actor(user=bob), reason="出差")

    _, events = events_of(client.get(reverse("stations:site_calendar", args=[room.slug])))

    assert int(events[first.ical_uid]["SEQUENCE"]) == 1
    assert other.deputy.name in str(events[first.ical_uid]["DESCRIPTION"])


def test_calendars_hold_published_shifts_only(client, room, deputies):
    draft = make_shift(room, timezone.now() + dt.timedelta(days=10), deputies=deputies[:1])
    _, site_events = events_of(client.get(reverse("stations:site_calendar", args=[room.slug])))
    _, deputy_events = events_of(client.get(reverse("stations:deputy_calendar", args=[deputies[0].slug])))
    assert draft.ical_uid not in site_events and draft.ical_uid not in deputy_events


def test_deputy_calendar_lists_the_deputys_duties_at_every_site(client, room, other_room, deputies):
    soon = timezone.now() + dt.timedelta(days=5)
    here = make_shift(room, soon, deputies=deputies[:1], published=True)
    there = make_shift(other_room, soon + dt.timedelta(days=1), deputies=deputies[:1], published=True)
    not_mine = make_shift(room, soon + dt.timedelta(days=2), deputies=deputies[1:2], published=True)

    _, events = events_of(client.get(reverse("stations:deputy_calendar", args=[deputies[0].slug])))

    assert set(events) == {here.ical_uid, there.ical_uid}
    assert not_mine.ical_uid not in events
    assert other_room.name in str(events[there.ical_uid]["SUMMARY"])


def test_calendar_of_unknown_site_is_404(client, db):
    assert client.get(reverse("stations:site_calendar", args=["nowhere"])).status_code == 404


# --- the poster ----------------------------------------------------------------------------------------


def test_poster_shows_site_deputies_levels_days_and_a_local_qr_code(client, published_year, room, deputies, settings):
    settings.PORTAL_URL = "http://rdlianluo.nanhu.example"
    room.parent.phone = "0573-83361234"
    room.parent.save()
    response = client.get(reverse("stations:site_poster", args=[room.slug]), HTTP_HOST="127.0.0.1")

    assert response.status_code == 200
    text = response.text
    assert room.name in text and room.address in text
    assert all(deputy.name in text for deputy in deputies)
    assert "市级" in text and "区级" in text and "镇级" in text
    assert len(response.context["shifts"]) == 12
    assert "<svg" in text and "poster-qr" in text
    assert re.search(r"电话：\s*0573-83361234", text)  # the room has no line of its own: its station's
    target = response.context["page_url"]
    # PORTAL_URL, not the address of the computer printing the poster.
    assert target == f"http://rdlianluo.nanhu.example{room.get_absolute_url()}"
    # The QR code is the one segno makes for exactly that address (nothing fetched from elsewhere).
    expected = segno.make(target, error="m").svg_inline(scale=4, border=2, omitsize=True, svgclass="poster-qr")
    path = re.search(r'd="([^"]+)"', expected).group(1)
    assert path in text
    assert "https://" not in text


def test_poster_qr_points_at_the_site_page_once_it_exists(client, published_year, room, settings):
    settings.ROOT_URLCONF = "tests.urls_with_site_pages"
    settings.PORTAL_URL = "https://rdlianluo.nanhu.example/"
    response = client.get(reverse("stations:site_poster", args=[room.slug]))
    assert response.context["page_url"] == f"https://rdlianluo.nanhu.example/sites/{room.slug}/"


def test_poster_before_publication_says_the_roster_is_not_out(client, room, deputies):
    response = client.get(reverse("stations:site_poster", args=[room.slug]))
    assert response.status_code == 200
    assert "尚未公布" in response.text


# --- template tags for the site and deputy pages ------------------------------------------------------


def render(source, **context):
    return Template("{% load schedule_tags %}" + source).render(Context(context))


def test_site_schedule_tag_shows_the_next_reception_and_the_years_roster(published_year, room, bob):
    shift = DutyShift.objects.get(roster=published_year, start__date=next_20th())
    html = render("{% site_schedule site %}", site=room)
    assert "下次接待" in html
    assert all(duty.deputy.name in html for duty in shift.duties.all())
    assert html.count("<tr") == 1 + published_year.shifts.count()  # the header row and every reception
    assert reverse("stations:site_calendar", args=[room.slug]) in html


def test_deputy_duties_tag_lists_coming_duties_and_marks_moved_ones(published_year, deputies, bob):
    deputy = deputies[0]
    shift = (
        DutyShift.objects.filter(roster__site=published_year.site, duties__deputy=deputy, end__gte=timezone.now())
        .order_by("start")
        .first()
    )
    assert shift is not None
    shift_move(
        shift=shift,
        start=shift.start + dt.timedelta(hours=5),
        end=shift.end + dt.timedelta(hours=5),
        actor=Actor(user=bob),
        reason="改下午",
    )

    html = render("{% deputy_duties deputy %}", deputy=deputy)

    assert "近期值班" in html and published_year.site.name in html
    assert "由09:00改至14:00" in html


def test_deputy_duties_tag_says_when_there_is_nothing(deputies):
    html = render("{% deputy_duties deputy %}", deputy=deputies[0])
    assert "暂无" in html


def test_schedule_nav_item_is_on_every_page(client, db):
    assert f'href="{SCHEDULE}"' in client.get("/").text


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "区级、镇级"), ("en", "district level, town level")])
def test_a_deputys_levels_are_listed_with_the_languages_own_separator(district, room, language, expected):
    import datetime as dt

    from django.utils import translation

    from stations.models import Mandate

    deputy = make_deputy(district, "两级代表", level="district", sites=[room])
    Mandate.objects.create(deputy=deputy, level="town", term_start=dt.date(2022, 1, 1), term_end=dt.date(2027, 1, 1))
    with translation.override(language):
        rendered = Template("{% load schedule_tags %}{{ deputy|levels }}").render(Context({"deputy": deputy}))
    assert rendered == expected


def test_schedule_lists_a_station_before_its_rooms_and_points(client, station, room, point, deputies):
    day = at(next_20th().year, 3, 20)
    # Created in the reverse order, and named so that neither the alphabet nor the kind's code puts them right.
    for site in (point, room, station):
        make_shift(site, day, deputies=deputies[:1], published=True)

    response = client.get(SCHEDULE, {"date": day.date().isoformat()})

    assert [shift.roster.site for shift in response.context["shifts"]] == [station, room, point]
    text = response.text
    assert text.index(station.name) < text.index(room.name) < text.index(point.name)


def test_the_schedule_site_select_lists_a_station_before_its_rooms_and_points(client, station, room, point):
    response = client.get(SCHEDULE, {"site": ""})  # the district-wide filters

    select = re.search(r'<select name="site".*?</select>', response.text, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', select) == [station.slug, room.slug, point.slug]


def test_the_poster_and_the_site_schedule_give_photos_a_width_and_height(client, published_year, room, deputies):
    for deputy in deputies:
        deputy.photo.name = f"deputies/{deputy.slug}.jpg"
        deputy.save()
    for page in (reverse("stations:site_poster", args=[room.slug]), room.get_absolute_url()):
        imgs = [tag for tag in re.findall(r"<img\b[^>]*>", client.get(page).text) if "/media/deputies/" in tag]
        assert any("poster-photo" in tag or "deputy-thumb" in tag for tag in imgs), page
        for tag in imgs:
            assert re.search(r'\bwidth="\d+"', tag) and re.search(r'\bheight="\d+"', tag), (page, tag)


# --- add to calendar -----------------------------------------------------------------------------------


def test_add_to_calendar_explains_itself_and_offers_a_webcal_subscription_on_the_portals_address(
    client, published_year, room, deputies, settings
):
    settings.PORTAL_URL = "https://rdlianluo.nanhu.example"
    feed = reverse("stations:site_calendar", args=[room.slug])
    for page in (room.get_absolute_url(), f"{SCHEDULE}?site={room.slug}"):
        text = client.get(page).text
        assert "添加到日历" in text and "自动更新" in text
        assert f'href="webcal://rdlianluo.nanhu.example{feed}"' in text
        assert f'href="{feed}" download' in text
    deputy_feed = reverse("stations:deputy_calendar", args=[deputies[0].slug])
    assert f"webcal://rdlianluo.nanhu.example{deputy_feed}" in client.get(SCHEDULE, {"deputy": deputies[0].slug}).text


def test_calendar_uids_carry_the_portals_domain_and_event_links_its_address(client, published_year, room, settings):
    settings.PORTAL_URL = "https://rdlianluo.nanhu.example:8443"
    _calendar, events = events_of(client.get(reverse("stations:site_calendar", args=[room.slug])))
    assert events and all(uid.endswith("@rdlianluo.nanhu.example") for uid in events)
    assert all(str(event["URL"]).startswith("https://rdlianluo.nanhu.example:8443/") for event in events.values())


def test_a_past_event_names_the_deputy_who_came(client, room, deputies, district):
    stand_in = make_deputy(district, "代班代表", sites=[room])
    shift = make_shift(room, timezone.now() - dt.timedelta(days=2), deputies=deputies, published=True)
    came, absent, replaced = shift.duties.order_by("pk")
    absent.attendance, absent.absence_reason = "absent", "illness"
    absent.save()
    replaced.attendance, replaced.substitute = "substituted", stand_in
    replaced.save()
    came.attendance = "present"
    came.save()

    _calendar, events = events_of(client.get(reverse("stations:site_calendar", args=[room.slug])))
    description = str(events[shift.ical_uid]["DESCRIPTION"])
    assert came.deputy.name in description and "代班代表" in description
    assert absent.deputy.name not in description and replaced.deputy.name not in description
    # The site's roster on its page says the same.
    row = re.search(r'<tr class="roster-past">.*?</tr>', client.get(room.get_absolute_url()).text, re.S).group(0)
    assert absent.deputy.name not in row and "代班代表" in row


# --- a portal of several districts (issue 15): the schedule is for a district, a town or a site -----------------


@pytest.fixture
def second_district_shift(published_year):
    from stations.models import District, Site, SiteKind

    other = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    far = Site.objects.create(
        district=other, kind=SiteKind.STATION, name="王江泾镇代表联络站", slug="wjj", town="王江泾镇"
    )
    far_deputy = make_deputy(other, "王江代表", sites=[far], slug="wang-jiang")
    return make_shift(far, at(next_20th().year, next_20th().month, 20), deputies=[far_deputy], published=True)


def test_with_several_districts_the_schedule_asks_for_the_district_then_the_town(client, room, second_district_shift):
    first = client.get(SCHEDULE)
    assert "选择您所在的区" in first.text
    assert f'href="{SCHEDULE}?district=xiuzhou"' in first.text and f'href="{SCHEDULE}?district=nanhu"' in first.text
    assert f"?town={room.parent.slug}" not in first.text  # no town of every district at once
    towns = client.get(SCHEDULE, {"district": "nanhu"}).text
    assert f'href="{SCHEDULE}?town={room.parent.slug}"' in towns and "王江泾镇" not in towns
    assert client.get(SCHEDULE, {"district": "nowhere"}).status_code == 404
    # A town chosen in a link names its district.
    assert client.get(SCHEDULE, {"town": "wjj"}).context["district"].slug == "xiuzhou"


def test_a_day_is_shown_for_a_district_or_a_town_never_for_every_district_at_once(client, room, second_district_shift):
    day = next_20th().isoformat()
    unscoped = client.get(SCHEDULE, {"date": day})
    assert unscoped.context["shifts"] == [] and "选择您所在的区" in unscoped.text
    assert f"?date={day}&amp;district=xiuzhou" in unscoped.text
    xiuzhou = client.get(SCHEDULE, {"date": day, "district": "xiuzhou"})
    assert [shift.pk for shift in xiuzhou.context["shifts"]] == [second_district_shift.pk]
    nanhu_town = client.get(SCHEDULE, {"date": day, "town": room.parent.slug})
    assert {shift.roster.site for shift in nanhu_town.context["shifts"]} == {room}
    assert "王江代表" not in nanhu_town.text
