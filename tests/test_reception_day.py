"""Issue 13, "Staff on the 20th": the visit form on the right site, the receipt slip, consent and accepting on
the spot, archiving with a reason, errors as government services show them, the session's end, the printed
record book."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from stations.models import AuditAction, AuditEntry, Membership, Opinion, Site, SiteKind, State, Visit
from stations.selectors.visits import visit_history
from tests.factories_visits import make_visit, shift_now
from tests.test_visits_views import _post_data

NEW = reverse("stations:visit_create")


@pytest.fixture
def dingqiao(station):
    """A second room of 余新镇, first in the alphabet: the one the form used to pick on the 20th."""
    return Site.objects.create(
        district=station.district, kind=SiteKind.ROOM, parent=station, name="丁桥村代表联络室", slug="yuxin-dingqiao"
    )


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def _selected_site(response) -> str | None:
    select = re.search(r'<select name="site".*?</select>', response.text, re.S)
    assert select is not None
    chosen = re.search(r'<option value="(\d*)"[^>]*selected', select.group(0))
    return (chosen.group(1) or None) if chosen else None


def _post(site, *, opinions=(), **overrides) -> dict[str, str]:
    """The record book's visit form (tests/test_visits_views.py), the phone typed with spaces, opinions by text."""
    overrides.setdefault("visitor_phone", "138 1234 5678")
    return _post_data(site, opinions=[("", content) for content in opinions], **overrides)


# --- the form opens on the right site ------------------------------------------------------------------------


def test_with_several_receptions_running_the_form_asks_instead_of_picking_the_first_in_the_alphabet(
    alice_client, station, room, dingqiao
):
    shift_now(room)
    shift_now(dingqiao)
    shift_now(station)
    response = alice_client.get(NEW)
    assert _selected_site(response) is None
    prompt = re.search(r'<div class="alert alert-warning site-prompt".*?</div>', response.text, re.S).group(0)
    assert "当前有多个站点正在接待，请选择本次接待所在的站点" in prompt
    assert {"金星村代表联络室", "丁桥村代表联络室", "余新镇代表联络站"} <= set(re.findall(r">(\S+) \d\d:\d\d", prompt))


def test_the_members_own_site_decides(alice_client, alice, room, dingqiao):
    Membership.objects.filter(user=alice).update(site=room)
    shift_now(room)
    shift_now(dingqiao)
    response = alice_client.get(NEW)
    assert _selected_site(response) == str(room.pk)
    assert "site-prompt" not in response.text


def test_the_site_last_used_decides_among_the_running_ones(alice_client, room, dingqiao):
    shift_now(room)
    shift_now(dingqiao)
    assert alice_client.post(NEW, _post(room)).status_code == 302
    assert _selected_site(alice_client.get(NEW)) == str(room.pk)


def test_one_reception_running_is_still_picked(alice_client, room):
    shift_now(room)
    assert _selected_site(alice_client.get(NEW)) == str(room.pk)


def test_the_own_site_must_belong_to_the_members_station(alice, other_room):
    from django.core.exceptions import ValidationError

    membership = Membership.objects.get(user=alice)
    membership.site = other_room
    with pytest.raises(ValidationError) as refused:
        membership.full_clean()
    assert "site" in refused.value.message_dict


# --- phones as people type them ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["１３８ １２３４ ５６７８", "+86 138-1234-5678", "0086 13812345678", "138-1234-5678"]
)
def test_the_visit_form_takes_a_phone_as_people_type_it(alice_client, room, typed):
    assert alice_client.post(NEW, _post(room, visitor_phone=typed)).status_code == 302
    assert Visit.objects.get().visitor_phone == "13812345678"


def test_the_public_opinion_form_takes_full_width_digits(client, room):
    data = {"site": room.pk, "category": "transport", "content": "公交站牌被撞倒了。", "website": ""}
    data |= {"submitter_phone": "＋８６ １３９ ００００ １１１１", "consent": "on"}
    client.post(reverse("stations:opinion_create"), data)
    assert Opinion.objects.get().submitter_phone == "13900001111"


# --- receipt, consent, accepting on the spot --------------------------------------------------------------------


