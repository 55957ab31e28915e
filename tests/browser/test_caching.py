"""Public pages from the cache in a real browser: a voter's page is served from the cache, passes axe, switches
language (its CSRF token is the voter's own), and shows a change made by staff in another browser at its next
load."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.models import Duty
from tests.browser.conftest import assert_accessible
from tests.browser.conftest import sign_in as sign_in_with_second_factor
from tests.factories_rosters import make_shift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_voter_sees_an_attendance_mark_at_once_on_a_page_served_from_the_cache(
    live_server, page, alice, room, deputies
):
    now = timezone.now()
    running = make_shift(
        room, now - dt.timedelta(hours=1), now + dt.timedelta(hours=2), deputies=deputies[:2], published=True
    )
    voter = page.context.browser.new_context()
    voter_page = voter.new_page()
    site_url = live_server.url + room.get_absolute_url()
    assert voter_page.goto(site_url).headers["x-cache"] == "miss"
    response = voter_page.goto(site_url)
    assert response.headers["x-cache"] == "hit"
    roster = voter_page.locator("table.roster-table")
    assert roster.get_by_text("黄美勤").is_visible()
    assert_accessible(voter_page)

    # The station's staff member, in her own browser, marks 黄美勤 absent.
    duty = Duty.objects.get(shift=running, deputy=deputies[1])
    page.goto(live_server.url + reverse("login"))
    sign_in_with_second_factor(page, live_server.url, "alice")
    page.goto(live_server.url + reverse("stations:staff_shift", args=[running.pk]))
    form = page.locator("form.js-attendance", has=page.locator(f"[name='duty-{duty.pk}-attendance']"))
    form.locator(f"[name='duty-{duty.pk}-attendance']").select_option("absent")
    form.locator(f"[name='duty-{duty.pk}-absence_reason']").select_option("illness")
    form.get_by_role("button", name="保存到岗情况").click()
    page.wait_for_load_state()

    assert voter_page.reload().headers["x-cache"] == "miss"
    assert roster.get_by_text("顾海明").is_visible()
    assert roster.get_by_text("黄美勤").count() == 0  # the roster shows who came
    assert voter_page.reload().headers["x-cache"] == "hit"

    # The language switch posts the voter's own CSRF token, put into the cached page for them.
    voter_page.get_by_role("button", name="English").click()
    voter_page.wait_for_load_state()
    assert voter_page.locator("html").get_attribute("lang") == "en"
    assert voter_page.get_by_role("heading", name="Deputies at this site").is_visible()
    assert_accessible(voter_page)
    voter.close()


def test_a_voter_files_an_opinion_from_a_form_served_from_the_cache(live_server, browser, phone_context_args, room):
    """The opinion form comes from the cache with the voter's own CSRF token: the submission goes through."""
    first = browser.new_context(**phone_context_args).new_page()
    url = f"{live_server.url}/opinions/new/?site={room.slug}"
    assert first.goto(url).headers["x-cache"] == "miss"
    first.context.close()

    voter = browser.new_context(**phone_context_args).new_page()  # a new visitor, without any cookie
    assert voter.goto(url).headers["x-cache"] == "hit"
    assert voter.get_by_label("联络站（室）").input_value() == str(room.pk)
    assert_accessible(voter)
    voter.get_by_label("类别").select_option("transport")
    voter.get_by_label("您的意见建议").fill("金星村村道路灯损坏多日，夜间出行不便，请尽快维修。")
    voter.get_by_role("button", name="提交").click()
    voter.wait_for_url("**/opinions/submitted/")
    assert room.opinions.count() == 1
    voter.context.close()
