"""Pages of the online station, the tracking page and the staff's opinion pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.audit import Actor
from stations.models import (
    AuditAction,
    AuditEntry,
    Category,
    Opinion,
    OpinionEvent,
    Satisfaction,
    Site,
    State,
    ThrottleHit,
    Visit,
)
from stations.services import opinions as services
from stations.throttle import SUBMIT_SCOPE
from tests.factories_opinions import bulk_opinions, make_body, make_opinion

NEW = reverse("stations:opinion_create")
LIST = reverse("stations:staff_opinion_list")
ELEVEN_DIGITS = re.compile(r"\d{11}")


def valid_post(site, **overrides) -> dict:
    data = {
        "site": site.pk,
        "category": Category.TRANSPORT,
        "content": "金星村村道路灯损坏多日，夜间出行不便。",
        "submitter_name": "",
        "submitter_phone": "",
        "submitter_email": "",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def detail_url(opinion) -> str:
    return reverse("stations:staff_opinion_detail", kwargs={"pk": opinion.pk})


def track_url(opinion) -> str:
    return reverse("stations:track_detail", kwargs={"code": opinion.tracking_code})


# --- the online station ------------------------------------------------------------------------------


def test_the_form_offers_only_online_sites_and_preselects_the_one_in_the_link(client, room, other_room):
    response = client.get(NEW, {"site": room.slug})
    assert response.status_code == 200
    html = response.text
    assert f'<option value="{room.pk}" selected>' in html
    assert room.name in html
    assert other_room.name not in html  # 凤桥村 room is not an online station
    assert 'name="website"' in html and "hp-field" in html


def test_a_submission_is_saved_and_the_confirmation_shows_the_tracking_code(client, room):
    response = client.post(NEW, valid_post(room))

    assert response.status_code == 302
    assert response["Location"] == reverse("stations:opinion_submitted")
    opinion = Opinion.objects.get()
    assert (opinion.site, opinion.source, opinion.state) == (room, "online", State.REGISTERED)
    assert opinion.consent_at is None
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert opinion.tracking_code in page.text
    assert "查询码" in page.text
    assert "css/opinions.css" in page.text  # the print styles


def test_the_confirmation_without_a_submission_leads_back_to_the_form(client, db):
    response = client.get(reverse("stations:opinion_submitted"))
    assert response.status_code == 302
    assert response["Location"] == NEW


def test_a_filled_honeypot_saves_nothing(client, room):
    response = client.post(NEW, valid_post(room, website="http://spam.example"))
    assert response.status_code == 400
    assert not Opinion.objects.exists()


def test_a_phone_without_consent_is_refused_next_to_the_consent_box(client, room):
    response = client.post(NEW, valid_post(room, submitter_phone="13812345678"))

    assert response.status_code == 400
    assert "须勾选同意" in response.text
    assert not Opinion.objects.exists()
    ok = client.post(NEW, valid_post(room, submitter_phone="13812345678", consent="on"))
    assert ok.status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.submitter_phone == "13812345678"
    assert opinion.consent_at is not None


def test_a_wrong_phone_number_is_explained_in_chinese(client, room):
    response = client.post(NEW, valid_post(room, submitter_phone="12345", consent="on"))
    assert response.status_code == 400
    assert "请输入大陆手机号码" in response.text
    assert not Opinion.objects.exists()


def test_a_site_that_is_not_online_cannot_be_chosen(client, other_room):
    response = client.post(NEW, valid_post(other_room))
    assert response.status_code == 400
    assert not Opinion.objects.exists()


def test_the_sixth_submission_in_ten_minutes_gets_429_and_saves_nothing(client, room):
    for _ in range(5):
        assert client.post(NEW, valid_post(room)).status_code == 302

    response = client.post(NEW, valid_post(room))

    assert response.status_code == 429
    assert Opinion.objects.count() == 5
    assert "请求过于频繁" in response.text
    retry_after = int(response["Retry-After"])
    assert 9 * 60 < retry_after <= 10 * 60 + 1
    retry_at = timezone.localtime(timezone.now() + dt.timedelta(seconds=retry_after))
    assert (
        retry_at.strftime("%H:%M") in response.text
        or (retry_at - dt.timedelta(minutes=1)).strftime("%H:%M") in response.text
    )
    # Another address is not affected.
    assert client.post(NEW, valid_post(room), REMOTE_ADDR="10.1.2.3").status_code == 302


def test_forms_with_errors_do_not_use_up_the_limit(client, room):
    for _ in range(6):
        assert client.post(NEW, valid_post(room, content="")).status_code == 400
    assert client.post(NEW, valid_post(room)).status_code == 302


def test_twenty_submissions_a_day_is_the_most(client, room):
    from stations.throttle import client_key

    key = client_key(client.get(NEW).wsgi_request)
    now = timezone.now()
    # 20 earlier submissions today, none in the last ten minutes.
    ThrottleHit.objects.bulk_create(
        ThrottleHit(scope=SUBMIT_SCOPE, key=key, at=now - dt.timedelta(hours=23) + dt.timedelta(minutes=i * 60))
        for i in range(20)
    )

    response = client.post(NEW, valid_post(room))

    assert response.status_code == 429
    assert not Opinion.objects.exists()
    assert 59 * 60 < int(response["Retry-After"]) <= 60 * 60 + 1  # the oldest leaves the day in an hour


def test_submissions_older_than_the_window_no_longer_count(client, room):
    from stations.throttle import client_key

    key = client_key(client.get(NEW).wsgi_request)
    ThrottleHit.objects.bulk_create(
        ThrottleHit(scope=SUBMIT_SCOPE, key=key, at=timezone.now() - dt.timedelta(minutes=11)) for _ in range(5)
    )
    assert client.post(NEW, valid_post(room)).status_code == 302


def test_the_rate_limit_keeps_no_address(client, room):
    client.post(NEW, valid_post(room), REMOTE_ADDR="203.0.113.77")
    assert not ThrottleHit.objects.filter(key__contains="203.0.113").exists()
    assert ThrottleHit.objects.filter(scope=SUBMIT_SCOPE).count() == 1


# --- tracking ----------------------------------------------------------------------------------------


def test_the_track_form_takes_a_code_as_it_is_typed(client, room):
    opinion = make_opinion(room)
    typed = opinion.tracking_code.replace("-", " ").lower()

    response = client.get(reverse("stations:track"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == track_url(opinion)


def test_the_track_form_asks_for_a_code(client, db):
    assert client.get(reverse("stations:track")).status_code == 200
    response = client.get(reverse("stations:track"), {"code": " - "})
    assert response.status_code == 400
    assert "请输入" in response.text


def test_the_tracking_page_shows_the_whole_public_timeline_and_no_personal_data(client, room, alice):
    opinion = make_opinion(
        room,
        State.REPLIED,
        actor=alice,
        submitter_name="王小明",
        submitter_phone="13812345678",
        submitter_email="wang@example.com",
        consent=True,
        content="我是王小明，电话13812345678，村口路灯坏了",
    )
    services.opinion_set_supervision(
        opinion=opinion,
        actor=Actor(user=alice),
        next_review=timezone.localdate() + dt.timedelta(days=5),
        note="内部：难点问题",
    )

    response = client.get(track_url(opinion))

    assert response.status_code == 200
    html = response.text
    assert "已答复" in html  # the status
    assert "区住房和城乡建设局" in html  # the body it went to
    assert "已安排保洁公司清理河道。" in html  # the public reply
    for step in ("收到", "已受理", "已交办", "已答复"):
        assert step in html
    assert "内部：难点问题" not in html
    assert not ELEVEN_DIGITS.search(html)
    assert "王小明" not in html and "wang@example.com" not in html
    assert "noindex" in html


def test_a_phone_number_in_a_public_note_is_masked_on_the_tracking_page(client, room, alice):
    opinion = make_opinion(room, State.REFERRED, actor=alice)
    services.opinion_reply(opinion=opinion, actor=Actor(user=alice), reply="请致电承办人 13912345678 了解详情")

    html = client.get(track_url(opinion)).text

    assert "139****5678" in html
    assert not ELEVEN_DIGITS.search(html)


def test_an_unknown_code_gets_a_friendly_404(client, db):
    response = client.get(reverse("stations:track_detail", kwargs={"code": "22222-22222-22222"}))
    assert response.status_code == 404
    assert "查询码不存在" in response.text
    assert 'name="code"' in response.text


def test_a_code_in_the_address_as_typed_is_redirected_to_its_proper_form(client, room):
    opinion = make_opinion(room)
    response = client.get(reverse("stations:track_detail", kwargs={"code": opinion.tracking_code.lower()}))
    assert response.status_code == 302
    assert response["Location"] == track_url(opinion)


def test_lookups_are_rate_limited(client, room):
    opinion = make_opinion(room)
    for _ in range(30):
        assert client.get(track_url(opinion)).status_code == 200

    response = client.get(track_url(opinion))

    assert response.status_code == 429
    assert "Retry-After" in response


# --- staff list --------------------------------------------------------------------------------------


def test_the_list_needs_a_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_deputy_account_cannot_open_the_staff_pages(client, erin, room):
    client.force_login(erin)
    assert client.get(LIST).status_code == 403


def test_staff_see_their_stations_opinions_only(client, alice, station, room, other_station):
    mine = make_opinion(room)
    at_station = make_opinion(station)
    other_station.is_online = True
    other_station.save()
    theirs = make_opinion(other_station)
    client.force_login(alice)

    html = client.get(LIST).text

    assert mine.reference in html and at_station.reference in html
    assert theirs.reference not in html
    assert other_station.name not in html  # not even among the site filter's choices


def test_the_list_masks_phones_and_marks_overdue_opinions(client, alice, room):
    late = make_opinion(room, State.REFERRED, actor=alice, submitter_phone="13812345678", consent=True)
    Opinion.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(alice)

    html = client.get(LIST).text

    assert "138****5678" in html
    assert not ELEVEN_DIGITS.search(html)
    assert "已逾期" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "accepted"}, {"accepted"}),
        ({"overdue": "on"}, {"late"}),
        ({"category": "health"}, {"health"}),
        ({"supervised": "on"}, {"supervised"}),
        ({"important": "on"}, {"important"}),
        ({"site": "station"}, {"at_station"}),
        ({"handling_body": "water"}, {"water"}),
    ],
    ids=["state", "overdue", "category", "supervised", "important", "site", "body"],
)
def test_the_list_filters(params, expected, client, alice, station, room):
    today = timezone.localdate()
    water = make_body("区水利局")
    made = {
        "accepted": make_opinion(room, State.ACCEPTED, actor=alice),
        "late": make_opinion(room, State.REFERRED, actor=alice),
        "health": make_opinion(room, category=Category.HEALTH),
        "supervised": make_opinion(room, State.EXPLAINED, actor=alice),
        "important": make_opinion(room, State.REPLIED, actor=alice),
        "at_station": make_opinion(station, State.RESOLVED, actor=alice),
        "water": make_opinion(room, State.ACCEPTED, actor=alice),
    }
    Opinion.objects.filter(pk=made["late"].pk).update(deadline=today - dt.timedelta(days=1))
    services.opinion_set_supervision(opinion=made["supervised"], actor=Actor(user=alice), next_review=today)
    services.opinion_report_important(opinion=made["important"], actor=Actor(user=alice))
    made["water"] = services.opinion_refer(opinion=made["water"], actor=Actor(user=alice), body=water)
    values = {"station": station.pk, "water": water.pk}
    query = {key: values.get(value, value) for key, value in params.items()}
    client.force_login(alice)

    response = client.get(LIST, query)

    shown = {name for name, opinion in made.items() if opinion.reference in response.text}
    assert shown == expected


def test_district_administrators_see_every_station_and_the_important_queue(client, dana, alice, room, other_station):
    other_station.is_online = True
    other_station.save()
    elsewhere = make_opinion(other_station, State.ACCEPTED)
    reported = services.opinion_report_important(opinion=elsewhere, actor=Actor(user=dana), note="需区里协调")
    local = make_opinion(room)
    client.force_login(dana)

    response = client.get(LIST)

    assert local.reference in response.text and reported.reference in response.text
    queue = response.text.split('id="queue-heading"')[1].split('id="list-heading"')[0]
    assert reported.reference in queue and local.reference not in queue
    client.force_login(alice)
    assert 'id="queue-heading"' not in client.get(LIST).text


def test_the_list_makes_a_bounded_number_of_queries(client, alice, room, station, django_assert_max_num_queries):
    body = make_body()
    bulk_opinions(room, 60, body=body)
    bulk_opinions(station, 20, body=body)
    client.force_login(alice)

    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"overdue": "on", "handling_body": body.pk})

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 27  # every third of 80 is overdue
    assert len(response.context["page"].object_list) == 25
    with django_assert_max_num_queries(12):
        assert client.get(LIST, {"page": 2}).status_code == 200


# --- staff detail ------------------------------------------------------------------------------------


def test_the_detail_page_shows_the_opinion_and_only_the_steps_possible_now(client, alice, room):
    opinion = make_opinion(room, submitter_name="王小明", submitter_phone="13812345678", consent=True)
    client.force_login(alice)

    response = client.get(detail_url(opinion))

    assert response.status_code == 200
    html = response.text
    assert opinion.content in html
    assert "138****5678" in html and "13812345678" not in html
    assert [a["action"] for a in response.context["actions"]] == ["accept", "not_accept", "supervise", "report"]
    assert 'value="refer"' not in html and 'value="reply"' not in html


def test_showing_the_voters_phone_is_recorded(client, alice, room):
    opinion = make_opinion(room, submitter_name="王小明", submitter_phone="13812345678", consent=True)
    client.force_login(alice)

    response = client.get(detail_url(opinion), {"contact": "show"})

    assert "13812345678" in response.text and "王小明" in response.text
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_VIEWED)
    assert (entry.actor, entry.object_id) == (alice, str(opinion.pk))


def test_the_detail_page_shows_the_visit_it_came_from(client, alice, room):
    visit = Visit.objects.create(
        site=room,
        occurred_at=timezone.make_aware(dt.datetime(2026, 3, 20, 9, 30)),
        summary="村民反映路灯问题",
        recorded_by=alice,
    )
    opinion = make_opinion(room, visit=visit)
    client.force_login(alice)

    html = client.get(detail_url(opinion)).text

    assert "2026-03-20 09:30" in html


def test_outsiders_get_404_for_reading_and_writing(client, charlie, room):
    opinion = make_opinion(room)
    client.force_login(charlie)
    assert client.get(detail_url(opinion)).status_code == 404
    post = {"action": "accept", "accept-version": opinion.version}
    assert client.post(detail_url(opinion), post).status_code == 404
    opinion.refresh_from_db()
    assert opinion.state == State.REGISTERED


def test_a_deputy_account_cannot_take_a_step(client, erin, room):
    opinion = make_opinion(room)
    client.force_login(erin)
    response = client.post(detail_url(opinion), {"action": "accept", "accept-version": opinion.version})
    assert response.status_code == 403
    opinion.refresh_from_db()
    assert opinion.state == State.REGISTERED


def test_anonymous_visitors_are_sent_to_sign_in(client, room):
    opinion = make_opinion(room)
    response = client.post(detail_url(opinion), {"action": "accept", "accept-version": opinion.version})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(detail_url(opinion)).status_code == 302


def test_staff_accept_refer_reply_resolve_and_close_through_the_page(client, alice, room):
    opinion = make_opinion(room)
    body = make_body("余新镇农业农村办")
    client.force_login(alice)
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    steps = [
        ("accept", {"note": "属实"}),
        ("refer", {"body": body.pk, "deadline": deadline, "note": ""}),
        ("reply", {"reply": "已维修"}),
        ("resolve", {"note": "回访确认"}),
        ("close", {"satisfaction": Satisfaction.SATISFIED, "note": ""}),
    ]
    for action, fields in steps:
        opinion.refresh_from_db()
        data = {"action": action, f"{action}-version": opinion.version}
        data.update({f"{action}-{name}": value for name, value in fields.items()})
        response = client.post(detail_url(opinion), data)
        assert response.status_code == 302, (action, response.context and response.context.get("actions"))

    opinion.refresh_from_db()
    assert opinion.state == State.CLOSED
    assert opinion.handling_body == body
    assert opinion.deadline.isoformat() == deadline
    assert opinion.satisfaction == Satisfaction.SATISFIED
    assert list(opinion.events.values_list("action", flat=True)) == [
        "register",
        "accept",
        "refer",
        "reply",
        "resolve",
        "close",
    ]
    assert set(opinion.events.exclude(action="register").values_list("actor", flat=True)) == {alice.pk}
    page = client.get(detail_url(opinion))
    assert "已完成" in page.text


def test_it_records_a_step_taken_on_the_page_with_the_staff_members_address(client, alice, room):
    opinion = make_opinion(room)
    client.force_login(alice)
    data = {"action": "accept", "accept-version": opinion.version, "accept-note": "属实"}

    response = client.post(detail_url(opinion), data, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="opinion", object_id=str(opinion.pk), action="opinion.accepted")
    assert (entry.actor, entry.address, entry.summary) == (alice, "10.1.2.3", opinion.reference)


def test_it_records_an_online_submission_with_the_voters_address_and_no_account(client, room):
    client.post(NEW, valid_post(room), REMOTE_ADDR="203.0.113.9")

    opinion = Opinion.objects.get()
    entry = AuditEntry.objects.get(action="opinion.registered")
    assert (entry.object_id, entry.actor, entry.actor_name, entry.address) == (str(opinion.pk), None, "", "203.0.113.9")


def test_a_step_on_a_stale_page_is_refused_and_the_new_state_is_shown(client, alice, bob, room):
    opinion = make_opinion(room)
    shown_version = opinion.version
    services.opinion_accept(opinion=opinion, actor=Actor(user=bob))  # Bob was quicker
    client.force_login(alice)

    response = client.post(
        detail_url(opinion), {"action": "not_accept", "not_accept-version": shown_version, "not_accept-reason": "重复"}
    )

    assert response.status_code == 409
    assert "已被他人同时修改" in response.text
    assert [a["action"] for a in response.context["actions"]][:1] == ["refer"]
    opinion.refresh_from_db()
    assert opinion.state == State.ACCEPTED
    assert OpinionEvent.objects.filter(opinion=opinion).count() == 2


def test_a_step_not_possible_from_the_state_is_refused(client, alice, room):
    opinion = make_opinion(room)
    client.force_login(alice)

    response = client.post(
        detail_url(opinion), {"action": "reply", "reply-version": opinion.version, "reply-reply": "x"}
    )

    assert response.status_code == 400
    assert "不能执行" in response.text
    opinion.refresh_from_db()
    assert opinion.state == State.REGISTERED


def test_a_step_with_missing_input_shows_the_error_and_changes_nothing(client, alice, room):
    opinion = make_opinion(room)
    client.force_login(alice)

    response = client.post(
        detail_url(opinion), {"action": "not_accept", "not_accept-version": opinion.version, "not_accept-reason": ""}
    )

    assert response.status_code == 400
    assert "这个字段是必填项" in response.text
    opinion.refresh_from_db()
    assert (opinion.state, opinion.events.count()) == (State.REGISTERED, 1)


def test_an_unknown_step_is_a_bad_request(client, alice, room):
    opinion = make_opinion(room)
    client.force_login(alice)
    assert client.post(detail_url(opinion), {"action": "delete"}).status_code == 400


def test_reporting_an_important_situation_from_the_page(client, bob, room):
    opinion = make_opinion(room, State.ACCEPTED, actor=bob)
    client.force_login(bob)

    response = client.post(
        detail_url(opinion), {"action": "report", "report-version": opinion.version, "report-note": ""}
    )

    assert response.status_code == 302
    assert Opinion.objects.important().get() == opinion


def test_a_room_under_an_online_station_takes_opinions_online_too(client, station, room):
    room.is_online = False
    room.save()  # only its station is flagged as an online station
    assert station.is_online
    response = client.get(NEW, {"site": room.slug})
    assert f'<option value="{room.pk}" selected>' in response.text
    response = client.post(NEW, valid_post(room))
    assert response.status_code == 302
    assert Opinion.objects.get().site == room


# --- the site picker at province scale (issue 15) ---------------------------------------------------------


def test_with_more_online_sites_than_a_select_holds_the_voter_narrows_them_first_without_javascript(
    client, district, django_assert_max_num_queries
):
    from stations.paging import SELECT_LIMIT
    from tests.factories_network import build_network

    build_network(district, sites=300, deputies_per_site=0)
    assert Site.objects.accepting_online().count() > SELECT_LIMIT
    with django_assert_max_num_queries(6):
        first = client.get(NEW)
    assert not re.findall(r'<option value="\d+"', first.text)  # no site offered yet
    assert "接受网上意见建议的联络站（室）较多" in first.text
    # A name narrows the select to the sites it matches (the 4th town's station and its rooms and points).
    narrowed = client.get(NEW, {"q": "第4镇"})
    wanted = Site.objects.accepting_online().filter(town="第4镇")
    offered = set(re.findall(r'<option value="(\d+)"', narrowed.text))
    assert offered == {str(site.pk) for site in wanted}
    assert "请在下面的表单中选择" in narrowed.text
    # The form takes any site that accepts opinions online, offered or not.
    response = client.post(NEW, valid_post(wanted.last()))
    assert response.status_code == 302 and Opinion.objects.get().site == wanted.last()
