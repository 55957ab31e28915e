"""Journey 1: a staff member logs a visit with two opinions on a phone and finds it in the book and on /staff/."""

import time

import pytest

from stations.models import Visit
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD
from tests.factories_visits import shift_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "反映金星村村道坑洼，雨天积水严重"


def test_staff_log_a_visit_with_two_opinions_on_a_phone(
    live_server, browser, phone_context_args, room, deputies, alice
):
    shift_now(room, deputies=deputies[:2])
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    started = time.perf_counter()

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")
    assert_accessible(page)

    page.get_by_role("link", name="登记接待", exact=True).click()
    page.wait_for_url("**/staff/visits/new/")
    assert_accessible(page)
    # Pre-filled: the room whose shift is running, with its deputies on duty ticked.
    assert page.get_by_label("站点").input_value() == str(room.pk)
    assert page.get_by_label("顾海明（当班）").is_checked()
    assert page.get_by_label("黄美勤（当班）").is_checked()
    assert not page.get_by_label("李建国").is_checked()

    page.get_by_label("来访人电话").fill("138 1234 5678")
    page.get_by_label("村（社区）").fill("长秦村")
    page.get_by_label("来访人数").fill("3")
    page.get_by_label("议题类别").select_option("transport")
    page.get_by_label("内容摘要").fill(SUMMARY)
    page.locator("#id_opinions-0-content").fill("村道坑洼，请尽快修复")
    page.locator("#id_opinions-1-category").select_option("environment")
    page.locator("#id_opinions-1-content").fill("村口河道有垃圾漂浮")
    # The script adds a fourth opinion box; left empty, it is skipped.
    page.get_by_role("button", name="再添加一条意见建议").click()
    assert page.locator("fieldset.opinion-form").count() == 4
    page.get_by_role("button", name="保存接待记录").click()

    page.wait_for_url("**/staff/visits/")
    assert page.get_by_role("status").first.is_visible()
    first = page.locator("li.visit-item").first
    assert SUMMARY in first.inner_text()
    assert "138****5678" in first.inner_text()
    assert "意见建议2条" in first.inner_text()
    assert_accessible(page)

    page.goto(live_server.url + "/staff/")
    assert SUMMARY in page.locator("#visits-heading + ol").inner_text()
    elapsed = time.perf_counter() - started
    assert_accessible(page)

    visit = Visit.objects.get()
    assert visit.people == 3 and visit.visitor_phone == "13812345678"
    assert visit.opinions.count() == 2
    assert set(visit.deputies.values_list("name", flat=True)) == {"顾海明", "黄美勤"}
    # Not part of the journey's time: the visit's own page passes axe-core as well.
    page.locator("#visits-heading + ol li.visit-item a").first.click()
    page.wait_for_url(f"**/staff/visits/{visit.pk}/")
    assert "13812345678" in page.locator("dl.visit-record").inner_text()
    assert_accessible(page)
    print(f"\njourney 1 (sign in, log a visit with two opinions, record book, /staff/): {elapsed:.2f} s")
    assert elapsed < 60
    context.close()
