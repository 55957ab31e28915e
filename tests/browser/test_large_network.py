"""A voter in a large network (issue 15), on a phone, with the keyboard and without JavaScript: the sites a page
at a time, and the opinion form's site found by a search before the form."""

import pytest

from stations.models import Site, SiteKind
from tests.browser.conftest import assert_accessible
from tests.factories_network import build_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_voter_pages_through_the_stations_with_the_keyboard(live_server, browser, phone_context_args, district):
    build_network(district, sites=450, deputies_per_site=0)  # 45 stations: three pages
    page = browser.new_context(**phone_context_args).new_page()
    page.goto(live_server.url + "/sites/")
    assert page.locator("li.site-tree-station").count() == 20
    assert page.get_by_text("第 1 页，共 3 页").is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)
    following = page.get_by_role("navigation", name="联络站分页").get_by_role("link", name="下一页")
    following.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/sites/?page=2")
    assert page.get_by_text("第 2 页，共 3 页").is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)


def test_a_voter_finds_the_station_for_an_opinion_without_javascript(
    live_server, browser, phone_context_args, district
):
    build_network(district, sites=300, deputies_per_site=0)
    Site.objects.filter(kind=SiteKind.STATION).update(is_online=True)  # more online sites than a select holds
    wanted = Site.objects.get(slug="bulk-room-4")
    # What the pages look like (axe and the screen width need JavaScript to be measured)...
    shown = browser.new_context(**phone_context_args).new_page()
    shown.goto(live_server.url + "/opinions/new/")
    assert_accessible(shown)
    assert _fits_the_screen(shown)
    shown.goto(live_server.url + f"/opinions/new/?q={wanted.name}")
    assert_accessible(shown)
    assert _fits_the_screen(shown)
    shown.context.close()
    # ...and the journey itself without it.
    context = browser.new_context(java_script_enabled=False, **phone_context_args)
    page = context.new_page()
    page.goto(live_server.url + "/opinions/new/")
    assert page.get_by_label("联络站（室）").locator("option").count() == 1  # only "choose": no site listed yet
    assert page.get_by_text("接受网上意见建议的联络站（室）较多").is_visible()
    page.get_by_label("村（社区）或联络站名称").fill(wanted.name)
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url("**/opinions/new/?q=*")
    assert page.get_by_label("联络站（室）").locator("option").count() == 2
    page.get_by_label("联络站（室）").select_option(label=f"{wanted.name}（{wanted.town}）")
    page.get_by_label("类别").select_option("transport")
    page.get_by_label("您的意见建议").fill("村口路灯不亮。")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/opinions/submitted/")
    from stations.models import Opinion

    assert Opinion.objects.get().site == wanted
    context.close()
