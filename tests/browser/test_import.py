"""A station head brings in a spreadsheet of last year's record book: checks it, sees a problem, fixes the file,
saves it, on a phone-sized screen, without JavaScript needed."""

import pytest
from django.urls import reverse

from stations.models import Visit
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "日期和时间,站点,来访人电话,来访人数,内容摘要\n"


def test_bob_checks_fixes_and_imports_a_record_book(live_server, browser, phone_context_args, bob, room, tmp_path):
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    sign_in(page, live_server.url, "bob")
    page.goto(live_server.url + reverse("stations:staff_home"))
    page.get_by_role("link", name="导入记录").click()
    assert page.get_by_role("heading", name="导入记录", level=1).is_visible()
    assert_accessible(page)

    bad = tmp_path / "book.csv"
    bad.write_text(HEADER + "2026-03-20 09:30,金星村代表联络室,12345,2,村口路灯不亮\n", encoding="gb18030")
    page.get_by_label("表格文件").set_input_files(str(bad))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("发现 1 个问题，未保存任何记录。").is_visible()
    assert page.get_by_role("cell", name="来访人电话").is_visible()
    assert_accessible(page)

    good = tmp_path / "book-fixed.csv"
    good.write_text(HEADER + "2026-03-20 09:30,金星村代表联络室,13812345678,2,村口路灯不亮\n", encoding="gb18030")
    page.get_by_label("表格文件").set_input_files(str(good))
    page.get_by_label("仅检查（不保存）").uncheck()
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("已导入并保存 1 行。").is_visible()
    assert Visit.objects.get().people == 2
    assert_accessible(page)
    context.close()
