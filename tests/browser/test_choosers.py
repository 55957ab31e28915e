"""Choosers that stay small at province size (issue 15), in a real browser with axe-core: an administrator with
more stations than a select holds finds a station's roster by typing, and one of several districts adds a theme
by choosing the district first, then ticking its stations. SELECT_LIMIT is lowered so that a handful of stations
and districts take the province's path."""

import pytest
from django.urls import reverse

from stations.models import Theme
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_finds_a_stations_roster_by_typing_its_town(
    live_server, browser, phone_context_args, fay, land, monkeypatch
):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 1)
    # On a 360 px phone: a plain GET form and links.
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    sign_in(page, live_server.url, "fay")
    page.goto(live_server.url + reverse("stations:staff_rosters"))
    assert_accessible(page)
    shown = page.get_by_role("heading", level=1).inner_text()
    assert page.locator("select[name=station]").count() == 0
    search = page.get_by_label("联络站名称、所在镇（街道）或代码")
    search.fill("王店")
    search.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == shown  # the station shown stays until one is chosen
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="王店镇代表联络站").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "值班表 · 王店镇代表联络站"
    assert_accessible(page)
    context.close()


def test_a_province_administrator_adds_a_theme_for_one_districts_station(live_server, page, gus, land):
    sign_in(page, live_server.url, "gus")
    page.goto(live_server.url + reverse("stations:staff_themes"))
    assert_accessible(page)
    assert page.locator("input[name=stations]").count() == 0  # no station before the district
    page.get_by_label("主题所属区").select_option(label="秀洲区")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("input[name=stations]").count() == 1  # 秀洲区's one station, not the province's
    page.locator("#id_name").fill("美丽城镇建设")
    page.get_by_label("王店镇代表联络站").check()
    page.get_by_role("button", name="添加主题").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("#theme-list").get_by_text("美丽城镇建设").is_visible()
    theme = Theme.objects.get(name="美丽城镇建设")
    assert theme.district == land["xiuzhou"] and list(theme.stations.all()) == [land["wangdian"]]


def test_a_province_administrator_narrows_the_pairings_by_typing_then_by_a_districts_row(
    live_server, page, gus, land, monkeypatch
):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 2)
    sign_in(page, live_server.url, "gus")
    page.goto(live_server.url + reverse("stations:pairing_list"))
    assert_accessible(page)
    assert page.locator("select[name=station]").count() == 0  # four stations: more than a select holds here
    page.get_by_label("联络站名称、所在镇（街道）或代码").fill("王店")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert_accessible(page)
    figures = page.locator("#table-pairing")
    assert figures.locator("tbody th").all_inner_texts() == ["秀洲区"]
    figures.get_by_role("link", name="秀洲区").click()  # a district's row narrows the page to its stations
    page.wait_for_load_state()
    assert "district=xiuzhou" in page.url and "place=" not in page.url
    assert page.locator("#table-pairing").get_by_text("王店镇代表联络站").is_visible()
    page.get_by_label("联络站", exact=True).select_option(label="王店镇代表联络站")  # one station: a select again
    assert_accessible(page)
