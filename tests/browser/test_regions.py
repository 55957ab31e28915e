"""Regions (issue 15): a voter on a phone walks from the site list down the regions to a station and up again
through the breadcrumbs, and reads a city's figures with links down to its districts."""

import pytest

from tests.browser.conftest import assert_accessible
from tests.factories_matrix import build_regions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_voter_walks_down_the_regions_to_a_station_and_back_up(live_server, browser, phone_context_args, room, point):
    build_regions(room.district)
    context = browser.new_context(**phone_context_args)
    page = context.new_page()

    page.goto(live_server.url + "/sites/")
    page.get_by_role("navigation", name="南湖区的上级行政区划").get_by_role("link", name="浙江省").click()
    page.wait_for_url("**/regions/330000000000/")
    assert page.get_by_role("heading", level=1).inner_text() == "浙江省"
    assert_accessible(page)
    assert _fits_the_screen(page)

    page.get_by_role("link", name="嘉兴市").first.click()
    page.wait_for_url("**/regions/330400000000/")
    children = page.locator("#region-children")
    assert children.get_by_role("link", name="南湖区").is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)

    children.get_by_role("link", name="南湖区").click()
    page.wait_for_url("**/regions/330402000000/")
    page.get_by_role("link", name="余新镇代表联络站").click()
    page.wait_for_url("**/sites/yuxin/")
    assert_accessible(page)
    page.locator(".breadcrumb").get_by_role("link", name="嘉兴市").click()
    page.wait_for_url("**/regions/330400000000/")

    page.get_by_role("link", name="嘉兴市统计数据").click()
    page.wait_for_url("**/stats/?region=330400000000")
    table = page.locator("#table-districts")
    assert table.get_by_role("link", name="南湖区").is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)
    table.get_by_role("link", name="南湖区").click()
    page.wait_for_url("**/stats/?region=330402000000*")
    assert page.locator("#table-stations").get_by_role("link", name="余新镇代表联络站").is_visible()
    assert_accessible(page)
    context.close()
