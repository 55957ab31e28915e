"""A district administrator narrows the statistics to one station and January–August and sees the figures
follow."""

import pytest
from django.urls import reverse

from tests.browser.conftest import assert_accessible, sign_in
from tests.factories_stats import build_known_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def voters_shown(page) -> str:
    row = page.locator("#table-headline tr", has=page.get_by_role("rowheader", name="接待选民群众（人次）", exact=True))
    return row.locator("td").inner_text()


def test_dana_changes_scope_and_period_and_the_figures_change(
    live_server, page, dana, district, station, room, point, other_station, other_room, deputies
):
    build_known_year(district, station, room, point, other_station, deputies)
    sign_in(page, live_server.url, "dana")  # with the second factor district administrators need
    page.goto(live_server.url + reverse("stations:staff_stats"))
    assert page.get_by_role("heading", name="统计分析", level=1).is_visible()

    page.get_by_role("combobox", name="年度").select_option("2025")
    page.get_by_role("button", name="查看数据").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="南湖区 · 2025年").is_visible()
    assert voters_shown(page) == "22"  # the whole district, the whole year
    assert_accessible(page)

    page.get_by_role("combobox", name="统计范围").select_option(label="凤桥镇代表联络站")
    page.get_by_role("combobox", name="截止月份").select_option(label="八月")
    page.get_by_role("button", name="查看数据").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="凤桥镇代表联络站（含所属联络室、联络点） · 2025年1—8月").is_visible()
    assert voters_shown(page) == "3"
    assert page.locator("#table-month tbody tr").count() == 8
    assert page.locator(".stats-chart").first.is_visible()
    assert_accessible(page)


def test_a_phone_sized_screen_shows_the_public_figures(live_server, browser, phone_context_args, district, station):
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    page.goto(live_server.url + reverse("stations:public_stats"))
    assert page.get_by_role("heading", name="统计数据", level=1).is_visible()
    assert page.locator("#table-stations").is_visible()
    assert_accessible(page)
    context.close()
