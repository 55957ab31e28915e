"""The statistics pages: public figures, staff statistics with exports, deputies' records and attendance."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from stations.models import AuditAction, AuditEntry, Site, SiteKind
from stations.selectors.stats import Period, Scope, headline
from stations.stats_tables import display
from tests.conftest import make_deputy, make_user
from tests.factories_stats import build_known_year, local, make_opinion, make_shift, make_visit, page_tables

STAFF_STATS = reverse("stations:staff_stats")
PUBLIC_STATS = reverse("stations:public_stats")
ATTENDANCE = reverse("stations:deputy_attendance")


@pytest.fixture
def year(district, station, room, point, other_station, other_room, deputies):
    return build_known_year(district, station, room, point, other_station, deputies)


def record_url(deputy) -> str:
    return reverse("stations:deputy_record", args=[deputy.slug])


def headline_value(html: str, term: str) -> str:
    rows = page_tables(html)["table-headline"]
    return next(row[1] for row in rows if row[0] == term)


# --- /staff/stats/ --------------------------------------------------------------------------------------------


def test_staff_stats_needs_a_sign_in(client, db):
    response = client.get(STAFF_STATS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_stats_is_refused_to_a_deputy_account(client, erin):
    client.force_login(erin)
    assert client.get(STAFF_STATS).status_code == 403


def test_station_staff_see_only_their_station_in_the_scope_choices(client, alice, year, other_station):
    client.force_login(alice)
    response = client.get(STAFF_STATS, {"year": 2025})
    assert response.status_code == 200
    choices = dict(response.context["form"].fields["scope"].choices)
    values = [value for group in choices.values() for value, _label in group]
    assert values == ["station:yuxin", "site:yuxin", "site:yuxin-jinxing", "site:yuxin-jinxing-enterprise"]
    # The default scope is their station with its rooms and points: 6 visits, 19 voters in 2025.
    assert headline_value(response.text, "接待选民群众（人次）") == "19"


def test_staff_cannot_ask_for_another_stations_figures(client, alice, year):
    client.force_login(alice)
    response = client.get(STAFF_STATS, {"year": 2025, "scope": "station:fengqiao"})
    assert response.status_code == 200
    assert response.context["form"].errors["scope"]
    assert "table-headline" not in page_tables(response.text)


def test_a_district_administrator_changes_scope_and_period_and_the_figures_follow(client, dana, year, district):
    client.force_login(dana)
    whole = client.get(STAFF_STATS, {"year": 2025})
    assert headline_value(whole.text, "接待选民群众（人次）") == "22"  # the district: 19 at 余新镇, 3 at 凤桥镇
    march = client.get(STAFF_STATS, {"year": 2025, "month_from": 3, "month_to": 3, "scope": "site:yuxin-jinxing"})
    assert headline_value(march.text, "接待选民群众（人次）") == "16"
    assert "金星村代表联络室 · 2025年3月" in march.text
    day = client.get(STAFF_STATS, {"date_from": "2025-03-01", "date_to": "2025-03-01", "scope": "site:yuxin-jinxing"})
    assert headline_value(day.text, "接待选民群众（人次）") == "3"  # the two walk-ins of 1 March
    tables = page_tables(whole.text)
    assert {"table-month", "table-station", "table-category", "table-channel", "table-body", "table-level"} <= set(
        tables
    )
    assert "table-site" in page_tables(client.get(STAFF_STATS, {"year": 2025, "scope": "station:yuxin"}).text)


@pytest.mark.parametrize(
    "query",
    [
        {"month_from": 8, "month_to": 3},
        {"date_from": "2025-03-01"},
        {"date_from": "2025-03-02", "date_to": "2025-03-01"},
        {"year": 1999},
        {"scope": "district:nowhere"},
    ],
)
def test_bad_period_or_scope_shows_an_error_and_no_figures(client, dana, year, query):
    client.force_login(dana)
    response = client.get(STAFF_STATS, query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "is-invalid" in response.text
    assert "table-headline" not in page_tables(response.text)


def test_the_xlsx_export_opens_and_matches_every_table_on_the_page(client, dana, year):
    client.force_login(dana)
    query = {"year": 2025, "scope": "station:yuxin"}
    page = page_tables(client.get(STAFF_STATS, query).text)
    response = client.get(STAFF_STATS, {**query, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    table_ids = [key for key in page if key.startswith("table-")]
    assert len(workbook.sheetnames) == len(table_ids) + 1  # and the definitions
    for sheet, table_id in zip(workbook.worksheets, table_ids, strict=False):
        shown = [[_as_page_shows(cell) for cell in row] for row in sheet.iter_rows(min_row=2)]
        assert shown == page[table_id], table_id
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT_STATS, actor=dana).exists()


def _as_page_shows(cell) -> str:
    """An XLSX cell as the page prints it: rates are stored as fractions with a percentage format."""
    if cell.number_format == "0.0%":
        return f"{cell.value * 100:.1f}%"
    if cell.number_format == "0.0":
        return f"{cell.value:.1f}"
    return display(cell.value)


def test_xlsx_keeps_numbers_as_numbers_with_formats(client, dana, year):
    client.force_login(dana)
    response = client.get(STAFF_STATS, {"year": 2025, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = {row[0].value: row[1] for row in sheet.iter_rows(min_row=3)}
    assert values["接待选民群众（人次）"].value == 22
    assert values["解决率"].number_format == "0.0%"
    assert values["解决率"].value == pytest.approx(3 / 5)


@pytest.mark.parametrize("table", ["headline", "month", "station", "category", "channel", "body", "level"])
def test_each_csv_export_matches_its_table_on_the_page(client, dana, year, table):
    client.force_login(dana)
    page = page_tables(client.get(STAFF_STATS, {"year": 2025}).text)
    response = client.get(STAFF_STATS, {"year": 2025, "export": "csv", "table": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == page[f"table-{table}"]


def test_csv_of_an_unknown_table_is_404(client, dana, year):
    client.force_login(dana)
    assert client.get(STAFF_STATS, {"export": "csv", "table": "nope"}).status_code == 404


def test_staff_stats_takes_a_fixed_number_of_queries(client, dana, year, room, deputies, django_assert_max_num_queries):
    client.force_login(dana)
    client.get(STAFF_STATS, {"year": 2025})  # warm the session
    for day in range(1, 28):
        shift = make_shift(room, local(2025, 9, day), [(deputies[1], "present")])
        visit = make_visit(room, local(2025, 9, day, 10), shift=shift, people=2)
        make_opinion(room, local(2025, 9, day, 11), visit=visit)
    # 38, and one for the theme table (issue 16) since the page also resolves a region's scope (issue 15).
    with django_assert_max_num_queries(39):
        response = client.get(STAFF_STATS, {"year": 2025})
    assert headline_value(response.text, "接待选民群众（人次）") == str(22 + 27 * 2)


# --- /stats/ ---------------------------------------------------------------------------------------------------


def test_public_stats_show_the_district_and_each_station_without_names(client, year, district, deputies):
    response = client.get(PUBLIC_STATS, {"year": 2025})
    assert response.status_code == 200
    rows = page_tables(response.text)["table-stations"]
    assert [row[0] for row in rows[1:]] == ["南湖区", "余新镇代表联络站", "凤桥镇代表联络站"]
    voters = rows[0].index("接待选民群众（人次）")
    assert [row[voters] for row in rows[1:]] == ["22", "19", "3"]
    for name in [d.name for d in deputies] + ["沈志强", "钱伟", "测试", "recorder"]:
        assert name not in response.text


def test_public_stats_by_months_of_the_year(client, year):
    march = page_tables(client.get(PUBLIC_STATS, {"year": 2025, "month_from": 3, "month_to": 3}).text)
    rows = march["table-stations"]
    assert rows[1][rows[0].index("接待选民群众（人次）")] == "19"  # 16 at the room, 3 at 凤桥镇
    assert rows[1][rows[0].index("收到意见建议（件）")] == "6"


def test_public_stats_queries_do_not_grow_with_the_number_of_stations(
    client, year, district, django_assert_max_num_queries
):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(PUBLIC_STATS, {"year": 2025}).status_code == 200
        return len(captured)

    before = count_queries()
    for n in range(12):
        site = Site.objects.create(district=district, kind=SiteKind.STATION, name=f"新站{n}", slug=f"new-{n}")
        shift = make_shift(site, local(2025, 4, 20))
        make_visit(site, local(2025, 4, 20, 10), shift=shift, people=n + 1)
    assert count_queries() == before
    with django_assert_max_num_queries(14):
        client.get(PUBLIC_STATS, {"year": 2025})


def test_public_stats_reject_a_bad_period(client, db):
    response = client.get(PUBLIC_STATS, {"year": 2025, "month_from": 9, "month_to": 2})
    assert response.status_code == 200
    assert "table-stations" not in page_tables(response.text)
    assert "截止月份不能早于起始月份" in response.text


def test_public_figures_equal_the_selectors(client, year, district):
    rows = page_tables(client.get(PUBLIC_STATS, {"year": 2025, "month_from": 1, "month_to": 8}).text)["table-stations"]
    figures = headline(scope=Scope.for_district(district), period=Period.months(2025, 1, 8))
    header = rows[0]
    assert rows[1][header.index("收到意见建议（件）")] == str(figures.opinions)
    assert rows[1][header.index("推动解决")] == str(figures.resolved)
    assert rows[1][header.index("开展接待活动（次）")] == str(figures.events_held)


# --- /staff/deputies/<slug>/record/ ------------------------------------------------------------------------------


def test_deputy_record_shows_the_year_for_a_district_administrator(client, dana, year, deputies):
    client.force_login(dana)
    response = client.get(record_url(deputies[0]), {"year": 2025})
    assert response.status_code == 200
    assert "顾海明履职档案" in response.text
    assert "css/stats.css" in response.text and "data-print" in response.text
    summary = response.context["record"].figures
    assert (summary.scheduled, summary.present, summary.visits, summary.voters) == (3, 1, 2, 13)
    assert response.text.count("T-0") >= 4  # the four opinions raised at his receptions, by reference


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("alice", 0, 200),  # staff of the station whose room the deputy serves
        ("bob", 1, 200),
        ("charlie", 0, 404),  # another station's staff
        ("erin", 0, 200),  # the deputy themself
        ("erin", 1, 404),  # another deputy's record
    ],
)
def test_deputy_record_permissions(client, request, deputies, who, target, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(record_url(deputies[target])).status_code == status


def test_deputy_record_needs_a_sign_in_and_an_existing_deputy(client, dana, deputies):
    assert client.get(record_url(deputies[0])).status_code == 302
    client.force_login(dana)
    assert client.get(reverse("stations:deputy_record", args=["nobody"])).status_code == 404


def test_a_user_without_a_role_cannot_see_a_record(client, deputies):
    client.force_login(make_user("nobody", role=None))
    assert client.get(record_url(deputies[0])).status_code == 404


# --- /staff/deputies/ -------------------------------------------------------------------------------------------


def test_attendance_table_is_for_district_administrators(client, alice, bob, erin, db):
    assert client.get(ATTENDANCE).status_code == 302
    for user in (alice, bob, erin):
        client.force_login(user)
        assert client.get(ATTENDANCE).status_code == 403


def test_attendance_table_sorts_by_a_column_and_reverses(client, dana, year):
    client.force_login(dana)
    response = client.get(ATTENDANCE, {"year": 2025, "sort": "-scheduled"})
    rows = page_tables(response.text)["attendance-table"]
    scheduled = [int(row[3]) for row in rows[1:]]
    assert scheduled == sorted(scheduled, reverse=True)
    assert rows[1][0] == "顾海明"  # 3 shifts scheduled, the most
    assert 'aria-sort="descending"' in response.text
    ascending = page_tables(client.get(ATTENDANCE, {"year": 2025, "sort": "scheduled"}).text)["attendance-table"]
    assert [int(row[3]) for row in ascending[1:]] == sorted(scheduled)
    by_name = client.get(ATTENDANCE, {"year": 2025, "sort": "bogus"})
    assert by_name.status_code == 200 and by_name.context["sort"] == "name"


def test_attendance_table_takes_a_fixed_number_of_queries(client, dana, district, room, django_assert_max_num_queries):
    client.force_login(dana)
    for n in range(40):
        deputy = make_deputy(district, f"代表{n}", sites=[room], slug=f"many-{n}")
        make_shift(room, local(2025, 1 + n % 12, 20, 9, n), [(deputy, "present")])
    # session, user, membership, duties and presences by deputy, the deputies, their mandates, assignments
    # and sites, the verified second-factor device, the session's update (with its savepoint), the districts to
    # choose from and the page's bounded count (issue 15): the same for 40 deputies as for 4.
    with django_assert_max_num_queries(15):
        response = client.get(ATTENDANCE, {"year": 2025})
    assert len(page_tables(response.text)["attendance-table"]) == 41


def test_public_chart_compares_stations_without_the_district_total(client, year, district):
    html = client.get(PUBLIC_STATS, {"year": 2025}).text
    labels = re.findall(r'<span class="stats-bar-label">([^<]*)</span>', html)
    # The district's total stays in the table, above its stations, but would dwarf their bars in the chart.
    assert labels == ["余新镇代表联络站", "凤桥镇代表联络站"]
    assert page_tables(html)["table-stations"][1][0] == district.name


def test_every_export_uses_one_rule_against_formula_injection():
    """XLSX keeps the text as a text cell; CSV (which has no cell types) gets a leading apostrophe."""
    import openpyxl as xl

    from stations.exports import csv_text, xlsx_append

    sheet = xl.Workbook().active
    xlsx_append(sheet, ["=1+1", "普通文字", 3])
    assert sheet["A1"].data_type == "s" and sheet["A1"].value == "=1+1"
    assert list(csv.reader(io.StringIO(csv_text([["=1+1", "-2", "普通文字", 3]]).lstrip("\ufeff")))) == [
        ["'=1+1", "'-2", "普通文字", "3"]
    ]


def test_pages_and_exports_show_resolved_in_its_two_parts_with_still_open_and_overdue(client, dana, year, district):
    figures = headline(scope=Scope.for_district(district), period=Period.year(2025))
    public = client.get(PUBLIC_STATS, {"year": 2025}).text
    rows = page_tables(public)["table-stations"]
    header = rows[0]
    assert rows[1][header.index("其中：问题已解决")] == str(figures.resolved_solved)
    assert rows[1][header.index("其中：已解释说明")] == str(figures.resolved_explained)
    assert rows[1][header.index("尚在办理")] == str(figures.still_open)
    assert rows[1][header.index("已逾期")] == str(figures.overdue)
    assert figures.resolved_solved + figures.resolved_explained == figures.resolved
    assert "收到意见建议 = 不予受理 + 推动解决 + 尚在办理" in public  # the definition, on the page

    client.force_login(dana)
    assert headline_value(client.get(STAFF_STATS, {"year": 2025}).text, "尚在办理") == str(figures.still_open)
    exported = client.get(STAFF_STATS, {"year": 2025, "export": "csv", "table": "headline"}).content.decode("utf-8-sig")
    assert "其中：已解释说明" in exported and "已逾期" in exported


def test_attendance_table_shows_next_years_published_roster_in_december(client, dana, district, room):
    next_year = timezone.localdate().year + 1
    deputy = make_deputy(district, "明年值班", sites=[room], slug="next-year")
    make_shift(room, local(next_year, 1, 20, 9, 0), [(deputy, "unmarked")])
    client.force_login(dana)
    response = client.get(ATTENDANCE, {"year": next_year})
    assert response.context["year"] == next_year
    assert f'<option value="{next_year}" selected>' in response.text
    row = next(r for r in page_tables(response.text)["attendance-table"] if r[0] == "明年值班")
    assert row[3] == "1"  # one duty scheduled


def test_public_stats_queries_do_not_grow_with_the_number_of_districts(
    client, year, district, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stations.models import District

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PUBLIC_STATS, {"year": 2025}).status_code == 200
        return len(captured)

    def add_district(n: int) -> None:
        other = District.objects.create(name=f"第{n}区", slug=f"district-{n}", code=f"D{n}")
        for k in range(2):
            site = Site.objects.create(
                district=other, kind=SiteKind.STATION, name=f"第{k}镇代表联络站", slug=f"d{n}-s{k}", town=f"第{k}镇"
            )
            make_visit(site, local(2025, 4, 20, 10), shift=make_shift(site, local(2025, 4, 20)), people=n + 1)

    # Two districts open on the smallest region holding both (the whole portal here): one row per district.
    add_district(0)
    before = count_queries()
    for n in range(1, 12):
        add_district(n)
    assert count_queries() == before
    with django_assert_max_num_queries(16):
        response = client.get(PUBLIC_STATS, {"year": 2025})
    # Every district has its row, the new ones with their own voters.
    for n in range(12):
        assert f"第{n}区" in response.text


def test_attendance_table_pages_through_many_deputies_in_name_order(
    client, dana, district, room, django_assert_max_num_queries
):
    client.force_login(dana)
    for n in range(60):
        make_deputy(district, f"页代表{n:02d}", sites=[room], slug=f"paged-{n}")
    with django_assert_max_num_queries(15):
        first = client.get(ATTENDANCE, {"year": 2025, "q": "页代表"})
    names = [row[0] for row in page_tables(first.text)["attendance-table"][1:]]
    assert names == [f"页代表{n:02d}" for n in range(50)]
    assert "page=2" in first.text
    second = client.get(ATTENDANCE, {"year": 2025, "q": "页代表", "page": 2})
    assert [row[0] for row in page_tables(second.text)["attendance-table"][1:]] == [
        f"页代表{n:02d}" for n in range(50, 60)
    ]
    reversed_names = client.get(ATTENDANCE, {"year": 2025, "q": "页代表", "sort": "-name"})
    assert page_tables(reversed_names.text)["attendance-table"][1][0] == "页代表59"


def test_attendance_table_narrows_by_district_and_ranks_only_a_narrow_list(
    client, dana, district, room, year, monkeypatch
):
    from stations.models import District
    from stations.views import stats as stats_views

    other = District.objects.create(name="秀洲区", slug="xiuzhou")
    make_deputy(other, "外区代表", slug="elsewhere")
    client.force_login(dana)
    everyone = client.get(ATTENDANCE, {"year": 2025})
    assert "外区代表" in everyone.text and 'name="district"' in everyone.text
    narrowed = client.get(ATTENDANCE, {"year": 2025, "district": district.pk})
    assert "外区代表" not in narrowed.text and "顾海明" in narrowed.text
    # A figure ranks every deputy listed: beyond the limit the list stays in name order and says why.
    monkeypatch.setattr(stats_views, "FIGURE_SORT_LIMIT", 2)
    refused = client.get(ATTENDANCE, {"year": 2025, "sort": "-scheduled"})
    assert refused.context["sort"] == "name" and refused.context["too_many_to_rank"]
    ranked = client.get(ATTENDANCE, {"year": 2025, "sort": "-scheduled", "q": "顾海明"})
    assert ranked.context["sort"] == "-scheduled" and not ranked.context["too_many_to_rank"]
