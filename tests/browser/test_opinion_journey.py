"""A voter's opinion from the online station to its resolution, as voter and staff see it in the browser."""

import re

import pytest

from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD
from tests.factories_opinions import make_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_voters_opinion_is_handled_to_resolution_and_tracked(live_server, browser, phone_context_args, room, alice):
    body = make_body("余新镇城建办")

    # The voter, on a phone, at the 金星 room's online station.
    voter = browser.new_context(**phone_context_args).new_page()
    voter.goto(f"{live_server.url}/opinions/new/?site={room.slug}")
    assert voter.get_by_label("联络站（室）").input_value() == str(room.pk)
    assert_accessible(voter)
    voter.get_by_label("类别").select_option("transport")
    voter.get_by_label("您的意见建议").fill("金星村村道路灯损坏多日，夜间出行不便，请尽快维修。")
    voter.get_by_label("您的联系电话（选填）").fill("13812345678")
    voter.get_by_label("我同意").check()
    voter.get_by_role("button", name="提交").click()
    voter.wait_for_url("**/opinions/submitted/")
    code = voter.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{5}-[2-9A-Z]{5}-[2-9A-Z]{5}", code)
    assert voter.get_by_role("button", name="打印本页").is_visible()  # the script enabled the print button
    assert_accessible(voter)

    # alice, at her desk: accept, refer, record the reply, resolve.
    staff = browser.new_context().new_page()
    staff.goto(f"{live_server.url}/accounts/login/?next=/staff/opinions/")
    staff.locator("#id_username").fill("alice")
    staff.locator("#id_password").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_url("**/staff/opinions/")
    assert staff.get_by_text("138****5678").first.is_visible()
    assert_accessible(staff)
    staff.locator("table a").first.click()
    staff.wait_for_url(re.compile(r"/staff/opinions/\d+/$"))
    assert_accessible(staff)

    def take_step(label: str, fill=None) -> None:
        step = staff.locator("details", has=staff.locator("summary", has_text=re.compile(f"^{label}$")))
        step.locator("summary").click()
        if fill:
            fill(step)
        step.get_by_role("button", name=label, exact=True).click()
        staff.wait_for_load_state()
        assert staff.get_by_text(f"已完成：{label}").is_visible()

    take_step("受理", lambda step: step.get_by_label("说明（选民可见）").fill("情况属实，予以受理。"))
    take_step("交办", lambda step: step.get_by_label("承办单位").select_option(label=body.name))
    take_step("登记答复", lambda step: step.get_by_label("承办单位答复（选民可见）").fill("已更换路灯三盏。"))
    take_step("确认已解决")
    assert_accessible(staff)

    # The voter follows it with the code, typed loosely.
    voter.goto(f"{live_server.url}/track/")
    assert_accessible(voter)
    voter.get_by_label("查询码").fill(code.lower().replace("-", " "))
    voter.get_by_role("button", name="查询").click()
    voter.wait_for_url(f"**/track/{code}/")
    timeline = voter.locator("ol.opinion-timeline")
    steps = [text.strip() for text in timeline.locator("li strong").all_inner_texts()]
    assert steps == ["收到", "已受理", "已交办", "已答复", "已解决"]
    assert "情况属实，予以受理。" in timeline.inner_text()
    assert body.name in voter.content()
    assert "已更换路灯三盏。" in voter.content()
    assert not re.search(r"\d{11}", voter.content())
    assert_accessible(voter)

    voter.goto(f"{live_server.url}/track/22222-22222-22222/")
    assert voter.get_by_role("heading", name="查询码不存在").is_visible()
    assert_accessible(voter)


def test_a_voter_leaves_an_opinion_from_a_rooms_page_with_the_room_chosen(
    live_server, browser, phone_context_args, room, other_room
):
    from stations.models import Opinion

    page = browser.new_context(**phone_context_args).new_page()
    page.goto(f"{live_server.url}{room.get_absolute_url()}")
    assert_accessible(page)
    page.get_by_role("link", name="在此提出意见建议").click()
    page.wait_for_url(f"**/opinions/new/?site={room.slug}")
    assert page.get_by_label("联络站（室）").input_value() == str(room.pk)
    # Consent comes before the personal fields it covers.
    fields = page.locator("form input, form select, form textarea").evaluate_all("els => els.map(e => e.name)")
    assert fields.index("consent") < fields.index("submitter_name") < fields.index("submitter_phone")
    assert_accessible(page)
    page.get_by_label("类别").select_option("transport")
    page.get_by_label("您的意见建议").fill("村口公交站台顶棚破损，雨天无处避雨。")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/opinions/submitted/")
    assert Opinion.objects.get().site == room

    # A site that takes no opinions online offers no such link.
    page.goto(f"{live_server.url}{other_room.get_absolute_url()}")
    assert page.get_by_role("link", name="在此提出意见建议").count() == 0


def test_switching_language_keeps_what_was_typed(live_server, page, room):
    page.goto(f"{live_server.url}/opinions/new/?site={room.slug}")
    page.get_by_label("类别").select_option("transport")
    page.get_by_label("您的意见建议").fill("村口公交站台顶棚破损，雨天无处避雨。")
    page.get_by_label("我同意").check()
    page.get_by_label("您的姓名（选填）").fill("王先生")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()

    assert page.url.endswith(f"/opinions/new/?site={room.slug}")  # the same page, its query kept
    assert page.get_by_role("button", name="Submit the opinion").is_visible()
    assert page.get_by_label("Your opinion or suggestion").input_value() == "村口公交站台顶棚破损，雨天无处避雨。"
    assert page.get_by_label("Topic").input_value() == "transport"
    assert page.get_by_label("Your name (optional)").input_value() == "王先生"
    assert page.get_by_role("checkbox").first.is_checked()
    assert page.get_by_label("Liaison station or room").input_value() == str(room.pk)
    assert_accessible(page)
    # Kept once: a reload starts empty again, nothing lingers in the tab.
    page.reload()
    assert page.get_by_label("Your opinion or suggestion").input_value() == ""
    assert page.evaluate("sessionStorage.length") == 0


def test_staff_refer_an_opinion_to_a_body_of_its_district_or_a_shared_one(live_server, page, alice, room):
    """Handling bodies by district (issue 15): another district's bodies are not offered."""
    from stations.models import District, HandlingBody, State
    from tests.browser.conftest import sign_in
    from tests.factories_opinions import make_opinion

    xiuzhou = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    HandlingBody.objects.create(name="秀洲区住房和城乡建设局", district=xiuzhou)
    own = HandlingBody.objects.create(name="南湖区住房和城乡建设局", district=room.district)
    HandlingBody.objects.create(name="嘉兴市生态环境局")
    opinion = make_opinion(room, State.ACCEPTED)

    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/staff/opinions/{opinion.pk}/")
    step = page.locator("details", has=page.locator("summary", has_text=re.compile("^交办$")))
    step.locator("summary").click()
    offered = step.get_by_label("承办单位").locator("option").all_inner_texts()
    assert "南湖区住房和城乡建设局" in offered and "嘉兴市生态环境局" in offered
    assert "秀洲区住房和城乡建设局" not in offered
    assert_accessible(page)
    step.get_by_label("承办单位").select_option(label=own.name)
    step.get_by_role("button", name="交办", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("已完成：交办").is_visible()
    opinion.refresh_from_db()
    assert opinion.handling_body == own
