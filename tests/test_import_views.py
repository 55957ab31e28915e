"""The import page (/staff/import/), its templates, the command, and the record book's round trip."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from stations.audit import Actor
from stations.clock import LOCAL_TZ
from stations.models import AuditEntry, HandlingBody, Opinion, Site, State, Visit
from stations.selectors.stats import Period, Scope, headline
from stations.services import opinions as opinion_services
from stations.services.visits import visit_create

pytestmark = pytest.mark.django_db

PAGE = reverse("stations:import_records")
VISITS_CSV = "日期和时间,站点,来访人数,内容摘要\n2026-03-20 09:30,金星村代表联络室,4,村口路灯不亮。\n"


def upload(content: str | bytes, name: str = "visits.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def test_a_station_head_checks_then_saves_a_file_and_sees_the_counts(bob_client, room):
    checked = bob_client.post(PAGE, {"file": upload(VISITS_CSV), "dry_run": "on"})

    assert checked.status_code == 200
    assert "已检查 1 行" in checked.content.decode()
    assert Visit.objects.count() == 0

    saved = bob_client.post(PAGE, {"file": upload(VISITS_CSV)})

    page = saved.content.decode()
    assert "已导入并保存 1 行" in page
    assert Visit.objects.get().people == 4
    assert AuditEntry.objects.filter(action="import.visits").count() == 2


def test_a_bad_file_lists_row_column_value_and_message_in_chinese(bob_client, room):
    bad = "日期和时间,站点,来访人电话,内容摘要\n2026-03-20 09:30,金星村代表联络室,12345,路灯\n"

    response = bob_client.post(PAGE, {"file": upload(bad)})

    page = response.content.decode()
    assert "发现 1 个问题，未保存任何记录" in page
    assert "来访人电话" in page and "12345" in page and "手机号码" in page or "固定电话" in page
    assert Visit.objects.count() == 0


def test_a_station_head_cannot_import_the_network(bob_client, district):
    sites = "站点名称,站点类型,所在镇（街道）\n新丰镇代表联络站,代表联络站,新丰镇\n"

    response = bob_client.post(PAGE, {"file": upload(sites, "sites.csv")})

    assert "您无权导入此类记录" in response.content.decode()
    assert not Site.objects.filter(name="新丰镇代表联络站").exists()


def test_the_page_without_a_file_is_a_form_error(bob_client, room):
    response = bob_client.post(PAGE, {})

    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()


def test_the_staff_home_links_to_the_import_page_for_heads_only(bob_client, alice, client, room):
    assert PAGE in bob_client.get(reverse("stations:staff_home")).content.decode()
    client.force_login(alice)
    assert PAGE not in client.get(reverse("stations:staff_home")).content.decode()


def test_the_xlsx_template_has_chinese_headers_an_example_and_the_allowed_values(dana_client):
    response = dana_client.get(reverse("stations:import_template", kwargs={"kind": "visits", "fmt": "xlsx"}))

    workbook = load_workbook(io.BytesIO(response.content))
    header, example = ([cell.value for cell in row] for row in workbook.worksheets[0].iter_rows(max_row=2))
    assert header[:2] == ["日期和时间", "站点"]
    assert example[0] == "2027-03-20 09:30"
    allowed = " ".join(str(cell.value) for row in workbook.worksheets[1].iter_rows() for cell in row)
    assert "接待日" in allowed  # a channel's label


def test_the_csv_template_is_utf8_with_a_bom_and_imports_as_its_own_example(dana_client, district):
    response = dana_client.get(reverse("stations:import_template", kwargs={"kind": "sites", "fmt": "csv"}))

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff上级站点,站点名称")
    example = text.replace("余新镇代表联络站,金星村代表联络室", ",余新镇代表联络站").replace("代表联络室", "代表联络站")
    result = dana_client.post(PAGE, {"file": upload(example.encode("gb18030"), "sites.csv")})
    assert "已导入并保存 1 行" in result.content.decode(), result.content.decode()
    assert Site.objects.get(name="余新镇代表联络站").areas.count() == 3


def test_the_command_imports_and_its_dry_run_saves_nothing(tmp_path, room, bob, capsys):
    path = tmp_path / "visits.csv"
    path.write_text(VISITS_CSV, encoding="gb18030")

    call_command("import_records", str(path), "--dry-run", "--user", bob.username)
    assert Visit.objects.count() == 0
    call_command("import_records", str(path), "--user", bob.username)
    call_command("import_records", str(path), "--user", bob.username)

    out = capsys.readouterr().out
    assert "visit: 1 created" in out and "visit: 0 created, 0 updated, 1 unchanged" in out
    assert Visit.objects.count() == 1


def test_the_command_reports_problems_in_chinese_and_fails(tmp_path, room, alice, capsys):
    path = tmp_path / "visits.csv"
    path.write_text("日期和时间,站点,内容摘要\n2026-03-20 09:30,无此站,路灯\n", encoding="utf-8")

    with pytest.raises(CommandError):
        call_command("import_records", str(path), "--user", alice.username)

    assert "第 2 行 · 站点 · “无此站”" in capsys.readouterr().err


def test_dated_handling_steps_are_taken_through_the_transition_services(tmp_path, room, bob):
    HandlingBody.objects.create(name="区交通运输局")
    header = (
        "日期和时间,站点,内容摘要,提出的意见建议,受理日期,承办单位,交办日期,答复期限,答复,答复日期,办理结果,办结日期"
    )
    line = "2026-03-20 09:30,金星村代表联络室,道路破损,修路,2026-03-21,区交通运输局,2026-03-22,,已列入计划,2026-04-10,解决,2026-05-05"
    path = tmp_path / "visits.csv"
    path.write_text(f"{header}\n{line}\n", encoding="utf-8")

    call_command("import_records", str(path), "--user", bob.username)

    opinion = Opinion.objects.get()
    assert opinion.state == State.RESOLVED
    assert list(opinion.events.values_list("action", flat=True).order_by("pk")) == [
        "register",
        "accept",
        "refer",
        "reply",
        "resolve",
    ]
    call_command("import_records", str(path), "--user", bob.username)
    assert opinion.events.count() == 5  # nothing taken twice


def _at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=LOCAL_TZ)


def test_round_trip_the_record_book_export_imports_into_an_empty_book_with_the_same_figures(
    dana_client, dana, room, station, deputies, bob
):
    """Export the record book, empty it, import the export: the district's figures are the same — visits, voters,
    reception events, and every opinion figure down to the on-time and satisfaction counts."""
    body = HandlingBody.objects.create(name="区交通运输局")
    actor = Actor(bob)
    made = []
    for day, people, name in ((3, 2, "王芳"), (20, 12, "李四"), (21, 1, "")):
        made.append(
            visit_create(
                site=room if day != 21 else station,
                actor=actor,
                occurred_at=dt.datetime(2026, 3, day, 9, 30, tzinfo=LOCAL_TZ),
                summary=f"3月{day}日来访",
                people=people,
                visitor_name=name,
                visitor_phone="13812345678" if name else "",
                village="金星村",
                deputies=deputies[:2] if day != 21 else [],
                visiting_deputies=deputies[:2] if day == 21 else [],
            )
        )

    def raise_opinion(visit, content):
        return opinion_services.opinion_register(
            site=visit.site, category="transport", content=content, source="reception", visit=visit, actor=actor
        )

    # Three opinions at the 20 March reception taken to different points, one at the 3 March visit left waiting:
    # resolved and closed on time, explained after its deadline, referred and still open.
    first, late, open_one = (raise_opinion(made[1], text) for text in ("修复村口道路", "增设公交站", "整治河道"))
    raise_opinion(made[0], "路灯不亮")
    first, late, open_one = (
        opinion_services.opinion_accept(opinion=opinion, actor=actor, happened_at=_at(3, 21))
        for opinion in (first, late, open_one)
    )
    first = opinion_services.opinion_refer(opinion=first, actor=actor, body=body, happened_at=_at(3, 22))
    first = opinion_services.opinion_reply(opinion=first, actor=actor, reply="已列入维修计划", happened_at=_at(4, 10))
    first = opinion_services.opinion_resolve(opinion=first, actor=actor, happened_at=_at(5, 5))
    opinion_services.opinion_close(opinion=first, actor=actor, satisfaction="satisfied", happened_at=_at(5, 10))
    late = opinion_services.opinion_refer(
        opinion=late, actor=actor, body=body, deadline=dt.date(2026, 4, 1), happened_at=_at(3, 22)
    )
    late = opinion_services.opinion_reply(opinion=late, actor=actor, reply="暂无条件增设", happened_at=_at(4, 20))
    opinion_services.opinion_explain(opinion=late, actor=actor, explanation="暂无条件增设", happened_at=_at(4, 21))
    opinion_services.opinion_refer(opinion=open_one, actor=actor, body=body, happened_at=_at(3, 23))

    scope, period = Scope.for_district(room.district), Period.year(2026)
    before = headline(scope=scope, period=period)
    assert (before.opinions, before.resolved, before.resolved_explained, before.closed) == (4, 2, 1, 1)
    exported = dana_client.get(reverse("stations:visit_export", kwargs={"fmt": "xlsx"}), {"unmasked": "1"})
    Opinion.objects.all().delete()
    Visit.objects.all().delete()
    # Emptied behind the services' back (no service deletes records): the figure cells are rebuilt, as an operator
    # would after direct SQL (README, "Figures from summary cells").
    call_command("rebuild_figures", stdout=io.StringIO())
    assert headline(scope=scope, period=period).voters == 0

    result = dana_client.post(PAGE, {"file": upload(exported.content, "record-book.xlsx")})

    # One row for each opinion, one for each visit without one: 4 + 1 rows.
    assert "已导入并保存 5 行" in result.content.decode(), result.content.decode()
    after = headline(scope=scope, period=period)
    assert after == before
    assert sorted(Visit.objects.values_list("visitor_phone", flat=True)) == ["", "13812345678", "13812345678"]
    assert all(visit.deputies.count() == 2 for visit in Visit.objects.all())
    assert Opinion.objects.get(content="修复村口道路").closed_at == _at(5, 10)
    assert Opinion.objects.get(content="增设公交站").deadline == dt.date(2026, 4, 1)


def test_imported_steps_carry_the_dates_of_the_file(tmp_path, room, bob):
    HandlingBody.objects.create(name="区交通运输局")
    header = "日期和时间,站点,内容摘要,提出的意见建议,受理日期,承办单位,交办日期"
    path = tmp_path / "visits.csv"
    path.write_text(
        f"{header}\n2026-03-20 09:30,金星村代表联络室,道路破损,修路,2026-03-21 10:00,区交通运输局,2026-03-22 11:00\n"
    )

    call_command("import_records", str(path), "--user", bob.username)

    opinion = Opinion.objects.get()
    assert opinion.registered_at == dt.datetime(2026, 3, 20, 9, 30, tzinfo=LOCAL_TZ)
    dates = {event.action: event.at for event in opinion.events.all()}
    assert dates["accept"] == dt.datetime(2026, 3, 21, 10, 0, tzinfo=LOCAL_TZ)
    assert dates["refer"] == dt.datetime(2026, 3, 22, 11, 0, tzinfo=LOCAL_TZ)
