"""An administrator of more sites than a select holds (issue 15), on a phone and with the keyboard: the visit form
asks for the site by search first, then a visiting deputy of a large district is found by the name typed; axe-core
on every page. SELECT_LIMIT is made small so that a handful of sites and deputies behave as a province does."""

import pytest

from stations.models import Pairing, Visit, VisitDeputy
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories_network import build_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_administrator_searches_the_site_and_records_a_visit_with_a_deputy_found_by_name(
    live_server, browser, phone_context_args, monkeypatch, district, station, room, point, other_room, deputies, dana
):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 4)
    crowd = [
        deputy for site in build_network(district, sites=10, deputies_per_site=1) for deputy in site.deputies.all()
    ]
    visitor = crowd[0]
    page = browser.new_context(**phone_context_args).new_page()
    sign_in(page, live_server.url, "dana")

    page.goto(live_server.url + "/staff/visits/new/")
    assert page.locator("#visit-form").count() == 0
    assert "请先选择站点" in page.locator("#site-chooser").inner_text()
    assert _fits_the_screen(page)
    assert_accessible(page)
    search = page.get_by_label("站点名称、所在镇（街道）或编码")
    search.fill("金星")
    search.press("Enter")  # the keyboard submits the search
    page.wait_for_url("**/staff/visits/new/?q=*")
    matches = page.locator("#site-matches li")
    assert matches.count() == 2
    assert "余新镇代表联络站" in matches.nth(1).inner_text()  # the point names its station
    assert_accessible(page)
    page.get_by_role("link", name="金星村代表联络室").click()
    page.wait_for_url(f"**/staff/visits/new/?site={room.pk}")
    assert "金星村代表联络室" in page.locator("#chosen-site").inner_text()
    assert page.get_by_role("link", name="选择其他站点").is_visible()
    assert _fits_the_screen(page)
    assert_accessible(page)

    page.get_by_label("顾海明").check()
    page.get_by_text("添加外来代表").click()
    names = page.get_by_label("其他外来代表（按姓名填写）")
    names.fill("查无此人")
    page.get_by_label("内容摘要").fill("反映村道坑洼")
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_load_state()
    # An unknown name: the error beside the box, everything typed still there, nothing saved.
    assert page.title().startswith("错误：")
    assert "没有名为“查无此人”的代表" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("内容摘要").input_value() == "反映村道坑洼"
    assert page.get_by_label("顾海明").is_checked()
    assert not Visit.objects.exists()
    assert_accessible(page)

    names = page.get_by_label("其他外来代表（按姓名填写）")
    names.fill(visitor.name)
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_url("**/staff/visits/")
    assert_accessible(page)
    visit = Visit.objects.get()
    assert visit.site == room
    present = dict(VisitDeputy.objects.filter(visit=visit).values_list("deputy_id", "is_visiting"))
    assert present == {deputies[0].pk: False, visitor.pk: True}


def test_the_pairing_form_chooses_the_site_by_search_and_the_deputy_by_name(
    live_server, browser, phone_context_args, monkeypatch, district, station, room, point, other_room, deputies, dana
):
    monkeypatch.setattr("stations.paging.SELECT_LIMIT", 4)
    build_network(district, sites=10, deputies_per_site=1)
    page = browser.new_context(**phone_context_args).new_page()
    sign_in(page, live_server.url, "dana")
    page.goto(live_server.url + "/staff/pairings/new/?q=金星")
    assert page.locator("#site-matches li").count() == 2
    assert_accessible(page)
    page.get_by_role("link", name="金星村代表联络室").click()
    page.wait_for_url(f"**/staff/pairings/new/?site={room.pk}")
    assert page.locator("select[name=deputy]").count() == 0
    page.get_by_label("代表姓名").fill(deputies[1].name)
    page.get_by_label("选民姓名").fill("陈阿婆")
    page.get_by_label("选民同意与代表结对，并同意联络站登记保存其姓名和电话").check()
    assert _fits_the_screen(page)
    assert_accessible(page)
    page.get_by_role("button", name="保存结对").click()
    page.wait_for_url("**/staff/pairings/*/")
    assert_accessible(page)
    assert Pairing.objects.get().deputy == deputies[1]
