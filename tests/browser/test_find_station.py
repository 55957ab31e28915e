"""Journey 2's first half: a voter on a phone finds the room that serves their village and its deputies."""

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_voter_finds_the_jinxing_room_and_a_deputys_profile(live_server, browser, phone_context_args, deputies):
    context = browser.new_context(**phone_context_args)
    page = context.new_page()

    page.goto(live_server.url + "/")
    assert_accessible(page)
    assert _fits_the_screen(page)
    page.get_by_label("村、社区或联络站名称").fill("金星")
    page.get_by_role("button", name="搜索").click()

    page.wait_for_url("**/sites/?q=*")
    assert page.get_by_role("heading", name="“金星”的搜索结果").is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)
    page.get_by_role("link", name="金星村代表联络室").first.click()

    page.wait_for_url("**/sites/yuxin-jinxing/")
    assert page.get_by_role("heading", level=1).inner_text() == "金星村代表联络室"
    served = page.get_by_role("region", name="服务的村、社区")
    for village in ("金星村", "长秦村", "曹王村"):
        assert served.get_by_text(village, exact=True).is_visible()
    on_duty = page.get_by_role("region", name="进站代表")
    for deputy in deputies:
        assert on_duty.get_by_role("link", name=deputy.name).is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)
    on_duty.get_by_role("link", name="黄美勤").click()

    page.wait_for_url("**/deputies/huang-meiqin/")
    assert page.get_by_role("heading", level=1).inner_text() == "黄美勤"
    assert page.get_by_text("区人大代表").first.is_visible()
    assert page.get_by_role("img", name="黄美勤的照片").is_visible()
    assert_accessible(page)
    assert _fits_the_screen(page)
    context.close()


def test_voter_browses_the_tree_and_filters_deputies_by_level(live_server, browser, phone_context_args, deputies):
    context = browser.new_context(**phone_context_args)
    page = context.new_page()

    page.goto(live_server.url + "/sites/?q=没有这个村")
    assert page.get_by_text("没有找到为“没有这个村”服务的联络站、联络室或联络点。").is_visible()
    assert_accessible(page)
    room_link = page.get_by_role("link", name="金星村代表联络室")
    assert not room_link.is_visible()  # folded under its station until the voter opens it
    page.locator("summary", has_text="余新镇代表联络站").click()
    room_link.click()
    page.wait_for_url("**/sites/yuxin-jinxing/")

    page.goto(live_server.url + "/deputies/")
    assert_accessible(page)
    assert _fits_the_screen(page)
    page.get_by_label("层级").select_option(label="市人大代表")
    page.get_by_role("button", name="查看代表").click()
    page.wait_for_url("**/deputies/?*level=city*")
    cards = page.locator(".deputy-card")
    assert cards.count() == 1
    assert cards.first.get_by_role("link", name="李建国").is_visible()
    assert_accessible(page)
    context.close()
