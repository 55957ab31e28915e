"""Backfilling a handling step done on paper: the head enters it with the date it happened, the timeline shows
both dates and marks the late entry; the staff are told next to the date that it is the head's to enter."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from stations.audit import Actor
from stations.clock import LOCAL_TZ
from stations.services.visits import visit_create
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, url: str, username: str, next_path: str) -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{next_path}")


def test_a_step_done_on_paper_is_entered_with_its_date(live_server, browser, room, alice, bob):
    visit = visit_create(
        site=room,
        actor=Actor(user=bob),
        occurred_at=timezone.now() - dt.timedelta(days=50),
        summary="村道路灯损坏。",
        opinions=[{"content": "金星村村道路灯损坏多日，请尽快维修。"}],
    )
    opinion = visit.opinions.get()
    path = f"/staff/opinions/{opinion.pk}/"
    happened = (timezone.now() - dt.timedelta(days=40)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")

    def accept(page) -> None:
        step = page.locator("details", has=page.locator("summary", has_text=re.compile("^受理$")))
        step.locator("summary").click()
        step.get_by_label("实际发生时间").fill(happened)
        step.get_by_role("button", name="受理", exact=True).click()
        page.wait_for_load_state()

    # alice, station staff: a step 40 days old is refused, with the reason next to the date.
    staff = browser.new_context().new_page()
    _sign_in(staff, live_server.url, "alice", path)
    accept(staff)
    assert staff.locator("#id_accept-happened_at.is-invalid").count() == 1
    assert "只有站长或区人大工委管理员可以补录" in staff.content()
    assert_accessible(staff)

    # bob, the station head, enters it: the timeline shows when it happened and when it was entered.
    head = browser.new_context().new_page()
    _sign_in(head, live_server.url, "bob", path)
    accept(head)
    assert head.get_by_text("已完成：受理").is_visible()
    timeline = head.locator("ol").filter(has_text="受理").last.inner_text()
    assert happened.replace("T", " ") in timeline
    assert "录入于" in timeline and "逾期补录" in timeline
    assert_accessible(head)
