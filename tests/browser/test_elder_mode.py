"""The elder-friendly display (适老化) over the voter's journey, on a 360 px phone: switched on from the page,
remembered from page to page, every page fits the screen and passes axe; and it works without JavaScript."""

import pytest
from django.utils import timezone

from stations.models import State
from tests.browser.conftest import assert_accessible
from tests.factories_opinions import make_opinion
from tests.factories_rosters import make_shift
from tests.factories_visits import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _check(page) -> None:
    assert page.evaluate("document.documentElement.classList.contains('elder')"), page.url
    # Text is larger than the standard 16 px (the root is 118.75 % on a phone).
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 18
    assert _fits_the_screen(page), f"{page.url} is wider than the phone"
    assert_accessible(page)


def test_the_switch_works_without_javascript_and_is_remembered(live_server, browser, phone_context_args, room):
    # Without JavaScript Playwright cannot evaluate in the page (nor run axe): read the HTML the server sent.
    context = browser.new_context(**phone_context_args, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/sites/")
    page.get_by_role("button", name="大字号、高对比度").click()
    page.wait_for_url("**/sites/")
    assert 'class="no-js elder"' in page.content()
    page.goto(f"{live_server.url}/sites/{room.slug}/")
    assert 'class="no-js elder"' in page.content()
    page.get_by_role("button", name="标准字号").click()
    page.wait_for_url(f"**/sites/{room.slug}/")
    assert 'class="no-js"' in page.content()
    context.close()


def test_a_voter_reads_the_public_pages_in_large_text_and_high_contrast(
    live_server, browser, phone_context_args, room, deputies
):
    today = timezone.localdate()
    make_shift(room, local(today.year, 12, 20, 9), deputies=deputies[:2], published=True)
    opinion = make_opinion(room, State.RESOLVED)
    context = browser.new_context(**phone_context_args)
    page = context.new_page()

    page.goto(live_server.url + "/")
    page.get_by_role("button", name="大字号、高对比度").click()
    page.wait_for_load_state()
    _check(page)
    assert page.get_by_role("button", name="标准字号").is_visible()

    for path in (
        "/sites/?q=金星",
        f"/sites/{room.slug}/",
        "/schedule/",
        "/deputies/",
        f"/deputies/{deputies[0].slug}/",
        f"/opinions/new/?site={room.slug}",
        "/track/",
        "/stats/",
        f"/track/{opinion.tracking_code}/",
    ):
        page.goto(live_server.url + path)
        _check(page)

    # The voter answers in the same mode: the form is usable and the page stays accessible after it.
    page.get_by_label("基本满意").check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state()
    assert page.get_by_text("您的评价：基本满意").is_visible()
    _check(page)
    context.close()
