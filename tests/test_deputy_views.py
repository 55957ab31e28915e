"""A deputy's own pages (/me/), the private calendar feed, and the head's page deciding swap requests."""

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from stations.audit import Actor
from stations.clock import local_today
from stations.models import CalendarFeed, Opinion, SwapRequest, SwapStatus, Unavailability
from stations.services import opinions as opinion_services
from tests.factories_rosters import at, make_shift
from tests.factories_visits import bulk_visits, make_visit

NEXT_YEAR = local_today().year + 1
VOTER_PHONE = "13912345678"


@pytest.fixture
def erin_client(client, erin):
    client.force_login(erin)
    return client


@pytest.fixture
def duties(room, deputies):
    """gu-haiming (erin) in March, li-jianguo in April: coming duties on a published roster."""
    march = make_shift(room, at(NEXT_YEAR, 3, 20), deputies=[deputies[0]], published=True)
    april = make_shift(room, at(NEXT_YEAR, 4, 20), deputies=[deputies[2]], published=True)
    return march.duties.get(), april.duties.get()


def test_the_deputy_sees_coming_duties_and_the_opinions_of_their_receptions_without_voters_data(
    erin_client, duties, room, alice, deputies
):
    visit = make_visit(room, alice, deputies=[deputies[0]], visitor_name="王小明", visitor_phone=VOTER_PHONE)
    opinion_services.opinion_register(
        site=room,
        category="environment",
        content="河道有垃圾，请回电13811112222。",
        visit=visit,
        submitter_name="王小明",
        submitter_phone=VOTER_PHONE,
        consent=True,
        actor=Actor.system(),
    )
    page = erin_client.get(reverse("stations:deputy_home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"{NEXT_YEAR}-03-20 09:00" in html and "金星村代表联络室" in html
    assert reverse("stations:deputy_swap_request", args=[duties[0].pk]) in html
    assert "河道有垃圾" in html and "138****2222" in html
    assert "13811112222" not in html and VOTER_PHONE not in html and "王小明" not in html
    assert "no-store" in page["Cache-Control"]


def test_a_declared_date_is_listed_and_a_bad_one_is_an_error_next_to_the_field(erin_client, deputies):
    day = local_today() + dt.timedelta(days=30)
    response = erin_client.post(reverse("stations:deputy_unavailable_add"), {"date": day.isoformat(), "reason": "出差"})
    assert response.status_code == 302
    assert Unavailability.objects.filter(deputy=deputies[0], date=day).exists()
    assert day.isoformat() in erin_client.get(reverse("stations:deputy_home")).content.decode()

    response = erin_client.post(reverse("stations:deputy_unavailable_add"), {"date": local_today().isoformat()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择今天以后的日期。" in html and 'id="date-error"' in html
    assert Unavailability.objects.count() == 1


def test_the_deputy_asks_for_a_swap_and_the_head_approves_it(erin_client, client, duties, bob, deputies):
    mine, theirs = duties
    form = erin_client.get(reverse("stations:deputy_swap_request", args=[mine.pk]))
    assert "李建国" in form.content.decode()  # the colleague's April duty is offered
    response = erin_client.post(
        reverse("stations:deputy_swap_request", args=[mine.pk]), {"other_duty": theirs.pk, "reason": "外出学习"}
    )
    assert response.status_code == 302
    home = erin_client.get(reverse("stations:deputy_home")).content.decode()
    assert "已申请调班：等待站长处理" in home
    swap = SwapRequest.objects.get()

    client.force_login(bob)
    queue = client.get(reverse("stations:swap_requests")).content.decode()
    assert "顾海明" in queue and "外出学习" in queue
    response = client.post(reverse("stations:swap_request_decide", args=[swap.pk]), {"decision": "approve"})
    assert response.status_code == 302
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED
    mine.refresh_from_db()
    assert mine.deputy == deputies[2]


def test_refusing_without_a_note_is_an_error_and_decides_nothing(client, duties, bob, deputies):
    mine, theirs = duties
    swap = SwapRequest.objects.create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="生病")
    client.force_login(bob)
    response = client.post(reverse("stations:swap_request_decide", args=[swap.pk]), {"decision": "refuse"})
    assert response.status_code == 400
    assert "请告知代表不予批准的原因。" in response.content.decode()
    swap.refresh_from_db()
    assert swap.status == SwapStatus.PENDING


def test_another_stations_head_does_not_see_the_request(client, duties, deputies, other_station):
    from tests.conftest import make_user

    mine, theirs = duties
    swap = SwapRequest.objects.create(deputy=deputies[0], duty=mine, other_duty=theirs, reason="生病")
    client.force_login(make_user("frank", role="station_head", station=other_station))
    assert "生病" not in client.get(reverse("stations:swap_requests")).content.decode()
    response = client.post(reverse("stations:swap_request_decide", args=[swap.pk]), {"decision": "approve"})
    assert response.status_code == 404


def test_the_private_calendar_has_the_duties_with_a_reminder_and_stops_when_revoked(erin_client, client, duties):
    erin_client.post(reverse("stations:deputy_calendar_feed"), {"action": "issue"})
    feed = CalendarFeed.objects.get()
    home = erin_client.get(reverse("stations:deputy_home")).content.decode()
    assert feed.token in home
    url = reverse("stations:deputy_private_calendar", args=[feed.token])

    response = client.get(url)  # a phone's calendar app, not signed in
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [event.decoded("dtstart").date() for event in events] == [dt.date(NEXT_YEAR, 3, 20)]
    alarms = events[0].walk("VALARM")
    assert alarms and alarms[0].decoded("trigger") == -dt.timedelta(days=1)

    erin_client.post(reverse("stations:deputy_calendar_feed"), {"action": "revoke"})
    assert client.get(url).status_code == 404


def test_the_deputy_page_stays_within_a_query_bound_with_many_opinions(
    erin_client, duties, room, alice, deputies, django_assert_max_num_queries
):
    visits = bulk_visits(room, alice, 60, deputies=[deputies[0]])
    Opinion.objects.bulk_create(
        Opinion(
            reference=f"R{n}", tracking_code=f"T{n:010d}", site=room, visit=visit, content=f"意见{n}", category="other"
        )
        for n, visit in enumerate(visits)
    )
    # 16, and the deputy's own activities of the year (their entries, their counts by kind and hours, the form's
    # sites): a fixed number, whatever the number of opinions.
    with django_assert_max_num_queries(20):
        response = erin_client.get(reverse("stations:deputy_home"))
    assert response.status_code == 200
    assert "共60条，显示最近50条。" in response.content.decode()


def test_the_heads_swap_page_stays_within_a_query_bound_with_many_requests(
    client, room, district, bob, django_assert_max_num_queries
):
    from tests.conftest import make_deputy

    people = [make_deputy(district, f"代表{n}", sites=[room]) for n in range(30)]
    for n, deputy in enumerate(people):
        mine = make_shift(room, at(NEXT_YEAR, 1 + n % 12, 1 + n // 12, 9), deputies=[deputy], published=True)
        theirs = make_shift(room, at(NEXT_YEAR, 1 + n % 12, 10 + n // 12, 9), deputies=[people[n - 1]], published=True)
        SwapRequest.objects.create(deputy=deputy, duty=mine.duties.get(), other_duty=theirs.duties.get(), reason="出差")
    client.force_login(bob)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("stations:swap_requests"))
    assert response.status_code == 200
    assert response.content.decode().count('name="decision" value="approve"') == 30


def test_the_deputy_records_an_activity_of_their_own_and_it_counts_in_their_record(erin_client, deputies, alice):
    from stations.models import AuditEntry, DeputyActivity

    response = erin_client.post(
        reverse("stations:deputy_activity_add"),
        {"kind": "inspection", "held_on": local_today().isoformat(), "title": "视察村口河道整治"},
    )

    assert response.status_code == 302
    activity = DeputyActivity.objects.get(deputy=deputies[0])
    assert activity.title == "视察村口河道整治"
    assert AuditEntry.objects.filter(action="activity.recorded", actor__username="erin").exists()
    assert "视察村口河道整治" in erin_client.get(reverse("stations:deputy_home")).content.decode()


def test_a_bad_activity_is_an_error_next_to_the_field_and_saves_nothing(erin_client, deputies):
    from stations.models import DeputyActivity

    response = erin_client.post(
        reverse("stations:deputy_activity_add"), {"kind": "inspection", "held_on": "2199-01-01", "title": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="title-error"' in html or "id_title" in html and "必填" in html
    assert not DeputyActivity.objects.exists()
