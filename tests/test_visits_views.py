"""The record-book pages: new visit, the book with filters and exports, one visit, edit, archive, restore."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from stations.audit import Actor
from stations.models import AuditAction, AuditEntry, Opinion, OpinionEvent, State, Visit, VisitDeputy
from stations.services.opinions import opinion_register
from tests.conftest import make_deputy
from tests.factories_visits import bulk_visits, make_visit, shift_now

PHONE = "13812345678"
MASKED = "138****5678"
NEW_URL = reverse("stations:visit_create")
LIST_URL = reverse("stations:visit_list")


def _detail(visit):
    return reverse("stations:visit_detail", kwargs={"pk": visit.pk})


def _export(fmt):
    return reverse("stations:visit_export", kwargs={"fmt": fmt})


def _post_data(site, *, opinions=(), **overrides):
    now = timezone.localtime() - dt.timedelta(minutes=2)
    data = {
        "site": site.pk,
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "visitor_name": "王小明",
        "visitor_phone": PHONE,
        "village": "金星村",
        "people": "1",
        "channel": "reception_day",
        "category": "transport",
        "summary": "反映村道坑洼，雨天积水",
        "opinions-TOTAL_FORMS": "3",
        "opinions-INITIAL_FORMS": "0",
        "opinions-MIN_NUM_FORMS": "0",
        "opinions-MAX_NUM_FORMS": "20",
    }
    for index in range(3):
        data[f"opinions-{index}-category"] = ""
        data[f"opinions-{index}-content"] = ""
    for index, (category, content) in enumerate(opinions):
        data[f"opinions-{index}-category"] = category
        data[f"opinions-{index}-content"] = content
    data.update(overrides)
    return data


def _counts():
    return Visit.objects.count(), VisitDeputy.objects.count(), Opinion.objects.count(), OpinionEvent.objects.count()


# --- new visit ----------------------------------------------------------------------------------------


def test_new_visit_is_prefilled_with_the_running_shift_its_site_and_deputies(alice_client, room, deputies):
    shift_now(room, deputies=deputies[:2])
    response = alice_client.get(NEW_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["site"] == room
    assert set(form.initial["deputies"]) == {deputies[0].pk, deputies[1].pk}
    assert abs(form.initial["occurred_at"] - timezone.now()) < dt.timedelta(minutes=2)
    html = response.text
    assert f'<option value="{room.pk}" selected>' in html
    for deputy in deputies[:2]:
        assert re.search(rf'name="deputies" value="{deputy.pk}"\s+id="[^"]+" checked', html)
    assert not re.search(rf'name="deputies" value="{deputies[2].pk}"\s+id="[^"]+" checked', html)
    assert html.index(deputies[1].name) < html.index(deputies[2].name)  # the deputies on duty first
    # The villages the room serves are offered as suggestions.
    assert '<option value="长秦村">' in html


def test_new_visit_without_a_shift_defaults_to_the_users_station(alice_client, station):
    response = alice_client.get(NEW_URL)
    assert response.context["form"].initial["site"] == station
    assert response.context["form"].initial["deputies"] == []


def test_new_visit_offers_only_the_users_station_with_its_rooms_and_points(
    alice_client, station, room, point, other_room
):
    choices = list(alice_client.get(NEW_URL).context["form"].fields["site"].queryset)
    assert set(choices) == {station, room, point}


def test_logging_a_visit_with_two_opinions_saves_everything_and_shows_the_book(alice_client, room, deputies, alice):
    shift = shift_now(room, deputies=deputies[:2])
    data = _post_data(
        room,
        deputies=[deputies[0].pk, deputies[1].pk],
        opinions=[("environment", "河道有垃圾，请清理"), ("", "公交班次太少")],
    )
    response = alice_client.post(NEW_URL, data, follow=True)
    assert response.redirect_chain[-1][0] == LIST_URL
    visit = Visit.objects.get()
    assert visit.site == room
    assert visit.shift == shift
    assert visit.recorded_by == alice
    assert visit.visitor_phone == PHONE
    assert visit.area.name == "金星村"
    assert set(visit.deputies.all()) == set(deputies[:2])
    assert sorted(visit.opinions.values_list("content", flat=True)) == ["公交班次太少", "河道有垃圾，请清理"]
    assert "接待记录已保存" in response.text
    assert MASKED in response.text
    assert PHONE not in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"occurred_at": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "occurred_at",
            "晚于当前时间",
        ),
        (
            {"occurred_at": (timezone.localtime() - dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")},
            "occurred_at",
            "只有站长或区人大工委管理员可以补录",
        ),
        ({"people": "0"}, "people", "1至500"),
        ({"people": "501"}, "people", "1至500"),
        ({"visitor_phone": "12345"}, "visitor_phone", "手机号码"),
        ({"summary": ""}, "summary", "必填"),
    ],
    ids=["future-date", "late-entry-by-staff", "zero-people", "501-people", "malformed-phone", "no-summary"],
)
def test_a_bad_visit_is_refused_with_a_chinese_message_next_to_the_field_and_nothing_saved(
    alice_client, room, overrides, field, message
):
    before = _counts()
    response = alice_client.post(NEW_URL, _post_data(room, opinions=[("", "河道有垃圾")], **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.text
    assert _counts() == before


def test_an_unassigned_deputy_without_visiting_is_refused_and_nothing_saved(alice_client, room, other_room, district):
    elsewhere = make_deputy(district, "钱凤桥", sites=[other_room], slug="qian")
    before = _counts()
    response = alice_client.post(NEW_URL, _post_data(room, deputies=[elsewhere.pk]))
    assert response.status_code == 200
    assert "钱凤桥" in " ".join(response.context["form"].errors["deputies"])
    assert "外来代表" in response.text
    assert _counts() == before

    response = alice_client.post(NEW_URL, _post_data(room, visiting_deputies=[elsewhere.pk]))
    assert response.status_code == 302
    assert VisitDeputy.objects.get().is_visiting is True


@pytest.mark.parametrize(
    "opinion",
    [("environment", ""), ("bogus-category", "河道有垃圾"), ("", "长" * 2001)],
    ids=["category-without-content", "unknown-category", "too-long"],
)
def test_an_invalid_opinion_in_the_formset_is_refused_and_nothing_saved(alice_client, room, opinion):
    before = _counts()
    response = alice_client.post(NEW_URL, _post_data(room, opinions=[("", "公交班次太少"), opinion]))
    assert response.status_code == 200
    assert response.context["formset"].total_error_count() >= 1
    assert _counts() == before


def test_a_site_of_another_station_cannot_be_chosen(alice_client, other_station):
    before = _counts()
    response = alice_client.post(NEW_URL, _post_data(other_station))
    assert response.status_code == 200
    assert "site" in response.context["form"].errors
    assert _counts() == before


def test_new_visit_for_anonymous_goes_to_login_and_is_forbidden_to_a_deputy(client, erin, station):
    response = client.get(NEW_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(erin)
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, _post_data(station)).status_code == 403
    assert Visit.objects.count() == 0


# --- scope ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["station", "room", "point"])
def test_staff_see_visits_of_their_station_and_its_rooms_and_points(alice_client, alice, request, where):
    site = request.getfixturevalue(where)
    visit = make_visit(site, alice)
    assert alice_client.get(_detail(visit)).status_code == 200
    assert alice_client.get(reverse("stations:visit_update", kwargs={"pk": visit.pk})).status_code == 200


def test_a_visit_of_another_station_is_404_for_staff(client, charlie, room, alice):
    visit = make_visit(room, alice)
    client.force_login(charlie)
    for name in ("visit_detail", "visit_update"):
        assert client.get(reverse(f"stations:{name}", kwargs={"pk": visit.pk})).status_code == 404
    assert client.post(reverse("stations:visit_archive", kwargs={"pk": visit.pk})).status_code == 404
    assert client.post(reverse("stations:visit_update", kwargs={"pk": visit.pk}), _post_data(room)).status_code == 404
    assert visit.summary not in client.get(LIST_URL).text
    assert Visit.objects.current().filter(pk=visit.pk).exists()


def test_visit_pages_send_anonymous_users_to_login(client, room, alice):
    visit = make_visit(room, alice)
    for url in (LIST_URL, _detail(visit), reverse("stations:visit_update", kwargs={"pk": visit.pk}), _export("xlsx")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_deputy_account_is_refused_the_record_book(client, erin, room, alice):
    visit = make_visit(room, alice)
    client.force_login(erin)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(_detail(visit)).status_code == 403
    assert client.post(reverse("stations:visit_archive", kwargs={"pk": visit.pk})).status_code == 403


# --- the record book ------------------------------------------------------------------------------------


def test_the_record_book_lists_newest_first_with_phones_masked(alice_client, room, alice):
    older = make_visit(room, alice, occurred_at=timezone.now() - dt.timedelta(days=2), summary="旧的来访")
    newer = make_visit(room, alice, visitor_phone=PHONE, visitor_name="王小明", summary="新的来访")
    response = alice_client.get(LIST_URL)
    assert list(response.context["page"].object_list) == [newer, older]
    assert MASKED in response.text
    assert PHONE not in response.text
    assert "王小明" not in response.text
    assert response.text.index("新的来访") < response.text.index("旧的来访")


def test_the_record_book_shows_only_the_users_station(client, charlie, room, other_room, alice):
    make_visit(room, alice, summary="余新镇的来访")
    make_visit(other_room, charlie, summary="凤桥镇的来访")
    client.force_login(charlie)
    response = client.get(LIST_URL)
    assert "凤桥镇的来访" in response.text
    assert "余新镇的来访" not in response.text


def test_the_record_book_filters(alice_client, alice, station, room, deputies):
    now = timezone.now()
    by_date = make_visit(station, alice, occurred_at=now - dt.timedelta(days=10), summary="十天前")
    at_room = make_visit(room, alice, deputies=[deputies[0]], channel="walk_in", category="environment", summary="甲")
    with_opinion = make_visit(room, alice, summary="乙", area_text="竹林村")
    opinion_register(site=room, category="other", content="意见", visit=with_opinion, actor=Actor(user=alice))

    def listed(**params):
        return set(alice_client.get(LIST_URL, params).context["page"].object_list)

    ten_days_ago = timezone.localdate() - dt.timedelta(days=10)
    assert listed(date_from=ten_days_ago.isoformat(), date_to=ten_days_ago.isoformat()) == {by_date}
    assert listed(date_from=(ten_days_ago + dt.timedelta(days=1)).isoformat()) == {at_room, with_opinion}
    assert listed(site=room.pk) == {at_room, with_opinion}
    assert listed(deputy=deputies[0].pk) == {at_room}
    assert listed(channel="walk_in") == {at_room}
    assert listed(category="environment") == {at_room}
    assert listed(opinions="with") == {with_opinion}
    assert listed(opinions="without") == {by_date, at_room}
    assert listed(q="竹林") == {with_opinion}
    assert listed(q="十天") == {by_date}
    Opinion.objects.update(state=State.CLOSED)
    assert listed(opinions="with") == set()


def test_the_record_book_is_paginated(alice_client, alice, room):
    bulk_visits(room, alice, 30)
    first = alice_client.get(LIST_URL)
    assert len(first.context["page"].object_list) == 25
    second = alice_client.get(LIST_URL, {"page": 2, "site": room.pk})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("count", [10, 1000])
def test_the_record_book_runs_a_bounded_number_of_queries(
    alice_client, alice, room, deputies, count, django_assert_max_num_queries
):
    visits = bulk_visits(room, alice, count, deputies=deputies[:2])
    opinion_register(site=room, category="other", content="意见", visit=visits[0], actor=Actor(user=alice))
    with django_assert_max_num_queries(12):
        response = alice_client.get(LIST_URL)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 25)
    assert "顾海明" in response.text


# --- exports --------------------------------------------------------------------------------------------


def _xlsx_rows(response):
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_the_xlsx_export_has_the_filtered_rows_masked(alice_client, alice, room, station):
    make_visit(room, alice, visitor_phone=PHONE, visitor_name="王小明", channel="walk_in", summary="房前屋后")
    make_visit(station, alice, visitor_phone="13900001111", channel="phone", summary="电话反映")
    response = alice_client.get(_export("xlsx"), {"channel": "walk_in"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _xlsx_rows(response)
    assert len(rows) == 2  # the header and the one walk-in visit
    flat = " ".join(str(cell) for row in rows for cell in row)
    assert "房前屋后" in flat
    assert MASKED in flat
    assert PHONE not in flat
    assert "王小明" not in flat
    assert "电话反映" not in flat
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT_VISITS)
    assert entry.actor == alice
    assert entry.changes["rows"] == 1


def test_the_csv_export_is_masked_and_filtered(alice_client, alice, room, station):
    make_visit(room, alice, visitor_phone=PHONE, summary="房前屋后")
    make_visit(station, alice, summary="镇上的来访")
    response = alice_client.get(_export("csv"), {"site": room.pk})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert MASKED in rows[1]
    assert PHONE not in response.content.decode("utf-8-sig")


def test_an_export_larger_than_one_request_builds_is_refused_with_the_filters_kept(
    alice_client, alice, room, station, monkeypatch
):
    from stations import paging

    monkeypatch.setattr(paging, "EXPORT_LIMIT", 3)
    bulk_visits(room, alice, 4)
    make_visit(station, alice, summary="镇上的来访")
    for fmt in ("csv", "xlsx"):
        response = alice_client.get(_export(fmt), {"site": room.pk, "channel": ""})
        assert response.status_code == 302
        assert response.url == f"{reverse('stations:visit_list')}?site={room.pk}&channel="
        page = alice_client.get(response.url).text
        assert "超过3条接待记录符合筛选条件" in page
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT_VISITS).exists()  # nothing was exported
    narrower = alice_client.get(_export("csv"), {"site": station.pk})
    assert narrower.status_code == 200 and len(list(csv.reader(io.StringIO(narrower.content.decode("utf-8-sig"))))) == 2


def test_an_export_neutralises_text_a_spreadsheet_would_run_as_a_formula(alice_client, alice, room):
    make_visit(room, alice, summary='=HYPERLINK("http://example.invalid")')
    rows = list(csv.reader(io.StringIO(alice_client.get(_export("csv")).content.decode("utf-8-sig"))))
    assert rows[1][9].startswith("'=")


def test_only_a_district_admin_gets_the_unmasked_export_and_it_is_recorded(client, alice, dana, room):
    make_visit(room, alice, visitor_phone=PHONE, visitor_name="王小明")
    client.force_login(alice)
    assert client.get(_export("xlsx"), {"unmasked": "1"}).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT_VISITS_UNMASKED).exists()

    client.force_login(dana)
    masked = " ".join(str(cell) for row in _xlsx_rows(client.get(_export("xlsx"))) for cell in row)
    assert PHONE not in masked
    response = client.get(_export("xlsx"), {"unmasked": "1"})
    flat = " ".join(str(cell) for row in _xlsx_rows(response) for cell in row)
    assert PHONE in flat
    assert "王小明" in flat
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT_VISITS_UNMASKED)
    assert entry.actor == dana
    assert PHONE not in str(entry.changes)
    csv_text = client.get(_export("csv"), {"unmasked": "1"}).content.decode("utf-8-sig")
    assert PHONE in csv_text
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT_VISITS_UNMASKED).count() == 2


def test_an_unknown_export_format_is_404(alice_client):
    assert alice_client.get(_export("pdf")).status_code == 404


# --- one visit: detail, edit, archive, restore -----------------------------------------------------------


def test_the_detail_shows_the_phone_to_the_stations_staff_and_records_it(alice_client, alice, room):
    visit = make_visit(room, alice, visitor_phone=PHONE, visitor_name="王小明")
    opinion_register(site=room, category="environment", content="河道有垃圾", visit=visit, actor=Actor(user=alice))
    response = alice_client.get(_detail(visit))
    assert PHONE in response.text
    assert "王小明" in response.text
    assert "河道有垃圾" in response.text
    assert AuditEntry.objects.filter(
        action=AuditAction.PERSONAL_DATA_VIEWED, actor=alice, object_id=str(visit.pk)
    ).exists()


def test_the_detail_masks_the_phone_for_a_district_admin_until_revealed(client, dana, alice, room):
    visit = make_visit(room, alice, visitor_phone=PHONE, visitor_name="王小明")
    client.force_login(dana)
    response = client.get(_detail(visit))
    assert response.status_code == 200
    assert PHONE not in response.text
    assert MASKED in response.text
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_VIEWED).exists()
    revealed = client.get(_detail(visit), {"reveal": "1"})
    assert PHONE in revealed.text
    assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_VIEWED, actor=dana).exists()


def test_editing_a_visit_is_shown_in_its_history_with_the_phone_masked(client, alice, bob, room, deputies, dana):
    visit = make_visit(room, alice, visitor_phone=PHONE, people=1)
    visit.record_version(history_type="+")
    client.force_login(bob)
    url = reverse("stations:visit_update", kwargs={"pk": visit.pk})
    form = client.get(url).context["form"]
    assert form.initial["visitor_phone"] == PHONE
    data = _post_data(room, visitor_phone="13900001111", people="4", deputies=[deputies[2].pk])
    data["occurred_at"] = timezone.localtime(visit.occurred_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.people == 4
    assert visit.visitor_phone == "13900001111"
    assert list(visit.deputies.all()) == [deputies[2]]

    client.force_login(dana)
    page = client.get(_detail(visit)).text
    history = page.split("visit-history")[1]
    assert "bob" in history
    assert "138****5678" in history
    assert "139****1111" in history
    assert PHONE not in page
    assert "13900001111" not in page
    assert "李建国" in history


def test_a_bad_edit_is_refused_and_nothing_changes(alice_client, alice, room):
    visit = make_visit(room, alice, people=3)
    versions = visit.history.count()
    url = reverse("stations:visit_update", kwargs={"pk": visit.pk})
    response = alice_client.post(url, _post_data(room, people="501"))
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.people == 3
    assert visit.history.count() == versions


def test_archive_hides_the_visit_and_a_district_admin_restores_it(client, alice, dana, room):
    visit = make_visit(room, alice, summary="要归档的来访")
    archive_url = reverse("stations:visit_archive", kwargs={"pk": visit.pk})
    restore_url = reverse("stations:visit_restore", kwargs={"pk": visit.pk})
    client.force_login(alice)
    assert client.get(archive_url).status_code == 405
    # Without a reason nothing happens: the form says what is missing, next to the field.
    refused = client.post(archive_url)
    assert refused.status_code == 200
    assert "归档原因" in refused.text and Visit.objects.get(pk=visit.pk).archived_at is None
    assert client.post(archive_url, {"reason": "重复录入"}).status_code == 302
    assert "要归档的来访" not in client.get(LIST_URL).text
    assert client.get(_detail(visit)).status_code == 200  # still readable, marked archived
    assert client.post(restore_url).status_code == 403
    assert Visit.objects.get(pk=visit.pk).archived_at is not None
    edit = client.get(reverse("stations:visit_update", kwargs={"pk": visit.pk}))
    assert edit.status_code == 302

    client.force_login(dana)
    assert "要归档的来访" not in client.get(LIST_URL).text
    assert "要归档的来访" in client.get(LIST_URL, {"archived": "archived"}).text
    assert client.post(restore_url).status_code == 302
    assert "要归档的来访" in client.get(LIST_URL).text
    client.force_login(alice)
    assert "要归档的来访" in client.get(LIST_URL).text


def test_staff_cannot_list_archived_visits(alice_client, alice, room):
    make_visit(room, alice, summary="要归档的来访", archived_at=timezone.now(), archived_by=alice)
    assert "要归档的来访" not in alice_client.get(LIST_URL, {"archived": "archived"}).text
    assert "要归档的来访" not in alice_client.get(LIST_URL, {"archived": "all"}).text


def test_a_deputy_whose_assignment_ended_can_stay_on_an_edited_record(alice_client, alice, room, deputies):
    visit = make_visit(room, alice, deputies=[deputies[0]])
    deputies[0].assignments.all().delete()
    url = reverse("stations:visit_update", kwargs={"pk": visit.pk})
    data = _post_data(room, deputies=[deputies[0].pk], people="2")
    data["occurred_at"] = timezone.localtime(visit.occurred_at).strftime("%Y-%m-%dT%H:%M")
    assert alice_client.post(url, data).status_code == 302
    assert list(visit.deputies.all()) == [deputies[0]]
    # A new record cannot name them as present any more.
    assert alice_client.post(NEW_URL, _post_data(room, deputies=[deputies[0].pk])).status_code == 200


def test_the_history_masks_a_phone_typed_into_the_summary_for_a_district_admin(client, alice, room, dana):
    from stations.services.visits import visit_update

    visit = make_visit(room, alice, summary=f"请回电 {PHONE}")
    visit.record_version(history_type="+")
    visit_update(visit=visit, actor=Actor(user=alice), deputies=[], summary="村道坑洼")

    client.force_login(dana)
    page = client.get(_detail(visit)).text
    history = page.split("visit-history")[1]
    assert MASKED in history
    assert PHONE not in page


# --- an administrator of a large network (issue 15) ---------------------------------------------------------


def test_an_administrators_record_book_of_a_large_network_filters_by_typed_names_and_counts_to_a_bound(
    dana_client, dana, district, django_assert_max_num_queries
):
    from stations.models import Site
    from stations.paging import MAX_COUNT, SELECT_LIMIT
    from tests.factories_network import build_network

    sites = build_network(district, sites=150, deputies_per_site=1)  # 150 sites, 150 deputies
    room = next(site for site in sites if site.kind == "room")
    deputy = room.deputies.get()
    bulk_visits(room, dana, MAX_COUNT + 5, deputies=[deputy])
    with django_assert_max_num_queries(14):
        response = dana_client.get(LIST_URL)
    html = response.text
    # Neither every site nor every deputy in a select: typed searches instead.
    assert '<select name="site"' not in html and '<select name="deputy"' not in html
    assert 'name="place"' in html and 'name="deputy_name"' in html
    assert html.count("<option") < SELECT_LIMIT
    assert f"超过{MAX_COUNT}条接待记录" in html
    by_place = dana_client.get(LIST_URL, {"place": room.name, "page": "1"})
    assert by_place.context["page"].paginator.more and room.name in by_place.text
    other = Site.objects.filter(kind="room").exclude(pk=room.pk).first()
    assert "共0条接待记录" in dana_client.get(LIST_URL, {"place": other.name}).text
    assert "共0条接待记录" in dana_client.get(LIST_URL, {"deputy_name": "没有这个人"}).text
    assert dana_client.get(LIST_URL, {"deputy_name": deputy.name}).context["page"].paginator.more
