"""A deputy's own pages in the browser: sign in, declare a date, ask for a swap; the station head approves it."""

import datetime as dt
import re

import pytest

from stations.clock import local_today
from stations.models import Duty, SwapRequest, SwapStatus, Unavailability
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories_rosters import at, make_shift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEXT_YEAR = local_today().year + 1


def test_a_deputy_declares_a_date_and_asks_for_a_swap_that_the_head_approves(
    live_server, browser, room, deputies, erin, bob
):
    march = make_shift(room, at(NEXT_YEAR, 3, 20), deputies=[deputies[0]], published=True)
    make_shift(room, at(NEXT_YEAR, 4, 20), deputies=[deputies[2]], published=True)
    away = local_today() + dt.timedelta(days=40)

    deputy = browser.new_context().new_page()
    sign_in(deputy, live_server.url, "erin")
    deputy.get_by_role("link", name="我的页面").click()
    deputy.wait_for_url("**/me/")
    assert deputy.get_by_role("heading", name="我即将到来的值班").is_visible()
    assert deputy.get_by_text(f"{NEXT_YEAR}-03-20 09:00").is_visible()
    assert_accessible(deputy)

    deputy.get_by_label("日期", exact=True).fill(away.isoformat())
    deputy.get_by_label("原因（选填，联络站可见）").fill("外出学习")
    deputy.get_by_role("button", name="申报此日期").click()
    deputy.wait_for_url("**/me/")
    assert deputy.get_by_text("日期已登记").is_visible()
    assert Unavailability.objects.filter(deputy=deputies[0], date=away).exists()

    deputy.get_by_role("link", name=re.compile("^申请调班")).first.click()
    deputy.wait_for_url(re.compile(r"/me/duties/\d+/swap/$"))
    assert_accessible(deputy)
    deputy.get_by_role("button", name="提交申请").click()  # nothing chosen: the errors come back
    deputy.wait_for_load_state()
    assert deputy.title().startswith("错误")
    assert_accessible(deputy)
    deputy.get_by_label("与之对调").select_option(index=1)  # li-jianguo's April duty
    deputy.get_by_label("当天无法值班的原因").fill("当天出差")
    deputy.get_by_role("button", name="提交申请").click()
    deputy.wait_for_url("**/me/")
    assert deputy.get_by_text("已申请调班：等待站长处理").is_visible()
    assert_accessible(deputy)

    head = browser.new_context().new_page()
    sign_in(head, live_server.url, "bob")
    head.get_by_role("link", name="调班申请").click()
    head.wait_for_url("**/staff/swaps/")
    assert head.get_by_text("当天出差").is_visible()
    assert_accessible(head)
    head.get_by_label("同意：互换这两次值班").check()
    head.get_by_role("button", name="决定").click()
    head.wait_for_url("**/staff/swaps/")
    assert head.get_by_text("两位代表已对调班次。").is_visible()
    assert SwapRequest.objects.get().status == SwapStatus.APPROVED
    assert Duty.objects.get(shift=march).deputy == deputies[2]
    assert_accessible(head)
