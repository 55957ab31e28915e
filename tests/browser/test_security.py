"""A district administrator's first sign-in: enrolment of the second factor, the audit log, a voter's
records. Every page passes axe-core."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD, make_user, totp_code
from tests.factories_security import make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_enrols_the_second_factor_and_reaches_the_audit_log_and_a_voters_records(
    live_server, page, room, alice
):
    make_user("zhou", role="district_admin", is_staff=True)
    make_visit(room, alice, summary="村口道路破损")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("zhou")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("heading", name="设置双因素登录").wait_for()
    assert page.get_by_role("img", name="身份验证器应用的二维码").is_visible()
    assert_accessible(page)
    page.get_by_label("身份验证器应用显示的 6 位动态码").fill(totp_code(TOTPDevice.objects.get(user__username="zhou")))
    page.get_by_role("button", name="确认").click()

    page.get_by_role("link", name="审计日志").click()
    page.get_by_role("heading", name="审计日志").wait_for()
    assert page.get_by_role("cell", name="zhou").first.is_visible()
    assert_accessible(page)

    page.goto(live_server.url + "/staff/voters/")
    page.get_by_label("选民手机号码").fill("13812345678")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("heading", name="13812345678 的记录").wait_for()
    assert page.get_by_text("村口道路破损").is_visible()
    assert_accessible(page)
