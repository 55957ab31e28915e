import pytest

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_switches_to_english_and_passes_axe(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("link", name="代表联络站门户").first.is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Deputy Liaison Station Portal").first.is_visible()
    assert_accessible(page)


def test_pages_load_no_remote_assets(live_server, page):
    remote = []
    page.on("request", lambda req: remote.append(req.url) if not req.url.startswith(live_server.url) else None)
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    assert remote == []
    # Bootstrap's stylesheet really applied (served locally): the navbar is a flex container.
    assert page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display") == "flex"


def test_the_phone_menu_opens_without_javascript(live_server, browser, phone_context_args):
    context = browser.new_context(**phone_context_args, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.get_by_role("link", name="值班安排").is_visible()
    assert page.get_by_role("button", name="English").is_visible()
    context.close()


def test_the_phone_menu_is_collapsed_behind_its_button_with_javascript(live_server, browser, phone_context_args):
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert not page.get_by_role("link", name="值班安排").is_visible()
    page.get_by_role("button", name="显示或隐藏菜单").click()
    page.get_by_role("link", name="值班安排").wait_for()
    context.close()
