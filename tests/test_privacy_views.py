"""The voter's-rights pages: find by phone, export, anonymise (district administrators only)."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from stations.models import AuditAction, AuditEntry, OpinionEvent, State, Visit
from tests.factories_security import make_opinion, make_visit

VOTER = "13812345678"
LOOKUP = "stations:voter_lookup"
EXPORT = "stations:voter_export"
ANONYMISE = "stations:voter_anonymise"


@pytest.fixture
def voter(room, alice):
    make_visit(room, alice, summary="道路破损")
    make_opinion(room, content="增设路灯")


def test_anonymous_users_are_sent_to_sign_in(client, db):
    for name in (LOOKUP, EXPORT, ANONYMISE):
        response = client.post(reverse(name), {"phone": VOTER})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["alice", "bob", "erin"])
def test_station_staff_heads_and_deputies_are_refused(client, voter, role, request):
    client.force_login(request.getfixturevalue(role))
    for name in (LOOKUP, EXPORT, ANONYMISE):
        assert client.post(reverse(name), {"phone": VOTER, "reason": "x", "confirm": "on"}).status_code == 403
    assert Visit.objects.filter(visitor_phone=VOTER).exists()


def test_a_district_admin_finds_the_voters_records_by_phone(dana_client, voter):
    assert dana_client.get(reverse(LOOKUP)).status_code == 200
    response = dana_client.post(reverse(LOOKUP), {"phone": "+86 138 1234 5678"})
    assert response.status_code == 200
    assert "道路破损" in response.text and "增设路灯" in response.text
    recorded = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_VIEWED)
    assert recorded.changes == {"phone": "138****5678", "visits": 1, "opinions": 1}


def test_a_number_without_records_says_so(dana_client, voter):
    response = dana_client.post(reverse(LOOKUP), {"phone": "13700000000"})
    assert "没有接待记录或意见建议使用此号码" in response.text


def test_a_malformed_number_is_a_form_error(dana_client, voter):
    response = dana_client.post(reverse(LOOKUP), {"phone": "12345"})
    assert response.status_code == 200
    assert "请输入大陆手机号码" in response.text
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_VIEWED).exists()


def test_the_lookup_stays_within_a_fixed_number_of_queries(dana_client, room, alice, django_assert_max_num_queries):
    Visit.objects.bulk_create(
        [
            Visit(
                site=room,
                recorded_by=alice,
                occurred_at=make_visit(room, alice).occurred_at,
                visitor_phone=VOTER,
                summary=f"第{i}次",
            )
            for i in range(60)
        ]
    )
    # Session, user, OTP device, role, visits, opinions, audit insert, session save (+2 savepoints in tests).
    with django_assert_max_num_queries(10):
        response = dana_client.post(reverse(LOOKUP), {"phone": VOTER})
    assert response.text.count("<td>第") == 60


def test_the_export_is_a_workbook_named_with_the_masked_number(dana_client, voter):
    response = dana_client.post(reverse(EXPORT), {"phone": VOTER})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert VOTER not in response["Content-Disposition"]
    assert "138xxxx5678" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.worksheets[0]["H2"].value == "道路破损"
    assert AuditEntry.objects.filter(action=AuditAction.VOTER_EXPORTED).count() == 1


def test_the_export_and_the_erasure_take_no_get_requests(dana_client, voter):
    assert dana_client.get(reverse(EXPORT), {"phone": VOTER}).status_code == 405
    assert dana_client.get(reverse(ANONYMISE), {"phone": VOTER}).status_code == 405


def test_the_erasure_needs_a_reason_and_a_confirmation(dana_client, voter):
    response = dana_client.post(reverse(ANONYMISE), {"phone": VOTER, "reason": "选民申请"})
    assert response.status_code == 400
    assert Visit.objects.filter(visitor_phone=VOTER).exists()


def test_the_erasure_removes_the_voters_data_and_says_what_it_did(dana_client, voter):
    response = dana_client.post(
        reverse(ANONYMISE), {"phone": VOTER, "reason": "选民 3 月 5 日书面申请", "confirm": "on"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(LOOKUP)
    assert "138****5678" in response.text
    assert not Visit.objects.filter(visitor_phone=VOTER).exists()
    assert Visit.objects.get().summary == "道路破损"
    assert AuditEntry.objects.get(action=AuditAction.VOTER_ANONYMISED).address == "127.0.0.1"


def test_after_the_erasure_no_page_shows_the_number_however_it_was_written(dana_client, room, alice):
    # The landline stored with a hyphen, typed without; the number quoted in summaries, an opinion, a reply,
    # a handling note; an earlier version of a record that held it.
    landline, typed = "0573-82345678", "057382345678"
    stored = make_visit(room, alice, visitor_phone=landline, summary="回电 0573 8234 5678")
    quoted = make_visit(
        room, alice, visitor_name="李四", visitor_phone="13987654321", summary="邻居电话+86 573 82345678"
    )
    quoted.summary = "邻居电话（0573）82345678，已转达"
    quoted.save()
    opinion = make_opinion(room, visit=stored, submitter_phone=landline, content="座机0573-82345678白天有人")
    OpinionEvent.objects.create(opinion=opinion, to_state=State.ACCEPTED, note="已拨 0573-8234-5678")
    dana_client.get(reverse("admin:stations_visit_change", args=[stored.pk]), {"reveal": "1"})  # it is there before

    response = dana_client.post(reverse(ANONYMISE), {"phone": typed, "reason": "选民申请", "confirm": "on"})
    assert response.status_code == 302

    digits = re.compile(r"8\D{0,3}2\D{0,3}3\D{0,3}4\D{0,3}5\D{0,3}6\D{0,3}7\D{0,3}8")
    pages = [
        reverse("stations:visit_detail", args=[stored.pk]) + "?reveal=1",
        reverse("stations:visit_detail", args=[quoted.pk]) + "?reveal=1",
        reverse("stations:staff_opinion_detail", args=[opinion.pk]) + "?contact=show",
        reverse("admin:stations_visit_change", args=[stored.pk]) + "?reveal=1",
        reverse("admin:stations_visit_change", args=[quoted.pk]) + "?reveal=1",
        reverse("admin:stations_visit_history", args=[quoted.pk]),
        reverse("admin:stations_opinion_change", args=[opinion.pk]) + "?reveal=1",
        *(
            reverse("admin:stations_visit_simple_history", args=[visit.pk, version.history_id]) + "?reveal=1"
            for visit in (stored, quoted)
            for version in visit.history.all()
        ),
    ]
    for path in pages:
        page = dana_client.get(path)
        assert page.status_code == 200, path
        assert not digits.search(page.text), path
        assert "号码已删除" in page.text or "reveal=1" not in path or "history/" in path, path
    exported = dana_client.get(reverse("stations:visit_export", args=["xlsx"]), {"unmasked": "1"})
    book = load_workbook(io.BytesIO(exported.content))
    cells = " ".join(str(value) for row in book.worksheets[0].iter_rows(values_only=True) for value in row)
    assert "邻居电话[号码已删除]，已转达" in cells
    assert not digits.search(cells)
    assert "13987654321" in cells  # the other voter's own number stays
