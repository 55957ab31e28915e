"""Journeys 2 and 3 in a real browser: an administrator generates and publishes a roster, a voter finds who is on
duty on a phone, and the wall poster prints on exactly one A4 page."""

import datetime as dt
import io
import unicodedata

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from stations.audit import Actor
from stations.models import DutyShift, Roster
from stations.services.rosters import roster_generate, roster_publish, shift_move
from tests.browser.conftest import assert_accessible
from tests.browser.conftest import sign_in as sign_in_with_second_factor
from tests.conftest import make_deputy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_20th() -> dt.date:
    today = timezone.localdate()
    if today.day <= 20:
        return today.replace(day=20)
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=20)


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + reverse("login"))
    assert_accessible(page)
    sign_in_with_second_factor(page, base_url, username)


def test_administrator_generates_and_publishes_next_years_roster_then_sees_it_publicly(
    live_server, page, dana, station, room, point, deputies
):
    year = timezone.localdate().year + 1
    sign_in(page, live_server.url, "dana")

    page.goto(f"{live_server.url}{reverse('stations:staff_rosters')}?station={station.slug}&year={year}")
    assert_accessible(page)
    page.get_by_role("button", name=f"为本站生成{year}年值班表").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"{year}年值班表已生成").is_visible()
    assert DutyShift.objects.filter(roster__year=year).count() == 36
    assert_accessible(page)

    # The grid shows whether the year is fair before anything is published.
    assert page.locator("section.roster-fairness").get_by_text("最多与最少相差").is_visible()
    page.get_by_role("button", name=f"公布{year}年值班表").click()
    page.wait_for_load_state()
    # A confirmation step: the fairness summary and the drafts, nothing published yet.
    assert page.get_by_role("heading", level=1).inner_text().startswith("是否公布")
    assert page.locator("section.roster-fairness").is_visible()
    assert room.name in page.locator("main").inner_text()
    assert not Roster.objects.filter(year=year, published_at__isnull=False).exists()
    assert_accessible(page)
    page.get_by_role("button", name=f"确认公布{year}年值班表").click()
    page.wait_for_load_state()
    assert page.get_by_text("选民现在即可查看").is_visible()
    assert Roster.objects.filter(year=year, published_at__isnull=False).count() == 3
    assert_accessible(page)

    january = DutyShift.objects.get(roster__site=room, roster__year=year, start__month=1)
    on_duty = [duty.deputy.name for duty in january.duties.all()]
    page.goto(f"{live_server.url}{reverse('stations:schedule')}?site={room.slug}&date={year}-01-20")
    card = page.locator("article.shift-card")
    assert card.count() == 1
    assert room.name in card.inner_text() and "09:00–11:30" in card.inner_text()
    for name in on_duty:
        assert name in card.inner_text()
    assert_accessible(page)

    # The room's public page shows the published year's roster with the same deputies.
    page.goto(f"{live_server.url}{room.get_absolute_url()}")
    roster_table = page.locator("table.roster-table")
    assert f"{year}" in page.locator("section.site-schedule").inner_text()
    for name in on_duty:
        assert name in roster_table.inner_text()
    assert_accessible(page)


def test_voter_on_a_phone_chooses_their_town_and_sees_who_is_on_duty_on_the_next_20th(
    live_server, browser, phone_context_args, station, room, other_room, deputies, district
):
    make_deputy(district, "沈凤桥", sites=[other_room])
    day = next_20th()
    for year in {day.year, day.year + 1}:
        for site in (room, other_room):
            roster_generate(site=site, year=year, actor=Actor.system())
            roster_publish(roster=Roster.objects.get(site=site, year=year), actor=Actor.system())
    shift = DutyShift.objects.get(roster__site=room, start__date=day)
    on_duty = sorted(duty.deputy.name for duty in shift.duties.all())

    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    try:
        # The schedule opens on a town chooser, not on every site of the district.
        page.goto(live_server.url + reverse("stations:schedule"))
        assert page.locator("article.shift-card").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page)
        page.get_by_label("您所在的镇（街道）", exact=True).select_option(label="余新镇")
        page.get_by_role("button", name="查看").click()
        page.wait_for_load_state()

        heading = page.get_by_role("heading", level=2, name=f"余新镇下一个接待日：{day.year}年{day.month}月{day.day}日")
        assert heading.is_visible()
        card = page.locator("article.shift-card", has_text="金星村代表联络室")
        assert card.is_visible()
        assert page.locator("article.shift-card", has_text="凤桥").count() == 0
        text = card.inner_text()
        assert "09:00–11:30" in text
        assert sorted(name for name in (d.name for d in deputies) if name in text) == on_duty
        # Readable on a phone: nothing wider than the screen, controls big enough to hit.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.get_by_role("button", name="查看").bounding_box()["height"] >= 44
        assert_accessible(page)

        # Remembered: the next visit opens on the town; the whole district is one click away.
        page.goto(live_server.url + reverse("stations:schedule"))
        assert heading.is_visible()
        page.get_by_role("link", name=f"{day.year}年{day.month}月{day.day}日全区各站点的接待安排").click()
        page.wait_for_load_state()
        assert page.locator("article.shift-card", has_text="凤桥").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(page)

        page.goto(live_server.url + reverse("stations:schedule"))
        page.locator("article.shift-card", has_text="金星村代表联络室").get_by_role("link", name=on_duty[0]).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name=f"{on_duty[0]}的值班安排").is_visible()
        assert_accessible(page)
    finally:
        context.close()


