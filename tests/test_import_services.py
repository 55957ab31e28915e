"""Importing spreadsheets (issue 12, part 3): kinds, natural keys, all or nothing, and every bad file refused."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from stations.audit import Actor
from stations.imports.kinds import KINDS
from stations.models import Area, AuditEntry, Deputy, Mandate, Opinion, Site, Visit
from stations.services.imports import records_import

pytestmark = pytest.mark.django_db

SITE_HEADER = ["上级站点", "站点名称", "站点类型", "所在镇（街道）", "服务的村、社区"]
VISIT_HEADER = ["日期和时间", "站点", "来访人姓名", "来访人电话", "来访人数", "内容摘要", "提出的意见建议"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(content: bytes, *, district, user=None, name="file.csv", dry_run=False, kind=None, sites=None, kinds=None):
    with translation.override("zh-hans"):
        return records_import(
            stream=io.BytesIO(content),
            name=name,
            actor=Actor(user=user),
            district=district,
            sites=sites if sites is not None else Site.objects.all(),
            kinds=kinds or list(KINDS),
            kind=kind,
            dry_run=dry_run,
        )


def sites_file(encoding: str = "utf-8") -> bytes:
    return csv_bytes(
        [
            SITE_HEADER,
            ["", "新丰镇代表联络站", "代表联络站", "新丰镇", ""],
            ["新丰镇代表联络站", "竹林村代表联络室", "代表联络室", "新丰镇", "竹林村、净相村"],
        ],
        encoding,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_it_imports_sites_with_their_areas_in_every_encoding_chinese_excel_saves(district, encoding):
    result = run(sites_file(encoding), district=district)

    assert result.problems == []
    assert result.saved
    room = Site.objects.get(name="竹林村代表联络室")
    assert room.parent.name == "新丰镇代表联络站"
    assert sorted(room.areas.values_list("name", flat=True)) == ["净相村", "竹林村"]
    assert result.totals()["site"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert AuditEntry.objects.filter(action="import.sites").exists()
    assert AuditEntry.objects.filter(action="site.created").count() == 2


def test_importing_the_same_file_again_changes_nothing(district):
    run(sites_file(), district=district)
    entries = AuditEntry.objects.count()

    again = run(sites_file(), district=district)

    assert again.totals()["site"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert Site.objects.count() == 2 and Area.objects.count() == 2
    assert AuditEntry.objects.count() == entries + 1  # only the import's own entry


def test_a_dry_run_lists_problems_and_saves_nothing(district):
    content = csv_bytes(
        [
            SITE_HEADER,
            ["", "新丰镇代表联络站", "代表联络站", "新丰镇", ""],
            ["不存在的站", "竹林村代表联络室", "代表联络室", "新丰镇", ""],
            ["", "某站", "联络所", "新丰镇", ""],
        ]
    )

    result = run(content, district=district, dry_run=True)

    assert not result.saved
    assert Site.objects.count() == 0
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (3, "上级站点", "不存在的站"),
        (4, "站点类型", "联络所"),
    ]
    assert "代表联络室" in result.problems[1].message  # the allowed values are listed


def test_a_real_run_with_one_bad_row_saves_nothing_of_the_file(district):
    content = csv_bytes(
        [SITE_HEADER, ["", "新丰镇代表联络站", "代表联络站", "新丰镇", ""], ["", "某站", "联络所", "新丰镇", ""]]
    )

    result = run(content, district=district)

    assert not result.saved and result.problem_count == 1
    assert Site.objects.count() == 0


def test_deputies_with_mandates_and_assignments(district, room):
    header = ["代表编号", "代表姓名", "性别", "层级", "任期开始", "进站站点", "代表电话"]
    content = csv_bytes(
        [
            header,
            ["", "张伟", "男", "区", "2021-12-01", "金星村代表联络室", "13812345678"],
            ["", "李娜", "女", "镇", "2021-12-01", "金星村代表联络室", ""],
        ]
    )

    result = run(content, district=district)

    assert result.problems == [], result.problems
    zhang = Deputy.objects.get(name="张伟")
    assert list(zhang.sites.all()) == [room]
    assert Mandate.objects.get(deputy=zhang).level == "district"
    assert run(content, district=district).totals()["deputy"]["unchanged"] == 2


@pytest.fixture
def recorder(bob):
    # Imports bring in past records: the station head (or an administrator) may enter them late; staff may not.
    return bob


def visit_rows(*extra: list[str]) -> bytes:
    return csv_bytes([VISIT_HEADER, *extra])


def test_visits_with_opinions_come_in_through_the_record_book_service(district, room, deputies, recorder):
    content = visit_rows(
        ["2026-03-20 09:30", "金星村代表联络室", "王芳", "13812345678", "3", "道路破损", "修路"],
        ["2026-03-20 09:30", "金星村代表联络室", "王芳", "13812345678", "3", "道路破损", "装路灯"],
    )

    result = run(content, district=district, user=recorder)

    assert result.problems == [], result.problems
    visit = Visit.objects.get()
    assert visit.people == 3 and visit.recorded_by == recorder
    assert sorted(visit.opinions.values_list("content", flat=True)) == ["修路", "装路灯"]
    assert result.totals()["visit"] == {"created": 1, "updated": 0, "unchanged": 1}
    again = run(content, district=district, user=recorder)
    assert again.totals()["opinion"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert Opinion.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (["2026-03-20 09:30", "不存在的站", "王芳", "", "1", "事", ""], "站点", "No site"),
        (["1999-03-20 09:30", "金星村代表联络室", "王芳", "", "1", "事", ""], "日期和时间", ""),
        (["2026-03-20 09:30", "金星村代表联络室", "王芳", "12345", "1", "事", ""], "来访人电话", ""),
        (["2026-03-20 09:30", "金星村代表联络室", "王芳", "", "1", "=HYPERLINK(1)", ""], "内容摘要", ""),
        (["2026-03-20 09:30", "金星村代表联络室", "王芳", "", "abc", "事", ""], "来访人数", ""),
    ],
    ids=["unknown site", "date out of bounds", "malformed phone", "formula", "not a number"],
)
def test_bad_rows_are_reported_with_row_column_and_value(district, room, recorder, row, column, fragment):
    result = run(visit_rows(row), district=district, user=recorder)

    assert Visit.objects.count() == 0
    assert [(p.row, p.column) for p in result.problems] == [(2, column)]


def test_duplicate_rows_are_refused(district, room, recorder):
    row = ["2026-03-20 09:30", "金星村代表联络室", "王芳", "", "1", "事", ""]

    result = run(visit_rows(row, row), district=district, user=recorder)

    assert [p.row for p in result.problems] == [3]
    assert "2" in result.problems[0].message
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-HYPERLINK(1)"])
def test_csv_cells_a_spreadsheet_would_run_are_refused(district, room, recorder, text):
    row = ["2026-03-20 09:30", "金星村代表联络室", "王芳", "", "1", text, ""]

    result = run(visit_rows(row), district=district, user=recorder)

    assert [(p.column, p.value) for p in result.problems] == [("内容摘要", text)]


def test_a_country_code_and_a_dash_list_are_not_formulas(district, room, recorder):
    row = ["2026-03-20 09:30", "金星村代表联络室", "王芳", "+86 138 1234 5678", "1", "- 路灯坏了", ""]

    result = run(visit_rows(row), district=district, user=recorder)

    assert result.problems == []
    assert Visit.objects.get().visitor_phone == "13812345678"


def test_formulas_in_xlsx_cells_are_refused(district, room, recorder):
    content = xlsx_bytes([VISIT_HEADER, ["2026-03-20 09:30", "金星村代表联络室", "王芳", "", "=1+1", "事", ""]])

    result = run(content, district=district, user=recorder, name="book.xlsx")

    assert [(p.row, p.column, p.value) for p in result.problems] == [(2, "来访人数", "=1+1")]


def test_xlsx_files_are_read(district, room, recorder):
    import datetime as dt

    content = xlsx_bytes([VISIT_HEADER, [dt.datetime(2026, 3, 20, 9, 30), "金星村代表联络室", "王芳", "", 2, "事", ""]])

    result = run(content, district=district, user=recorder, name="book.xlsx")

    assert result.problems == [] and Visit.objects.get().people == 2


def test_wrong_or_missing_headers_are_refused(district):
    content = csv_bytes([["站点名称", "颜色"], ["新丰镇代表联络站", "红"]])

    result = run(content, district=district, kind="sites")

    messages = {(p.column, p.message) for p in result.problems}
    assert any(column == "颜色" for column, _message in messages)
    assert any(column == "站点类型" for column, _message in messages)
    assert Site.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", b"PK\x03\x04not really a zip", b"%PDF-1.4 hello"],
    ids=["image", "broken zip", "pdf"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused(district, content):
    result = run(content, district=district, name="upload.xlsx")

    assert result.problem_count == 1 and result.problems[0].row == 0
    assert "XLSX" in result.problems[0].message


def test_a_file_over_the_size_limit_is_refused_before_reading(district, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    content = sites_file() + b"\n" * (1024 * 1024)

    result = run(content, district=district)

    assert result.problems[0].row == 0 and "MB" in result.problems[0].message
    assert Site.objects.count() == 0


def test_a_station_head_imports_only_into_their_station(district, room, other_station, bob):
    from stations.policy import import_kinds, visible_sites

    content = visit_rows(["2026-03-20 09:30", "凤桥镇代表联络站", "王芳", "", "1", "事", ""])

    result = run(content, district=district, user=bob, sites=visible_sites(bob), kinds=import_kinds(bob))

    assert [p.column for p in result.problems] == ["站点"]
    refused = run(sites_file(), district=district, user=bob, sites=visible_sites(bob), kinds=import_kinds(bob))
    assert refused.problems[0].row == 0 and Site.objects.filter(name="新丰镇代表联络站").count() == 0


def test_rosters_with_shifts_duties_and_attendance(district, room, deputies, bob):
    from stations.models import Duty, DutyShift
    from stations.policy import import_kinds, visible_sites

    header = ["站点", "接待开始时间", "结束时间", "值班代表", "到岗情况", "缺席原因", "代班代表"]
    content = csv_bytes(
        [
            header,
            ["金星村代表联络室", "2026-03-20 09:00", "11:30", "顾海明", "出席", "", ""],
            ["金星村代表联络室", "2026-03-20 09:00", "11:30", "黄美勤", "缺席", "因病", ""],
        ]
    )

    result = run(content, district=district, user=bob, sites=visible_sites(bob), kinds=import_kinds(bob))

    assert result.problems == [], result.problems
    shift = DutyShift.objects.get()
    assert sorted(Duty.objects.values_list("deputy__name", "attendance")) == [
        ("顾海明", "present"),
        ("黄美勤", "absent"),
    ]
    assert shift.roster.year == 2026
    again = run(content, district=district, user=bob, sites=visible_sites(bob), kinds=import_kinds(bob))
    assert again.totals()["duty"] == {"created": 0, "updated": 0, "unchanged": 2}


def test_unknown_deputies_are_named_in_the_problem(district, room, deputies, recorder):
    header = ["日期和时间", "站点", "接待代表", "内容摘要"]
    content = csv_bytes([header, ["2026-03-20 09:30", "金星村代表联络室", "顾海明、无名氏", "事"]])

    result = run(content, district=district, user=recorder)

    assert [(p.row, p.column, p.value) for p in result.problems] == [(2, "接待代表", "顾海明、无名氏")]
    assert "无名氏" in result.problems[0].message
    assert Visit.objects.count() == 0


def test_a_50_mb_file_is_refused_by_the_default_limit(district):
    content = sites_file() + b"\n" * (50 * 1024 * 1024)

    result = run(content, district=district)

    assert [(p.row, p.value) for p in result.problems] == [(0, "file.csv")]
    assert "50.0 MB" in result.problems[0].message and "32.0 MB" in result.problems[0].message
    assert Site.objects.count() == 0
