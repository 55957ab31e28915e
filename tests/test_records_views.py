"""Staff pages of issue 16: the year's themes (and tagging on the existing pages), pairing, deputies' activities
and the one-page yearly report; the figures pages' theme tables and the public site page's themes."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from stations.audit import Actor
from stations.models import AuditEntry, DeputyActivity, Pairing, PairingDeed, Theme, Visit
from stations.services import records as services
from tests.conftest import Client
from tests.factories_stats import page_tables
from tests.factories_visits import shift_now

TODAY = timezone.localdate()
YEAR = TODAY.year
THEMES = reverse("stations:staff_themes")
PAIRINGS = reverse("stations:pairing_list")
NEW_PAIRING = reverse("stations:pairing_create")


def a_theme(district, name="三改一拆", **fields) -> Theme:
    return services.theme_create(actor=Actor.system(), district=district, year=YEAR, name=name, **fields)


def a_pairing(room, deputy, phone="13911112222", name="陈阿婆") -> Pairing:
    return services.pairing_create(
        actor=Actor.system(),
        site=room,
        deputy=deputy,
        voter_name=name,
        voter_phone=phone,
        consent_on=TODAY - dt.timedelta(days=10),
    )


# --- themes -------------------------------------------------------------------------------------------------


def test_a_station_head_adds_a_theme_that_the_public_site_page_then_shows(client, bob, station, room):
    client.force_login(bob)
    response = client.post(THEMES, {"year": YEAR, "name": "美丽乡村建设", "description": ""})
    assert response.status_code == 302
    theme = Theme.objects.get()
    assert list(theme.stations.all()) == [station]
    page = client.get(reverse("stations:site_detail", kwargs={"slug": room.slug})).text
    assert "美丽乡村建设" in page and f"{YEAR}年活动主题" in page


def test_staff_read_the_themes_but_cannot_add_one(client, alice, district):
    a_theme(district)
    client.force_login(alice)
    page = client.get(THEMES)
    assert "三改一拆" in page.text and "添加主题" not in page.text
    assert client.post(THEMES, {"year": YEAR, "name": "新主题"}).status_code == 403
    assert Theme.objects.count() == 1


def test_a_theme_without_a_name_is_refused_next_to_the_field(client, bob):
    client.force_login(bob)
    response = client.post(THEMES, {"year": YEAR, "name": ""})
    assert response.status_code == 400
    assert "错误：" in response.text and "这个字段是必填项" in response.text
    assert not Theme.objects.exists()


def test_an_administrator_of_several_districts_picks_the_district_then_ticks_its_stations(client, gus, land):
    client.force_login(gus)
    first = client.get(THEMES)
    # The districts in a select; no station to tick before a district is chosen.
    assert 'id="themes-district"' in first.text and 'name="stations"' not in first.text
    assert first.context["form"] is None
    page = client.get(THEMES, {"district": "xiuzhou"}).text
    assert 'name="stations"' in page and "王店镇代表联络站" in page and "余新镇代表联络站" not in page
    wangdian = land["wangdian"]
    response = client.post(
        f"{THEMES}?district=xiuzhou",
        {"district": "xiuzhou", "year": YEAR, "name": "美丽城镇", "description": "", "stations": [wangdian.pk]},
    )
    assert response.status_code == 302 and response.url == f"{THEMES}?year={YEAR}&district=xiuzhou"
    theme = Theme.objects.get(name="美丽城镇")
    assert theme.district == land["xiuzhou"] and list(theme.stations.all()) == [wangdian]
    # Without a district, a theme of the whole district cannot be told apart: the form says so, nothing saved.
    refused = client.post(THEMES, {"year": YEAR, "name": "无区主题", "description": ""})
    assert refused.status_code == 400 and "请先选择主题所属的区" in refused.text
    assert not Theme.objects.filter(name="无区主题").exists()


def test_beyond_a_selects_districts_the_district_is_found_by_typing(client, gus, land, monkeypatch):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 2)
    client.force_login(gus)
    page = client.get(THEMES).text
    assert 'id="themes-district"' not in page and 'name="q" type="search"' in page
    assert 'href="?year=' not in page  # nothing listed before anything is typed
    found = client.get(THEMES, {"q": "秀洲"}).text
    assert f'href="?year={YEAR}&amp;district=xiuzhou"' in found and "district=xihu" not in found
    assert f'href="?year={YEAR}&amp;district=xihu"' in client.get(THEMES, {"q": "xh"}).text  # by its code


def test_a_regional_administrator_never_reaches_another_regions_district_or_stations(client, fay, land):
    client.force_login(fay)
    assert "西湖区" not in client.get(THEMES).text
    assert client.get(THEMES, {"district": "xihu"}).status_code == 404
    posted = {"district": "xihu", "year": YEAR, "name": "越界主题", "description": ""}
    assert client.post(THEMES, posted).status_code == 404
    # Another region's station ticked under one of fay's districts is not among the choices.
    wrong = client.post(THEMES, {**posted, "district": "nanhu", "stations": [land["xixi"].pk]})
    assert wrong.status_code == 400 and "选择一个有效的选项" in wrong.text
    assert not Theme.objects.filter(name="越界主题").exists()


def test_the_themes_are_listed_a_page_at_a_time_in_a_fixed_number_of_queries(
    client, gus, land, django_assert_max_num_queries
):
    for n in range(30):
        district = (land["xiuzhou"], land["xihu"])[n % 2]
        station = land["wangdian"] if n % 2 == 0 else land["xixi"]
        a_theme(district, name=f"主题{n:02d}", stations=[station])
    client.force_login(gus)
    client.get(THEMES)
    with django_assert_max_num_queries(12):
        response = client.get(THEMES)
    assert response.text.count('class="list-group-item"') == 25 and "第 1 页，共 2 页" in response.text
    assert "秀洲区" in response.text and "王店镇代表联络站" in response.text  # each theme names its district
    second = client.get(THEMES, {"page": 2}).text
    assert second.count('class="list-group-item"') == 5
    only = client.get(THEMES, {"district": "xihu"}).text
    assert (
        only.count('class="list-group-item"') == 15
        and "王店镇代表联络站" not in only.split('id="theme-list"')[1].split("</ol>")[0]
    )


def test_the_visit_form_tags_a_visit_with_the_years_themes(client, alice, district, room, other_station):
    water = a_theme(district, "剿灭劣Ⅴ类水")
    a_theme(district, "他站主题", stations=[other_station])
    client.force_login(alice)
    form = client.get(reverse("stations:visit_create"), {"site": room.pk}).text
    assert "剿灭劣Ⅴ类水" in form and "他站主题" not in form
    data = {
        "site": room.pk,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "people": 2,
        "channel": "walk_in",
        "category": "environment",
        "summary": "河道发臭。",
        "themes": [water.pk],
        "opinions-TOTAL_FORMS": 1,
        "opinions-INITIAL_FORMS": 0,
        "opinions-MIN_NUM_FORMS": 0,
        "opinions-MAX_NUM_FORMS": 1000,
        "opinions-0-content": "请治理河道。",
    }
    assert client.post(reverse("stations:visit_create"), data).status_code == 302
    visit = Visit.objects.get()
    assert list(visit.themes.all()) == [water]
    assert list(visit.opinions.get().themes.all()) == [water]


def test_receptions_and_opinions_are_tagged_on_their_pages_and_counted_by_theme(
    client, alice, dana, district, room, deputies
):
    water = a_theme(district, "剿灭劣Ⅴ类水")
    shift = shift_now(room, deputies[:1])
    client.force_login(alice)
    shift_page = client.get(reverse("stations:staff_shift", kwargs={"pk": shift.pk})).text
    assert "剿灭劣Ⅴ类水" in shift_page
    response = client.post(
        reverse("stations:staff_shift_themes", kwargs={"pk": shift.pk}), {"themes-themes": [water.pk]}
    )
    assert response.status_code == 302 and list(shift.themes.all()) == [water]
    from stations.services.opinions import opinion_register

    opinion = opinion_register(site=room, category="environment", content="河道有垃圾。", actor=Actor(alice))
    url = reverse("stations:staff_opinion_themes", kwargs={"pk": opinion.pk})
    assert client.post(url, {"themes-themes": [water.pk]}).status_code == 302
    assert list(opinion.themes.all()) == [water]
    # The staff figures break the year down by theme, with the definition beside them.
    admin = Client()
    admin.force_login(dana)
    stats = admin.get(reverse("stations:staff_stats"), {"year": YEAR}).text
    table = page_tables(stats)["table-theme"]
    assert table[1][:2] == ["剿灭劣Ⅴ类水", "1"] and table[1][4] == "1"
    assert "标注该主题的接待场次" in stats and "一条记录可标注多个主题" in stats
    public = page_tables(client.get(reverse("stations:public_stats"), {"year": YEAR}).text)
    assert public["table-theme"][1][0] == "剿灭劣Ⅴ类水"


# --- pairing ------------------------------------------------------------------------------------------------


def test_a_pairing_is_recorded_only_with_the_voters_consent(client, alice, room, deputies):
    client.force_login(alice)
    data = {
        "site": room.pk,
        "deputy": deputies[0].pk,
        "kind": "voter",
        "voter_name": "陈阿婆",
        "voter_phone": "139 1111 2222",
        "consent_on": TODAY.isoformat(),
    }
    refused = client.post(NEW_PAIRING, data)
    assert refused.status_code == 400 and "须经选民同意方可登记结对" in refused.text
    assert not Pairing.objects.exists()
    saved = client.post(NEW_PAIRING, {**data, "consent": "on"})
    pairing = Pairing.objects.get()
    assert saved["Location"] == reverse("stations:pairing_detail", kwargs={"pk": pairing.pk})
    assert pairing.voter_phone == "13911112222"


def test_the_owning_station_reads_the_voter_in_full_and_each_view_is_recorded(client, alice, charlie, room, deputies):
    pairing = a_pairing(room, deputies[0])
    client.force_login(alice)
    page = client.get(reverse("stations:pairing_detail", kwargs={"pk": pairing.pk})).text
    assert "陈阿婆" in page and "13911112222" in page
    assert AuditEntry.objects.filter(action="personal_data.viewed", actor=alice, object_type="pairing").count() == 1
    listing = client.get(PAIRINGS).text
    assert "陈**" in listing and "139****2222" in listing and "13911112222" not in listing
    client.force_login(charlie)
    assert client.get(reverse("stations:pairing_detail", kwargs={"pk": pairing.pk})).status_code == 404


def test_an_administrator_sees_the_voter_masked_until_revealing_which_is_recorded(dana_client, dana, room, deputies):
    pairing = a_pairing(room, deputies[0])
    url = reverse("stations:pairing_detail", kwargs={"pk": pairing.pk})
    masked = dana_client.get(url).text
    assert "13911112222" not in masked and "139****2222" in masked and "?reveal=1" in masked
    assert not AuditEntry.objects.filter(action="personal_data.viewed", actor=dana).exists()
    assert "13911112222" in dana_client.get(url, {"reveal": "1"}).text
    assert AuditEntry.objects.filter(action="personal_data.viewed", actor=dana, object_type="pairing").exists()


def test_contacts_and_things_done_are_recorded_on_the_pairing_page(client, alice, room, deputies):
    pairing = a_pairing(room, deputies[0])
    client.force_login(alice)
    deeds = reverse("stations:pairing_deed_add", kwargs={"pk": pairing.pk})
    bad = client.post(deeds, {"deed-happened_on": TODAY.isoformat(), "deed-what": "", "deed-outcome": ""})
    assert bad.status_code == 400 and "所办实事" in bad.text and not PairingDeed.objects.exists()
    ok = client.post(deeds, {"deed-happened_on": TODAY.isoformat(), "deed-what": "修复路灯", "deed-outcome": "已修复"})
    assert ok.status_code == 302
    contact = reverse("stations:pairing_contact_add", kwargs={"pk": pairing.pk})
    assert (
        client.post(contact, {"contact-happened_on": TODAY.isoformat(), "contact-method": "phone"}).status_code == 302
    )
    page = client.get(reverse("stations:pairing_detail", kwargs={"pk": pairing.pk})).text
    assert "修复路灯" in page and "电话" in page
    figures = page_tables(client.get(PAIRINGS).text)["table-pairing"]
    assert figures[1] == ["余新镇代表联络站", "1", "1", "0 (0)", "1", "1"]


def test_the_pairing_list_takes_a_fixed_number_of_queries(client, alice, room, deputies, django_assert_max_num_queries):
    for n in range(30):
        pairing = a_pairing(room, deputies[n % 3], phone=f"139000{n:05d}", name=f"选民{n}")
        services.pairing_contact_record(actor=Actor.system(), pairing=pairing, happened_on=TODAY)
    client.force_login(alice)
    client.get(PAIRINGS)
    # session, user, membership, the scope, the figures' four grouped queries, the list, the session's update:
    # the same for 30 pairings as for 3.
    with django_assert_max_num_queries(13):
        response = client.get(PAIRINGS)
    # 25 a page (issue 15: no list of everything), the rest on the next.
    assert len(page_tables(response.text)["pairings"]) == 26 and "第 1 页，共 2 页" in response.text
    assert len(page_tables(client.get(PAIRINGS, {"page": 2}).text)["pairings"]) == 6


# --- deputies' activities and the yearly report -------------------------------------------------------------


def test_staff_record_an_activity_that_the_record_the_attendance_and_the_report_show(
    client, bob, dana, station, deputies
):
    client.force_login(bob)
    url = reverse("stations:deputy_activity_create", kwargs={"slug": deputies[0].slug})
    bad = client.post(url, {"kind": "study", "held_on": TODAY.isoformat(), "title": "学习交流"})
    assert bad.status_code == 400 and "学习交流活动在联络站" in bad.text
    assert not DeputyActivity.objects.exists()
    ok = client.post(
        url, {"kind": "study", "held_on": TODAY.isoformat(), "title": "代表“充电宝”学习", "site": station.pk}
    )
    assert ok.status_code == 302
    record = client.get(reverse("stations:deputy_record", kwargs={"slug": deputies[0].slug}), {"year": YEAR}).text
    assert "代表“充电宝”学习" in record and "在联络站学习交流（充电）" in record
    admin = Client()
    admin.force_login(dana)
    attendance = page_tables(admin.get(reverse("stations:deputy_attendance"), {"year": YEAR}).text)
    row = next(r for r in attendance["attendance-table"] if r[0] == "顾海明")
    assert row[-1] == "1"
    report = client.get(reverse("stations:deputy_report", kwargs={"slug": deputies[0].slug, "year": YEAR}))
    assert report.status_code == 200
    assert "report.css" in report.text and "代表“充电宝”学习" in report.text and "代表签名" in report.text


def test_the_deputy_reads_their_own_report_and_a_year_out_of_range_is_not_found(client, erin, deputies):
    client.force_login(erin)
    own = reverse("stations:deputy_report", kwargs={"slug": deputies[0].slug, "year": YEAR})
    assert client.get(own).status_code == 200
    other = reverse("stations:deputy_report", kwargs={"slug": deputies[1].slug, "year": YEAR})
    assert client.get(other).status_code == 404
    far = reverse("stations:deputy_report", kwargs={"slug": deputies[0].slug, "year": 1999})
    assert client.get(far).status_code == 404
    # The staff page to record an activity is not the deputy's (their own pages come with i16-people).
    assert client.get(reverse("stations:deputy_activity_create", kwargs={"slug": deputies[0].slug})).status_code == 403


def test_the_pairing_figures_follow_the_months_chosen(client, alice, room, deputies):
    pairing = services.pairing_create(
        actor=Actor.system(), site=room, deputy=deputies[0], voter_name="陈阿婆", consent_on=dt.date(2025, 1, 10)
    )
    services.pairing_deed_record(
        actor=Actor.system(), pairing=pairing, happened_on=dt.date(2025, 6, 1), what="修路灯", outcome="已修复"
    )
    client.force_login(alice)

    def deeds(**query) -> str:
        return page_tables(client.get(PAIRINGS, {"year": 2025, **query}).text)["table-pairing"][1][5]

    assert deeds() == "1"
    assert deeds(month_from=1, month_to=3) == "0"
    assert deeds(month_from=6, month_to=6) == "1"
    refused = client.get(PAIRINGS, {"year": 2025, "month_from": 9, "month_to": 2})
    assert "截止月份不能早于起始月份" in refused.text


def test_the_pairing_page_opens_on_this_whole_year(client, alice):
    client.force_login(alice)
    form = client.get(PAIRINGS).context["form"]
    assert (form["year"].value(), form["month_from"].value(), form["month_to"].value()) == (YEAR, 1, 12)


# --- pairing at province size (issue 15) ----------------------------------------------------------------------


def province_pairings(land, room, count: int = 3) -> None:
    """`count` pairings at each of 余新镇's 金星 room (南湖区), 王店镇 (秀洲区) and 西溪街道 (西湖区)."""
    from tests.conftest import make_deputy

    for n, site in enumerate((room, land["wangdian"], land["xixi"])):
        deputy = make_deputy(site.district, f"代表{n}", sites=[site])
        for k in range(count):
            a_pairing(site, deputy, phone=f"1390{n}{k:06d}", name=f"选民{n}{k}")


