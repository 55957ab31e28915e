"""A district administrator finds one deputy's attendance among many on a phone, with the keyboard: the table
comes a page at a time and narrows by name through a plain form (issue 15)."""

import pytest
from django.urls import reverse

from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import make_deputy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dana_pages_through_the_attendance_table_and_finds_a_deputy_by_name_on_a_phone(
    live_server, browser, phone_context_args, dana, district, room
):
    for n in range(55):
        make_deputy(district, f"列表代表{n:02d}", sites=[room], slug=f"listed-{n}")
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    sign_in(page, live_server.url, "dana")
    page.goto(live_server.url + reverse("stations:deputy_attendance"))
    assert page.locator("#attendance-table tbody tr").count() == 50
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="下一页").click()
    assert page.locator("#attendance-table tbody tr").count() == 5
    # By keyboard: the name field, typed, then Enter submits the form.
    page.get_by_label("代表姓名").focus()
    page.keyboard.type("列表代表07")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("#attendance-table tbody tr")
    assert rows.count() == 1 and "列表代表07" in rows.first.inner_text()
    # The wide table scrolls inside its own region; the page itself fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    assert_accessible(page)
    context.close()
