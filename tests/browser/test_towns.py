"""Towns and streets (issue 15): a voter on a phone, without JavaScript, walks from the province down through the
city and the county to a town, and from the town's page to its reception schedule; every page passes axe."""

import pytest

from stations.audit import Actor
from stations.models import Roster
from stations.services.rosters import roster_generate, roster_publish
from tests.browser.conftest import assert_accessible
from tests.factories_matrix import build_regions
from tests.test_schedule_views import next_20th

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_voter_walks_from_the_province_to_a_towns_schedule_without_javascript(
    live_server, browser, phone_context_args, room, point, deputies
):
    build_regions(room.district)
    year = next_20th().year
    roster_generate(site=room, year=year, actor=Actor.system())
    roster_publish(roster=Roster.objects.get(site=room, year=year), actor=Actor.system())

    context = browser.new_context(java_script_enabled=False, **phone_context_args)
    page = context.new_page()
    visited = []
    page.goto(live_server.url + "/regions/330000000000/")
    visited.append(page.url)
    page.locator("#region-children").get_by_role("link", name="嘉兴市").click()
    page.wait_for_url("**/regions/330400000000/")
    visited.append(page.url)
    page.locator("#region-children").get_by_role("link", name="南湖区").click()
    page.wait_for_url("**/regions/330402000000/")
    visited.append(page.url)
    assert page.get_by_role("heading", name="镇（街道）").is_visible()
    towns = page.locator("#region-children")
    assert towns.get_by_role("row", name="余新镇").inner_text().split() == ["余新镇", "1", "1", "1"]
    towns.get_by_role("link", name="余新镇").click()
    page.wait_for_url("**/regions/*/")
    visited.append(page.url)
    assert page.get_by_role("heading", level=1).inner_text() == "余新镇"
    sites = page.locator(".town-sites")
    for name in ("余新镇代表联络站", "金星村代表联络室", "金星村企业代表联络点"):
        assert sites.get_by_role("link", name=name).is_visible()
    assert page.locator(".breadcrumb").get_by_role("link", name="南湖区").is_visible()
    page.get_by_role("link", name="余新镇代表联络站接待日安排").click()
    page.wait_for_url("**/schedule/?town=yuxin")
    visited.append(page.url)
    assert page.get_by_text("余新镇下一个接待日").first.is_visible()
    assert page.get_by_text(room.name).first.is_visible()
    context.close()

    # What the pages look like (axe and the screen width need JavaScript to be measured).
    shown = browser.new_context(**phone_context_args).new_page()
    for url in visited:
        shown.goto(url)
        assert_accessible(shown)
        assert _fits_the_screen(shown), url
    shown.context.close()
