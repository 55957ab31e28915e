"""A voter's rights as services: anonymisation that keeps every figure, and the export of their records."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from openpyxl import load_workbook

from stations.audit import Actor
from stations.models import AuditAction, AuditEntry, Opinion, OpinionEvent, State, Visit
from stations.selectors.privacy import voter_records
from stations.services.privacy import voter_anonymise, voter_export_xlsx
from tests.factories_security import make_opinion, make_visit

VOTER = "13812345678"
NEIGHBOUR = "13987654321"


@pytest.fixture
def records(room, other_room, alice, charlie):
    visits = [
        make_visit(room, alice, people=3, category="transport"),
        make_visit(other_room, charlie, visitor_phone=f"+86{VOTER}", people=2),
        make_visit(room, alice, visitor_name="李四", visitor_phone=NEIGHBOUR, people=5),
    ]
    opinions = [
        make_opinion(room, visit=visits[0], state=State.REFERRED),
        make_opinion(room, state=State.RESOLVED),
        make_opinion(room, submitter_name="李四", submitter_phone=NEIGHBOUR, state=State.REFERRED),
    ]
    return visits, opinions


def figures() -> dict:
    """What the statistics are made of: counts of visits and people by site and topic, opinions by state."""
    return {
        "visits": list(
            Visit.objects.values("site", "category")
            .annotate(n=Count("id"), people=Sum("people"))
            .order_by("site", "category")
        ),
        "opinions": list(
            Opinion.objects.values("site", "state", "category").annotate(n=Count("id")).order_by("site", "state")
        ),
        "linked": list(
            Opinion.objects.filter(visit__isnull=False).values_list("visit_id", flat=True).order_by("visit_id")
        ),
    }


def test_anonymisation_erases_names_phones_and_emails_of_that_voter_only(records, dana):
    result = voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="选民 3 月 5 日书面申请")
    assert (result.visits, result.opinions) == (2, 2)
    visits, opinions = records
    for visit in visits[:2]:
        visit.refresh_from_db()
        assert (visit.visitor_name, visit.visitor_phone) == ("", "")
    for opinion in opinions[:2]:
        opinion.refresh_from_db()
        assert (opinion.submitter_name, opinion.submitter_phone, opinion.submitter_email) == ("", "", "")
    visits[2].refresh_from_db()
    opinions[2].refresh_from_db()
    assert (visits[2].visitor_name, visits[2].visitor_phone) == ("李四", NEIGHBOUR)
    assert (opinions[2].submitter_name, opinions[2].submitter_phone) == ("李四", NEIGHBOUR)


def test_anonymisation_keeps_the_statistics_unchanged(records, dana):
    before = figures()
    voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="申请")
    assert figures() == before
    assert Visit.objects.aggregate(people=Sum("people"))["people"] == 10


def test_anonymisation_reaches_the_history_too(room, alice, dana):
    visit = make_visit(room, alice)
    visit.summary = "补充了情况"
    visit.save()
    corrected = make_visit(room, alice, visitor_name="张三", visitor_phone=VOTER)
    corrected.visitor_name, corrected.visitor_phone = "张山", NEIGHBOUR  # the number was typed wrong at first
    corrected.save()

    result = voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="申请")

    assert not Visit.history.filter(visitor_phone=VOTER).exists()
    assert not visit.history.exclude(visitor_name="").exists()
    assert result.history_rows == 3
    corrected.refresh_from_db()
    assert (corrected.visitor_name, corrected.visitor_phone) == ("张山", NEIGHBOUR)
    assert corrected.history.filter(visitor_phone=NEIGHBOUR).exists()


def test_anonymisation_is_recorded_with_the_phone_masked(records, dana):
    voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="选民申请")
    recorded = AuditEntry.objects.get(action=AuditAction.VOTER_ANONYMISED)
    assert recorded.actor == dana
    assert recorded.changes == {
        "phone": "138****5678",
        "visits": 2,
        "opinions": 2,
        "history_rows": 2,
        "texts": 0,
        "reason": "选民申请",
    }
    assert VOTER not in str(recorded.changes) + recorded.summary


@pytest.mark.parametrize("phone, reason", [("", "申请"), (VOTER, "  ")], ids=["no-phone", "no-reason"])
def test_anonymisation_needs_a_phone_and_a_reason(records, dana, phone, reason):
    with pytest.raises(ValidationError):
        voter_anonymise(phone=phone, actor=Actor(user=dana), reason=reason)
    assert Visit.objects.filter(visitor_phone=VOTER).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.VOTER_ANONYMISED).exists()


def test_the_export_holds_every_record_of_the_voter_and_is_recorded(records, dana):
    content = voter_export_xlsx(phone=VOTER, records=voter_records(phone=VOTER), actor=Actor(user=dana))
    book = load_workbook(io.BytesIO(content))
    visits, opinions = book.worksheets
    assert visits.max_row == 3 and opinions.max_row == 3  # a header and two rows each
    assert {row[3] for row in visits.iter_rows(min_row=2, values_only=True)} == {VOTER, f"+86{VOTER}"}
    recorded = AuditEntry.objects.get(action=AuditAction.VOTER_EXPORTED)
    assert recorded.changes == {"phone": "138****5678", "visits": 2, "opinions": 2}


def test_the_export_writes_formula_looking_text_as_text(room, alice, dana):
    make_visit(room, alice, summary='=HYPERLINK("http://evil.example","点击")')
    content = voter_export_xlsx(phone=VOTER, records=voter_records(phone=VOTER), actor=Actor(user=dana))
    cell = load_workbook(io.BytesIO(content)).worksheets[0]["H2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","点击")'


# --- every way the number may be written, everywhere it may stand ------------------------------------------------

LANDLINE = "057382345678"  # as the administrator types it into the search


@pytest.mark.parametrize(
    "stored",
    ["0573-82345678", "057382345678", "+86 573 8234 5678", "+8605738234 5678", "0086-573-82345678", "(0573)8234-5678"],
)
def test_a_landline_stored_any_way_is_found_and_erased(room, alice, dana, stored):
    visit = Visit.objects.create(
        site=room,
        recorded_by=alice,
        occurred_at=make_visit(room, alice).occurred_at,
        visitor_name="陈七",
        visitor_phone=stored,
        people=1,
        summary="来访",
    )
    opinion = make_opinion(room, submitter_phone=stored)

    assert [v.pk for v in voter_records(phone=LANDLINE).visits] == [visit.pk]
    result = voter_anonymise(phone=LANDLINE, actor=Actor(user=dana), reason="申请")

    assert (result.visits, result.opinions) == (1, 1)
    visit.refresh_from_db()
    opinion.refresh_from_db()
    assert (visit.visitor_name, visit.visitor_phone) == ("", "")
    assert (opinion.submitter_phone, opinion.submitter_email) == ("", "")
    assert not Visit.history.exclude(visitor_phone="").filter(id=visit.pk).exists()


@pytest.mark.parametrize("typed", ["+86 138 1234 5678", "0086 13812345678", "138-1234-5678", "１３８１２３４５６７８"])
def test_a_mobile_number_typed_any_way_finds_the_records(records, typed):
    found = voter_records(phone=typed)
    assert (len(found.visits), len(found.opinions)) == (2, 2)


def test_a_longer_number_holding_the_voters_is_not_the_voters(room, alice, dana):
    other = make_visit(room, alice, visitor_phone="0573-823456789", summary="订单号 1381234567890 已查")
    voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="申请")
    other.refresh_from_db()
    assert other.visitor_phone == "0573-823456789"
    assert other.summary == "订单号 1381234567890 已查"


def test_the_number_typed_into_free_text_is_erased_everywhere_history_included(room, alice, dana):
    # Another voter's visit quotes the number; an opinion, its reply and a handling note hold it in other writings.
    visit = make_visit(
        room, alice, visitor_name="李四", visitor_phone=NEIGHBOUR, summary="邻居王先生（电话138 1234 5678）一同反映。"
    )
    visit.summary += "回访请拨 +86-138-1234-5678。"
    visit.save()
    opinion = make_opinion(
        room, submitter_name="李四", submitter_phone=NEIGHBOUR, content="联系人13812345678，路灯坏了。"
    )
    opinion.reply = "已电话联系0086 13812345678。"
    opinion.save()
    event = OpinionEvent.objects.create(
        opinion=opinion, to_state=State.REGISTERED, note="王先生 138-1234-5678 补充材料"
    )
    landline_visit = make_visit(room, alice, visitor_phone=NEIGHBOUR, summary="座机 0573-8234 5678 打不通")
    before = figures()

    result = voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="申请")

    visit.refresh_from_db()
    opinion.refresh_from_db()
    event.refresh_from_db()
    assert visit.summary == "邻居王先生（电话[号码已删除]）一同反映。回访请拨 [号码已删除]。"
    assert (visit.visitor_name, visit.visitor_phone) == ("李四", NEIGHBOUR)  # another voter's own data stays
    assert opinion.content == "联系人[号码已删除]，路灯坏了。"
    assert opinion.reply == "已电话联系[号码已删除]。"
    assert event.note == "王先生 [号码已删除] 补充材料"
    landline_visit.refresh_from_db()
    assert landline_visit.summary == "座机 0573-8234 5678 打不通"  # another number
    for text in [*Visit.history.values_list("summary", flat=True), *Opinion.history.values_list("content", "reply")]:
        assert "5678" not in str(text).replace("0573-8234 5678", "")
    assert result.texts >= 6  # visit, opinion, event and their history rows
    assert figures() == before


@pytest.mark.parametrize(
    "written",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "13 81 23 45 67 8",
        "+86 138 1234 5678",
        "００８６１３８１２３４５６７８",
    ],
)
def test_each_writing_of_the_number_in_a_summary_is_erased(room, alice, dana, written):
    visit = make_visit(room, alice, visitor_phone=NEIGHBOUR, summary=f"请回电{written}。")
    voter_anonymise(phone=VOTER, actor=Actor(user=dana), reason="申请")
    visit.refresh_from_db()
    assert visit.summary == "请回电[号码已删除]。"