def _photo(colour: str) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 320), colour).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="photo.png")


@pytest.mark.parametrize("extra", [7, 27], ids=["10-deputies", "30-deputies"])
def test_the_poster_prints_on_exactly_one_a4_page(live_server, page, station, room, deputies, district, bob, extra):
    more = [make_deputy(district, f"代表{n}号", sites=[room], level=("city", "town")[n % 2]) for n in range(extra)]
    for index, deputy in enumerate([*deputies, *more]):
        deputy.photo.save("photo.png", _photo(("#8a8a8a", "#5a6f8a", "#7a5a4a")[index % 3]))
    year = next_20th().year
    roster_generate(site=room, year=year, actor=Actor.system())
    roster = Roster.objects.get(site=room, year=year)
    roster_publish(roster=roster, actor=Actor.system())
    december = roster.shifts.order_by("start").last()
    moved = december.start + dt.timedelta(days=1)
    shift_move(
        shift=december, start=moved, end=moved + dt.timedelta(hours=2, minutes=30), actor=Actor(user=bob), reason="换届"
    )

    page.goto(live_server.url + reverse("stations:site_poster", args=[room.slug]))
    assert page.get_by_role("heading", level=1, name=room.name).is_visible()
    assert page.locator("svg.poster-qr").is_visible()
    assert page.locator("img.poster-photo").count() == 3 + extra
    assert page.locator(".poster-table tbody tr").count() == 12
    assert_accessible(page)

    pdf = page.pdf(format="A4", print_background=True)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2  # A4 in points
    # The PDF's CJK text comes out as Kangxi radicals with spaces; NFKC folds them back to ordinary characters.
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text()).replace(" ", "")
    assert room.name in text and "每月20日" in text
    assert "由12月20日改至12月21日" in text


def test_staff_mark_attendance_and_the_schedules_empty_states_pass_axe(live_server, page, alice, room, deputies):
    year = next_20th().year + 1
    roster_generate(site=room, year=year, actor=Actor.system())
    roster_publish(roster=Roster.objects.get(site=room, year=year), actor=Actor.system())
    past = DutyShift.objects.create(
        roster=Roster.objects.get(site=room, year=year),
        start=timezone.now() - dt.timedelta(days=1),
        end=timezone.now() - dt.timedelta(hours=21),
    )
    past.duties.create(deputy=deputies[0])
    sign_in(page, live_server.url, "alice")

    page.goto(live_server.url + reverse("stations:staff_shift", args=[past.pk]))
    form = page.locator("form.js-attendance").first
    form.get_by_label("到岗情况").select_option("absent")
    assert form.get_by_label("缺席原因").is_visible()
    form.get_by_role("button", name="保存到岗情况").click()
    page.wait_for_load_state()
    # Next to the field (naming it), and in the form's error summary with a link to it; nothing saved.
    assert page.locator(".invalid-feedback").get_by_text("缺席原因：请填写缺席原因").is_visible()
    assert page.locator(".error-summary").get_by_role("link", name="缺席原因：请填写缺席原因").is_visible()
    assert_accessible(page)
    page.locator("form.js-attendance").first.get_by_label("缺席原因").select_option("illness")
    page.locator("form.js-attendance").first.get_by_role("button", name="保存到岗情况").click()
    page.wait_for_load_state()
    assert past.duties.get().absence_reason == "illness"

    for query in (f"?date={year}-03-21", f"?site={room.slug}&date={year}-03-21"):
        page.goto(live_server.url + reverse("stations:schedule") + query)
        assert page.locator(".alert-info").is_visible()  # the empty result is explained
        assert_accessible(page)
    page.goto(live_server.url + reverse("stations:schedule") + f"?date={year}-02-31")
    assert page.locator(".invalid-feedback").is_visible()
    assert_accessible(page)