def test_across_several_districts_the_figures_are_by_district_each_a_link_to_its_stations(client, gus, land, room):
    province_pairings(land, room)
    client.force_login(gus)
    page = client.get(PAIRINGS).text
    rows = page_tables(page)["table-pairing"]
    assert [row[0] for row in rows[1:]] == ["全部区", "南湖区", "秀洲区", "西湖区"]
    assert [row[2] for row in rows[1:]] == ["9", "3", "3", "3"]
    assert "district=xiuzhou" in page and 'id="id_district"' in page
    narrowed = client.get(PAIRINGS, {"district": "nanhu"}).text
    by_station = page_tables(narrowed)["table-pairing"]
    assert [row[0] for row in by_station[1:]] == ["全部联络站", "余新镇代表联络站", "凤桥镇代表联络站"]
    assert len(page_tables(narrowed)["pairings"]) == 4  # 南湖区's three pairings only
    # The station select holds the district's stations only.
    assert "王店镇代表联络站</option>" not in narrowed and "凤桥镇代表联络站</option>" in narrowed


def test_beyond_a_selects_stations_the_pairings_station_is_typed(client, gus, land, room, monkeypatch):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 2)
    province_pairings(land, room)
    client.force_login(gus)
    page = client.get(PAIRINGS).text
    assert 'name="place"' in page and '<select name="station"' not in page
    found = client.get(PAIRINGS, {"place": "王店"}).text
    assert [row[2] for row in page_tables(found)["pairings"][1:]] == ["王店镇代表联络站"] * 3
    assert [row[0] for row in page_tables(found)["table-pairing"][1:]] == ["秀洲区"]
    by_code = client.get(PAIRINGS, {"place": "XIXI"}).text
    assert {row[2] for row in page_tables(by_code)["pairings"][1:]} == {"西溪街道代表联络站"}
    # A station's rooms go with it: 余新镇 finds the pairings of its 金星 room.
    yuxin = client.get(PAIRINGS, {"place": "余新镇"}).text
    assert {row[2] for row in page_tables(yuxin)["pairings"][1:]} == {"金星村代表联络室"}
    # The district is still chosen by a link (a row of the figures), kept in a hidden field.
    assert 'type="hidden" name="district"' in page


def test_a_regional_administrator_never_sees_another_regions_pairings_or_stations(client, fay, land, room):
    province_pairings(land, room)
    client.force_login(fay)
    page = client.get(PAIRINGS).text
    assert "西湖区" not in page and "西溪" not in page
    assert [row[0] for row in page_tables(page)["table-pairing"][1:]] == ["全部区", "南湖区", "秀洲区"]
    for asked in ({"district": "xihu"}, {"station": "xixi"}):
        refused = client.get(PAIRINGS, asked).text
        assert "选择一个有效的选项" in refused and "西溪街道代表联络站" not in refused
    assert "西溪" not in client.get(PAIRINGS, {"place": "西溪"}).text.split('id="pairing-list-title"')[1]


def test_the_province_pairing_page_takes_a_fixed_number_of_queries(
    client, gus, land, room, django_assert_max_num_queries
):
    province_pairings(land, room, count=12)
    client.force_login(gus)
    client.get(PAIRINGS)
    with django_assert_max_num_queries(15):
        response = client.get(PAIRINGS)
    assert len(page_tables(response.text)["pairings"]) == 26