def test_after_saving_with_opinions_the_receipt_slip_shows_each_tracking_code(alice_client, room, settings):
    settings.PORTAL_URL = "https://rd.nanhu.example"
    response = alice_client.post(NEW, _post(room, opinions=["村道坑洼", "路灯不亮"]), follow=True)
    visit = Visit.objects.get()
    receipt = reverse("stations:visit_receipt", args=[visit.pk])
    assert receipt in response.text  # the success message links the slip
    slip = alice_client.get(receipt)
    assert slip.status_code == 200
    for opinion in visit.opinions.all():
        assert opinion.tracking_code in slip.text
        assert f"https://rd.nanhu.example/track/{opinion.tracking_code}/" in slip.text
    assert slip.text.count("<svg") == 2  # a QR code each
    assert "余新镇代表联络站" in slip.text and "https://rd.nanhu.example/track/" in slip.text
    assert "13812345678" not in slip.text and "王小明" not in slip.text


def test_the_receipt_slip_is_404_for_another_station(client, charlie, room, alice):
    visit = make_visit(room, alice)
    Opinion.objects.create(reference="NH-1", tracking_code="AAAA-BBBB", site=room, visit=visit, content="x")
    client.force_login(charlie)
    assert client.get(reverse("stations:visit_receipt", args=[visit.pk])).status_code == 404


def test_with_consent_the_voters_contact_is_kept_on_the_opinions(alice_client, room):
    alice_client.post(NEW, _post(room, opinions=["村道坑洼"], contact_consent="on"))
    opinion = Opinion.objects.get()
    assert (opinion.submitter_name, opinion.submitter_phone) == ("王小明", "13812345678")
    assert opinion.consent_at is not None


def test_without_consent_the_opinions_carry_no_contact(alice_client, room):
    alice_client.post(NEW, _post(room, opinions=["村道坑洼"]))
    opinion = Opinion.objects.get()
    assert (opinion.submitter_name, opinion.submitter_phone, opinion.consent_at) == ("", "", None)


def test_an_opinion_is_accepted_on_the_spot_and_the_visit_page_links_it(alice_client, room):
    alice_client.post(NEW, _post(room, opinions=["村道坑洼", "路灯不亮"], **{"opinions-0-accept_now": "on"}))
    accepted, registered = Opinion.objects.order_by("pk")
    assert (accepted.state, registered.state) == (State.ACCEPTED, State.REGISTERED)
    assert AuditEntry.objects.filter(action=AuditAction.OPINION_ACCEPTED, object_id=str(accepted.pk)).exists()
    page = alice_client.get(reverse("stations:visit_detail", args=[accepted.visit_id]))
    for opinion in (accepted, registered):
        assert reverse("stations:staff_opinion_detail", args=[opinion.pk]) in page.text


def test_the_staff_opinion_list_searches_the_text_and_puts_the_state_second(alice_client, room):
    alice_client.post(NEW, _post(room, opinions=["村口路灯不亮", "河道垃圾漂浮"]))
    listed = alice_client.get(reverse("stations:staff_opinion_list"), {"q": "河道"})
    references = dict(Opinion.objects.values_list("content", "reference"))
    assert references["河道垃圾漂浮"] in listed.text
    assert references["村口路灯不亮"] not in listed.text
    headers = re.findall(r'<th scope="col">([^<]+)</th>', listed.text)
    assert headers[:2] == ["编号", "办理状态"]


# --- archiving with a reason; the head restores ------------------------------------------------------------------


def test_archiving_needs_a_reason_kept_in_the_history_and_the_audit_log(alice_client, room, alice):
    visit = make_visit(room, alice)
    url = reverse("stations:visit_archive", args=[visit.pk])
    refused = alice_client.post(url, {"reason": "   "})
    assert refused.status_code == 200
    assert '<a class="alert-link" href="#id_reason">归档原因：' in refused.text
    assert Visit.objects.get(pk=visit.pk).archived_at is None
    assert alice_client.post(url, {"reason": "重复录入，保留另一条"}).status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.VISIT_ARCHIVED, object_id=str(visit.pk))
    assert entry.changes["reason"] == "重复录入，保留另一条"
    assert visit_history(visit)[0].reason == "重复录入，保留另一条"
    assert "重复录入，保留另一条" in alice_client.get(reverse("stations:visit_detail", args=[visit.pk])).text


def test_a_reason_longer_than_the_history_keeps_is_an_error_not_cut(alice_client, room, alice):
    visit = make_visit(room, alice)
    response = alice_client.post(reverse("stations:visit_archive", args=[visit.pk]), {"reason": "字" * 101})
    assert response.status_code == 200 and "归档原因：" in response.text
    assert Visit.objects.get(pk=visit.pk).archived_at is None


