"""Issue 13, staff on the 20th, in the browser: every site of the station open at once, the session ending in the
middle of a visit, the receipt slip; axe-core on every page visited."""

import pytest
from django.contrib.sessions.models import Session

from stations.models import Membership, Opinion, Site, SiteKind, Visit
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD
from tests.factories_visits import shift_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dingqiao(station):
    return Site.objects.create(
        district=station.district, kind=SiteKind.ROOM, parent=station, name="丁桥村代表联络室", slug="yuxin-dingqiao"
    )


def _sign_in(page, base_url: str, username: str = "alice") -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_on_the_20th_the_form_asks_for_the_site_and_the_voter_gets_a_receipt(
    live_server, browser, phone_context_args, station, room, dingqiao, deputies, alice
):
    shift_now(station)
    shift_now(dingqiao)
    shift_now(room, deputies=deputies[:2])
    page = browser.new_context(**phone_context_args).new_page()
    page.goto(live_server.url + "/staff/visits/new/")
    _sign_in(page, live_server.url)
    page.wait_for_url("**/staff/visits/new/")

    # Three receptions run at once: no site is picked (not 丁桥村 by the alphabet); the form asks.
    assert page.get_by_label("站点").input_value() == ""
    prompt = page.locator("#site-prompt")
    assert "请选择本次接待所在的站点" in prompt.inner_text()
    assert_accessible(page)
    prompt.get_by_role("link", name="金星村代表联络室").click()
    page.wait_for_load_state()
    assert page.get_by_label("站点").input_value() == str(room.pk)
    assert page.get_by_label("顾海明（当班）").is_checked()

    page.get_by_label("来访人姓名").fill("王小明")
    page.get_by_label("来访人电话").fill("１３８ １２３４ ５６７８")  # full-width, as a Chinese input method types it
    page.get_by_label("内容摘要").fill("反映村道坑洼")
    page.get_by_label("来访群众同意在意见建议中保留其姓名和电话，以便告知办理进展").check()
    page.locator("#id_opinions-0-content").fill("村道坑洼，请尽快修复")
    page.locator("#id_opinions-0-accept_now").check()
    page.locator("#id_opinions-1-content").fill("村口河道有垃圾漂浮")
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_url("**/staff/visits/")
    assert_accessible(page)

    page.get_by_role("link", name="出示或打印来访群众回执").click()
    page.wait_for_url("**/receipt/")
    assert_accessible(page)
    text = page.locator("article.receipt").inner_text()
    for opinion in Opinion.objects.all():
        assert opinion.tracking_code in text
        assert (opinion.submitter_phone, opinion.submitter_name) == ("13812345678", "王小明")
    assert "余新镇代表联络站" in text and "/track/" in text
    assert page.locator("svg.receipt-qr").count() == 2
    assert page.get_by_role("button", name="打印回执").is_visible()
    assert sorted(Opinion.objects.values_list("state", flat=True)) == ["accepted", "registered"]

    # The staff opinion list finds an opinion by its words and shows its state on the phone without scrolling.
    page.goto(live_server.url + "/staff/opinions/?q=河道")
    assert_accessible(page)
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    badge = rows.first.locator(".badge").first.bounding_box()
    assert badge is not None and badge["x"] + badge["width"] <= 360
    assert rows.first.locator(".badge").first.inner_text() == "已登记"

    # Next morning the next visitor: the form opens on the site used last, among those open.
    page.goto(live_server.url + "/staff/visits/new/")
    assert page.get_by_label("站点").input_value() == str(room.pk)


def test_the_form_opens_on_the_members_own_site(
    live_server, browser, phone_context_args, station, room, dingqiao, alice
):
    Membership.objects.filter(user=alice).update(site=dingqiao)
    shift_now(station)
    shift_now(room)
    shift_now(dingqiao)
    page = browser.new_context(**phone_context_args).new_page()
    page.goto(live_server.url + "/staff/visits/new/")
    _sign_in(page, live_server.url)
    page.wait_for_url("**/staff/visits/new/")
    assert page.get_by_label("站点").input_value() == str(dingqiao.pk)
    assert page.locator("#site-prompt").count() == 0
    assert_accessible(page)


def test_a_visit_typed_when_the_session_ends_is_restored_after_signing_in_again(
    live_server, browser, phone_context_args, room, alice
):
    page = browser.new_context(**phone_context_args).new_page()
    page.goto(live_server.url + "/staff/visits/new/")
    _sign_in(page, live_server.url)
    page.wait_for_url("**/staff/visits/new/")
    page.get_by_label("站点").select_option(str(room.pk))
    page.wait_for_load_state()
    page.get_by_label("来访人电话").fill("13812345678")
    page.get_by_label("内容摘要").fill("一段很长的谈话：反映村里自来水水压不足")
    page.locator("#id_opinions-0-content").fill("希望改造供水管网")
    page.wait_for_timeout(500)  # the draft is written 300 ms after the last keystroke

    Session.objects.all().delete()  # the session ends on the server (30 minutes without a request)
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_url("**/accounts/login/**")
    assert "分钟无操作，登录已失效" in page.locator("#session-ended").inner_text()
    assert_accessible(page)
    assert not Visit.objects.exists()

    _sign_in(page, live_server.url)
    page.wait_for_url("**/staff/visits/new/**")
    assert page.locator(".draft-restored").is_visible()
    assert page.get_by_label("内容摘要").input_value() == "一段很长的谈话：反映村里自来水水压不足"
    assert page.locator("#id_opinions-0-content").input_value() == "希望改造供水管网"
    assert page.get_by_label("站点").input_value() == str(room.pk)
    assert_accessible(page)
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_url("**/staff/visits/")
    assert Visit.objects.get().summary == "一段很长的谈话：反映村里自来水水压不足"
    # Saved: the draft (with the voter's phone) is gone from the browser.
    assert page.evaluate("Object.keys(window.sessionStorage).filter(k => k.startsWith('draft')).length") == 0


def test_the_session_warning_offers_to_stay_signed_in(live_server, browser, settings, alice):
    settings.SESSION_COOKIE_AGE = 9  # the warning comes a third of the age before the end: after 6 s
    page = browser.new_page()
    page.goto(live_server.url + "/staff/")
    _sign_in(page, live_server.url)
    page.wait_for_url("**/staff/")
    warning = page.locator("#session-warning")
    warning.wait_for(state="visible", timeout=10_000)
    assert "保持登录" in warning.inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="保持登录").click()
    warning.wait_for(state="hidden", timeout=3_000)
    page.goto(live_server.url + "/staff/")
    assert page.url.endswith("/staff/")  # still signed in


def test_errors_are_summarised_and_the_focus_moves_to_the_summary(live_server, browser, room, alice):
    page = browser.new_page()
    page.goto(live_server.url + "/staff/visits/new/")
    _sign_in(page, live_server.url)
    page.wait_for_url("**/staff/visits/new/")
    page.get_by_label("来访人电话").fill("12345")
    page.get_by_role("button", name="保存接待记录").click()
    page.wait_for_load_state()
    assert page.title().startswith("错误：")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    summary = page.locator(".error-summary")
    assert "内容摘要：" in summary.inner_text() and "来访人电话：" in summary.inner_text()
    assert_accessible(page)
    summary.get_by_role("link", name="内容摘要", exact=False).click()
    assert page.evaluate("document.activeElement.id") == "id_summary"
    # The counter says how much room is left, and never cuts.
    page.get_by_label("内容摘要").fill("很" * 10)
    assert "还可输入 4990 个字" in page.locator("#id_summary-count").inner_text()
