"""Issue 16's journeys in the browser: a station head chooses a theme and a staff member tags a visit with it
(the figures and the public site page show it); a staff member pairs a deputy with a voter and records a thing
done, on a phone; a deputy's activity is recorded and the year prints as one A4 page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.models import Pairing, Visit
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories_visits import shift_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = timezone.localdate().year


def test_a_head_chooses_a_theme_and_staff_tag_a_visit_with_it(
    live_server, page, browser, phone_context_args, station, room, deputies, bob, alice
):
    shift_now(room, deputies=deputies[:1])
    sign_in(page, live_server.url, "bob")
    page.goto(live_server.url + reverse("stations:staff_themes"))
    assert_accessible(page)
    page.locator("#id_name").fill("剿灭劣Ⅴ类水")
    page.get_by_role("button", name="添加主题").click()
    page.wait_for_load_state()
    assert "剿灭劣Ⅴ类水" in page.locator("#theme-list").inner_text()
    assert_accessible(page)

    page.context.clear_cookies()  # bob's session ends; alice signs in on the same browser
    sign_in(page, live_server.url, "alice")
    page.goto(live_server.url + reverse("stations:visit_create"))
    page.get_by_label("内容摘要").fill("村口河道发黑发臭")
    page.get_by_label("剿灭劣Ⅴ类水").check()
    assert_accessible(page)
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_url("**/staff/visits/")
    assert [t.name for t in Visit.objects.get().themes.all()] == ["剿灭劣Ⅴ类水"]

    page.goto(live_server.url + reverse("stations:staff_stats") + f"?year={YEAR}")
    theme_rows = page.locator("#table-theme tbody tr")
    assert theme_rows.first.locator("th").inner_text() == "剿灭劣Ⅴ类水"
    assert theme_rows.first.locator("td").nth(1).inner_text() == "1"  # visits tagged
    assert_accessible(page)

    # A voter on a phone sees the station's themes of the year on the site page.
    context = browser.new_context(**phone_context_args)
    phone = context.new_page()
    phone.goto(live_server.url + reverse("stations:site_detail", kwargs={"slug": room.slug}))
    assert "剿灭劣Ⅴ类水" in phone.locator("#site-themes").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    context.close()


def test_staff_pair_a_deputy_with_a_voter_and_record_a_thing_done_on_a_phone(
    live_server, browser, phone_context_args, room, deputies, alice
):
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    sign_in(page, live_server.url, "alice")
    page.goto(live_server.url + reverse("stations:pairing_list"))
    assert_accessible(page)
    page.get_by_role("link", name="新建结对").click()
    page.wait_for_url("**/staff/pairings/new/")
    page.locator("#id_site").select_option(str(room.pk))
    page.locator("#id_deputy").select_option(str(deputies[1].pk))
    page.get_by_label("选民姓名").fill("陈阿婆")
    page.get_by_label("选民电话").fill("139 1111 2222")
    # Without the consent box the pairing is refused, with the error next to it and nothing saved.
    page.get_by_role("button", name="保存结对").click()
    page.wait_for_load_state()
    assert page.title().startswith("错误：")
    assert "须经选民同意方可登记结对" in page.locator(".error-summary").inner_text()
    assert not Pairing.objects.exists()
    assert_accessible(page)
    page.get_by_label("选民同意与代表结对，并同意联络站登记保存其姓名和电话").check()
    page.get_by_role("button", name="保存结对").click()
    page.wait_for_url(re.compile(r".*/staff/pairings/\d+/$"))
    assert page.locator("#paired-voter-name").inner_text() == "陈阿婆"  # the owning station's page: in full
    page.locator("#id_deed-what").fill("协调修复楼道路灯")
    page.locator("#id_deed-outcome").fill("路灯已修复")
    page.get_by_role("button", name="保存所办实事").click()
    page.wait_for_load_state()
    assert "协调修复楼道路灯" in page.locator("#deed-list").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.goto(live_server.url + reverse("stations:pairing_list"))
    assert "陈**" in page.locator("#pairings").inner_text()
    assert page.locator("#table-pairing tbody tr").first.locator("td").nth(4).inner_text() == "1"
    assert_accessible(page)
    context.close()


def test_a_deputys_activity_is_recorded_and_the_year_prints_on_one_page(
    live_server, page, station, room, deputies, bob
):
    sign_in(page, live_server.url, "bob")
    page.goto(live_server.url + reverse("stations:deputy_record", kwargs={"slug": deputies[0].slug}))
    page.get_by_role("link", name="登记履职活动").click()
    page.wait_for_url("**/activities/new/")
    assert_accessible(page)
    page.locator("#id_kind").select_option("study")
    page.locator("#id_title").fill("代表学习交流“充电宝”活动")
    page.locator("#id_site").select_option(str(station.pk))
    page.get_by_role("button", name="保存活动").click()
    page.wait_for_url("**/record/**")
    assert "代表学习交流“充电宝”活动" in page.locator("#activity-list").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="本年度履职情况一页报告").click()
    page.wait_for_url(f"**/report/{YEAR}/")
    assert "代表学习交流“充电宝”活动" in page.locator("#report-activity-list").inner_text()
    assert_accessible(page)
    pdf = page.pdf(format="A4", print_background=False)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "the year's report must fit on one A4 page"