def test_the_station_head_restores_an_archived_visit_and_staff_may_not(client, alice, bob, room):
    visit = make_visit(room, alice, archived_at=timezone.now(), archived_by=alice)
    url = reverse("stations:visit_restore", args=[visit.pk])
    client.force_login(alice)
    assert client.post(url).status_code == 403
    client.force_login(bob)
    assert "恢复到接待记录本" in client.get(reverse("stations:visit_detail", args=[visit.pk])).text
    assert client.post(url).status_code == 302
    assert Visit.objects.get(pk=visit.pk).archived_at is None


# --- errors as government services show them ---------------------------------------------------------------------


def test_errors_are_summarised_at_the_top_linked_to_their_fields_and_named(alice_client, room):
    response = alice_client.post(NEW, _post(room, summary="", visitor_phone="12345"))
    assert response.status_code == 200
    title = re.search(r"<title>(.*?)</title>", response.text, re.S).group(1).strip()
    assert title.startswith("错误：")
    summary = re.search(r"<div class=\"alert alert-danger error-summary\".*?</div>", response.text, re.S).group(0)
    assert '<a class="alert-link" href="#id_summary">内容摘要：' in summary
    assert '<a class="alert-link" href="#id_visitor_phone">来访人电话：' in summary
    assert not Visit.objects.exists()


def test_long_text_is_counted_not_cut(alice_client, room):
    page = alice_client.get(NEW)
    assert not re.search(r"\smaxlength=", page.text)
    assert 'data-maxlength="5000"' in page.text
    response = alice_client.post(NEW, _post(room, summary="很" * 5001))
    assert response.status_code == 200 and "内容摘要：" in response.text
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "url", [reverse("stations:opinion_create"), reverse("stations:visit_create")], ids=["public", "staff"]
)
def test_forms_carry_no_maxlength_that_cuts(client, alice, room, url):
    client.force_login(alice)
    assert not re.search(r"\smaxlength=", client.get(url).text)


# --- the session's end ------------------------------------------------------------------------------------------


def test_keep_alive_answers_how_long_the_session_lasts(alice_client, settings):
    response = alice_client.post(reverse("stations:session_keep_alive"))
    assert response.status_code == 200
    assert response.json() == {"expires_in": settings.SESSION_COOKIE_AGE}


def test_the_sign_in_page_says_the_session_ended_for_inactivity(client, alice, room):
    client.force_login(alice)
    client.get(NEW)  # signed in: the browser is marked
    Session.objects.all().delete()  # the session expires on the server
    response = client.post(NEW, _post(room), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "您已30 分钟无操作，登录已失效" in response.text
    assert not Visit.objects.exists()


def test_signing_out_is_not_reported_as_a_timeout(client, alice):
    client.force_login(alice)
    client.get(reverse("stations:staff_home"))
    client.post(reverse("logout"))
    assert "无操作，登录已失效" not in client.get(reverse("login")).text


# --- the printed record book --------------------------------------------------------------------------------------


def test_the_record_book_prints_with_the_station_and_period(alice_client, room, alice):
    make_visit(room, alice)
    response = alice_client.get(reverse("stations:visit_list"), {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert "css/record-book.css" in response.text
    assert '<span class="d-none d-print-inline"> · 余新镇代表联络站</span>' in response.text
    assert "时间段：2026-01-01 至 2026-12-31" in response.text
    assert "record-book-filters d-print-none" in response.text


def test_the_admins_user_page_sets_the_own_site_within_the_station(dana_client, alice, room, other_room):
    url = reverse("admin:auth_user_change", args=[alice.pk])
    page = dana_client.get(url)
    assert page.status_code == 200 and 'name="membership-0-site"' in page.text
    membership = Membership.objects.get(user=alice)
    form = {
        "username": "alice",
        "first_name": "爱丽丝",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "08:00:00",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": str(membership.pk),
        "membership-0-user": str(alice.pk),
        "membership-0-role": "staff",
        "membership-0-station": str(membership.station_id),
        "membership-0-site": str(other_room.pk),
    }
    refused = dana_client.post(url, form)
    assert refused.status_code == 200
    assert Membership.objects.get(user=alice).site_id is None
    assert dana_client.post(url, form | {"membership-0-site": str(room.pk)}).status_code == 302
    assert Membership.objects.get(user=alice).site_id == room.pk
