"""The staff home page: the station's day."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from stations.audit import Actor
from stations.models import State
from stations.services.opinions import opinion_register
from tests.factories_visits import make_shift, make_visit, shift_now

URL = reverse("stations:staff_home")


def test_staff_home_sends_anonymous_users_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_home_sends_a_deputy_account_to_their_own_record(client, erin):
    client.force_login(erin)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == reverse("stations:deputy_record", kwargs={"slug": erin.membership.deputy.slug})
    page = client.get(response.url).text
    assert erin.membership.deputy.name in page
    assert "我的履职档案" in page  # the header's link for a deputy, instead of the staff workspace


def test_a_user_without_a_role_is_refused_the_staff_home(client, db):
    from tests.conftest import make_user

    client.force_login(make_user("nobody", role=None))
    assert client.get(URL).status_code == 403


def test_staff_home_shows_the_stations_day(alice_client, alice, room, deputies):
    shift_now(room, deputies=deputies[:2])
    make_shift(room, start=timezone.now() - dt.timedelta(days=1), deputies=deputies[2:])
    make_visit(room, alice, summary="今天的来访", occurred_at=timezone.now() - dt.timedelta(minutes=1))
    make_visit(room, alice, summary="上个月的来访", occurred_at=timezone.now() - dt.timedelta(days=40))
    waiting = opinion_register(site=room, category="environment", content="河道有垃圾", actor=Actor(user=alice))
    accepted = opinion_register(site=room, category="environment", content="已受理的意见", actor=Actor(user=alice))
    accepted.state = State.ACCEPTED
    accepted.save()

    response = alice_client.get(URL)
    assert response.status_code == 200
    html = response.text
    assert "顾海明" in html and "黄美勤" in html
    assert "李建国" not in html  # on duty yesterday only
    assert "今天的来访" in html
    assert "上个月的来访" not in html
    assert waiting.reference in html
    assert accepted.reference not in html
    assert response.context["waiting_count"] == 1
    assert f"{reverse('stations:visit_create')}?site={room.pk}" in html


def test_staff_home_shows_nothing_of_another_station(client, charlie, alice, room, deputies):
    shift_now(room, deputies=deputies)
    make_visit(room, alice, summary="余新镇今天的来访", occurred_at=timezone.now() - dt.timedelta(minutes=1))
    opinion = opinion_register(site=room, category="other", content="余新镇的意见", actor=Actor(user=alice))
    client.force_login(charlie)
    html = client.get(URL).text
    assert "余新镇今天的来访" not in html
    assert "顾海明" not in html
    assert opinion.reference not in html


def test_an_administrators_home_shows_the_first_of_many_shifts_and_visits_with_their_counts(
    client, dana, alice, room, deputies, django_assert_max_num_queries
):
    from stations.views.staff import SHIFTS_SHOWN, VISITS_SHOWN

    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    for n in range(SHIFTS_SHOWN + 5):
        make_shift(room, start=midnight + dt.timedelta(minutes=n), deputies=deputies[:1])
    for n in range(VISITS_SHOWN + 5):
        make_visit(
            room, alice, summary=f"今日来访{n:02d}", occurred_at=max(now - dt.timedelta(seconds=n + 1), midnight)
        )
    client.force_login(dana)
    with django_assert_max_num_queries(17):  # as many for 25 as for 2: a page of each, and their counts
        response = client.get(URL)
    html = response.text
    assert len(response.context["shifts"]) == SHIFTS_SHOWN and response.context["shift_count"] == SHIFTS_SHOWN + 5
    assert html.count("今日来访") == VISITS_SHOWN and response.context["visit_count"] == VISITS_SHOWN + 5
    assert "今日来访00" in html and "今日来访24" not in html  # the latest first
    today = timezone.localdate(now).isoformat()
    assert f"{reverse('stations:visit_list')}?date_from={today}&amp;date_to={today}" in html
    assert reverse("stations:staff_rosters") in html
