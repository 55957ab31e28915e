"""Importing the record book in one batch (issue 12, part 5): the same services and checks as the forms, with
look-ups made once per file, history and timeline written in bulk and one audit entry for the file. What a
user notices: every record, version and step is there with the file's dates; a bad row anywhere saves nothing
and is named; the audit log says what the import did."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from stations.audit import Actor
from stations.clock import local_time
from stations.imports.kinds import KINDS
from stations.models import AuditEntry, HandlingBody, Opinion, OpinionEvent, Site, State, Visit
from stations.services.imports import records_import

pytestmark = pytest.mark.django_db

HEADER = [
    "日期和时间", "站点", "来访人姓名", "来访人数", "内容摘要", "提出的意见建议",
    "受理日期", "承办单位", "交办日期", "答复", "答复日期", "办理结果", "办结日期",
]  # fmt: skip
BODY = "区交通运输局"


def row(
    n: int, *, day: int = 20, opinion: str = "", steps: int = 0, people: str = "1", accepted: str = ""
) -> list[str]:
    """Visit n on 2026-03-<day>; with `steps` 1 to 4 its opinion is accepted, referred, replied, resolved."""
    cells = [f"2026-03-{day:02d} 09:{n % 60:02d}", "金星村代表联络室", f"来访人{n}", people, f"第{n}号来访"]
    cells += [opinion or (f"第{n}号意见" if steps else ""), "", "", "", "", "", "", ""]
    if steps >= 1:
        cells[6] = accepted or f"2026-03-{day + 1:02d} 10:00"
    if steps >= 2:
        cells[7], cells[8] = BODY, f"2026-03-{day + 2:02d} 10:00"
    if steps >= 4:
        cells[9], cells[10], cells[11], cells[12] = (
            "已修复",
            f"2026-03-{day + 5:02d} 10:00",
            "已解决",
            f"2026-03-{day + 6:02d} 10:00",
        )
    return cells


def run(rows: list[list[str]], *, district, user, dry_run: bool = False):
    content = "\n".join(",".join(cells) for cells in [HEADER, *rows]).encode()
    with translation.override("zh-hans"):
        return records_import(
            stream=io.BytesIO(content),
            name="record-book.csv",
            actor=Actor(user=user),
            district=district,
            sites=Site.objects.all(),
            kinds=list(KINDS),
            dry_run=dry_run,
        )


@pytest.fixture
def body(db):
    return HandlingBody.objects.create(name=BODY)


def test_every_record_keeps_its_versions_and_dated_steps_and_the_file_has_one_audit_entry(district, room, bob, body):
    result = run([row(1, steps=4), row(2, opinion="装路灯")], district=district, user=bob)

    assert result.problems == [] and result.saved
    resolved = Opinion.objects.get(content="第1号意见")
    assert resolved.state == State.RESOLVED and resolved.handling_body == body
    assert resolved.registered_at == resolved.visit.occurred_at
    steps = [(event.action, f"{local_time(event.at):%m-%d %H:%M}") for event in resolved.events.all()]
    assert steps == [
        ("register", "03-20 09:01"),
        ("accept", "03-21 10:00"),
        ("refer", "03-22 10:00"),
        ("reply", "03-25 10:00"),
        ("resolve", "03-26 10:00"),
    ]
    # One history version per write, as a form's would be, by the person named as importing.
    assert [version.state for version in resolved.history.order_by("history_id")] == [
        "registered", "accepted", "referred", "replied", "resolved",
    ]  # fmt: skip
    assert {version.history_user for version in Visit.history.all()} == {bob}
    assert Visit.history.count() == 2 and Visit.objects.filter(entered_late=True).count() == 2
    assert sorted(Opinion.objects.values_list("reference", flat=True)) == ["NH-2026-00001", "NH-2026-00002"]
    # The audit log: one entry for the file, with what it did, instead of one per record.
    assert not AuditEntry.objects.exclude(action="import.visits").exists()
    entry = AuditEntry.objects.get(action="import.visits")
    assert entry.changes["records"] == {
        "visit.created": 2,
        "opinion.registered": 2,
        "opinion.accepted": 1,
        "opinion.referred": 1,
        "opinion.replied": 1,
        "opinion.resolved": 1,
    }
    assert entry.changes["entered_late"] == 8  # all of it is from March: two visits, two opinions, four steps

    again = run([row(1, steps=4), row(2, opinion="装路灯")], district=district, user=bob)
    assert again.totals()["visit"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert OpinionEvent.objects.count() == 6 and Opinion.history.count() == 6


def test_a_bad_row_deep_in_a_large_file_saves_nothing_and_is_named(district, room, bob, body):
    rows = [row(n, day=1 + n % 20, steps=n % 5) for n in range(300)]
    rows[249] = row(249, day=10, steps=2, accepted="2026-03-13 10:00")  # accepted after it was referred
    rows[278] = row(278, people="0")

    result = run(rows, district=district, user=bob)

    assert not result.saved
    assert [(problem.row, problem.column) for problem in result.problems] == [
        (251, "提出的意见建议"),
        (280, "来访人数"),
    ]
    assert "办理环节的时间不能早于上一环节" in result.problems[0].message
    assert "大于或等于1" in result.problems[1].message
    assert Visit.objects.count() == Opinion.objects.count() == OpinionEvent.objects.count() == 0
    assert Visit.history.count() == Opinion.history.count() == 0
    assert AuditEntry.objects.get().changes["saved"] is False


def test_a_refused_row_leaves_the_rows_after_it_checked_as_if_it_had_not_been_there(district, room, bob, body):
    rows = [
        row(1, steps=1),
        row(2, steps=2, accepted="2026-03-23 10:00"),  # a new visit whose opinion's steps are out of order
        row(2, opinion="第2号来访的第二条意见"),  # the same visit again: it was rolled back with row 3
    ]

    result = run(rows, district=district, user=bob, dry_run=True)

    assert [problem.row for problem in result.problems] == [3]
    assert result.totals()["visit"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert Visit.objects.count() == 0

    fixed = run([rows[0], row(2, steps=2), rows[2]], district=district, user=bob)
    assert fixed.saved and fixed.problems == []
    assert Visit.objects.get(visitor_name="来访人2").opinions.count() == 2


def _queries_to_import(rows: list[list[str]], *, district, user) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = run(rows, district=district, user=user)
    assert result.saved, result.problems
    return len(captured.captured_queries)


def test_importing_more_visits_costs_a_small_constant_number_of_queries_a_row(district, room, bob, body):
    """A visit with an opinion taken through four steps cost about 31 + 72 queries a row through the services
    one record at a time (tests/test_service_queries.py); in an import it is a few: the visit, the opinion and
    each step's update, with the rest written in bulk."""
    small = _queries_to_import([row(n, steps=4) for n in range(10)], district=district, user=bob)
    Opinion.objects.all().delete()
    Visit.objects.all().delete()
    large = _queries_to_import([row(n, steps=4) for n in range(10, 40)], district=district, user=bob)

    # 30 rows against 10: what the 20 more cost, each. Measured: 8.15 (the row's savepoint and its release,
    # the visit, the opinion, four steps' updates; versions, timeline and audit counted in bulk).
    per_row = (large - small) / 20
    assert per_row <= 9


def test_visits_and_opinions_no_longer_held_are_read_again_by_the_rows_after_them(
    district, room, bob, body, monkeypatch
):
    monkeypatch.setattr("stations.services.batch.HELD_MAX", 1)
    rows = [
        row(1, opinion="修路"),
        row(2, steps=1),
        row(1, opinion="修路", steps=2),  # visit 1 and its opinion again, both no longer held: steps taken
        row(1, opinion="装路灯"),
    ]

    result = run(rows, district=district, user=bob)

    assert result.saved and result.problems == []
    assert result.totals()["visit"] == {"created": 2, "updated": 0, "unchanged": 2}
    assert result.totals()["opinion"] == {"created": 3, "updated": 1, "unchanged": 0}
    road = Opinion.objects.get(content="修路")
    assert road.state == State.REFERRED
    assert [event.action for event in road.events.all()] == ["register", "accept", "refer"]
    assert [version.state for version in road.history.order_by("history_id")] == ["registered", "accepted", "referred"]
