"""Text that users type is shown as text: script and attribute-breaking payloads come out escaped (issue 8).

The payloads go into every free-text field a page shows — a visit's summary, visitor's name and village, an
opinion's content, reply and notes, a deputy's biography and occupation, a site's opening notes, address and
head, a moved reception's reason — and each page that shows them is checked twice: the raw payload is never
in the HTML, and its escaped form is (so the page really rendered the field).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils.html import escape

from stations.audit import Actor
from stations.models import Deputy, DutyShift, HandlingBody, Opinion, Site, Visit
from stations.services import opinions as opinion_services
from tests.factories_matrix import VISITOR_PHONE, World, build_world

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW_MARKERS = (SCRIPT, IMG, "<img src=x", "<script>alert")

# What goes where; names are limited to 50 characters, so they carry one payload each.
FIELDS = {
    "summary": f"路灯{SCRIPT}{IMG}",
    "visitor_name": f"王{SCRIPT}",
    "area_text": f"金星村{SCRIPT}{IMG}",
    "content": f"河道{SCRIPT}{IMG}",
    "submitter_name": f"赵{IMG}",
    "reply": f"已清理{SCRIPT}{IMG}",
    "note": f"属实{SCRIPT}{IMG}",
    "biography": f"长期从事{SCRIPT}{IMG}",
    "occupation": f"农民{IMG}",
    "opening_notes": f"每月20日{SCRIPT}{IMG}",
    "address": f"村委会{SCRIPT}{IMG}",
    "head_name": f"钱{IMG}",
    "change_note": f"台风{SCRIPT}{IMG}",
}


@pytest.fixture
def world(station, room, point, other_station, deputies, alice, bob, charlie, dana, erin) -> World:
    users = {"anonymous": None, "erin": erin, "alice": alice, "bob": bob, "charlie": charlie, "dana": dana}
    world = build_world(station=station, room=room, other_station=other_station, deputies=deputies, users=users)
    Visit.objects.filter(pk=world.visit.pk).update(
        summary=FIELDS["summary"], visitor_name=FIELDS["visitor_name"], area_text=FIELDS["area_text"]
    )
    Opinion.objects.filter(pk=world.opinion.pk).update(
        content=FIELDS["content"], submitter_name=FIELDS["submitter_name"]
    )
    Deputy.objects.filter(pk=deputies[0].pk).update(biography=FIELDS["biography"], occupation=FIELDS["occupation"])
    Site.objects.filter(pk=room.pk).update(
        opening_notes=FIELDS["opening_notes"], address=FIELDS["address"], head_name=FIELDS["head_name"]
    )
    # The first reception to come was moved by a day, for the reason in the payload.
    DutyShift.objects.filter(pk=world.shift.pk).update(
        original_start=world.shift.start - dt.timedelta(days=1), change_note=FIELDS["change_note"]
    )
    # A second opinion, answered: its reply and a staff note reach the tracking page and the staff page.
    answered = opinion_services.opinion_register(
        site=room, category="environment", content=FIELDS["content"], actor=Actor.system()
    )
    answered = opinion_services.opinion_accept(opinion=answered, actor=Actor(user=alice), note=FIELDS["note"])
    body = HandlingBody.objects.create(name="区住房和城乡建设局")
    answered = opinion_services.opinion_refer(opinion=answered, actor=Actor(user=alice), body=body)
    answered = opinion_services.opinion_reply(opinion=answered, actor=Actor(user=alice), reply=FIELDS["reply"])
    world.extra["answered"] = answered
    return world


@dataclass(frozen=True)
class Page:
    label: str
    role: str
    path: object  # World -> str
    escaped: tuple[str, ...]  # fields whose escaped text the page must show
    post: dict | None = None


def _path(name: str, *args: str, query: str = ""):
    """A path builder; `args` name the world's objects (see World.ids), plus the answered opinion."""

    def build(world: World) -> str:
        answered = world.extra["answered"]
        ids = {**world.ids, "answered": answered.pk, "answered_code": answered.tracking_code}
        return reverse(name, args=[ids[a] for a in args]) + (f"?{query}" if query else "")

    return build


PAGES = [
    # Lists mask the voter's name (王*****): only its raw form is looked for there.
    Page("staff home", "alice", _path("stations:staff_home"), ("content",)),
    Page("record book", "alice", _path("stations:visit_list"), ("summary", "area_text")),
    Page("visit page", "alice", _path("stations:visit_detail", "visit"), ("summary", "visitor_name", "area_text", "content")),
    Page("visit page, administrator", "dana", _path("stations:visit_detail", "visit", query="reveal=1"),
         ("summary", "visitor_name", "area_text", "content")),
    Page("visit edit form", "alice", _path("stations:visit_update", "visit"), ("summary", "visitor_name", "area_text")),
    Page("opinions", "alice", _path("stations:staff_opinion_list"), ()),
    Page("opinion page", "alice", _path("stations:staff_opinion_detail", "opinion", query="contact=show"),
         ("content", "submitter_name")),
    Page("answered opinion page", "bob", _path("stations:staff_opinion_detail", "answered"), ("content", "reply", "note")),
    Page("tracking page", "anonymous", _path("stations:track_detail", "answered_code"), ("reply", "note")),
    Page("site page", "anonymous", _path("stations:site_detail", "room"),
         ("opening_notes", "address", "head_name", "change_note")),
    Page("deputy page", "anonymous", _path("stations:deputy_detail", "deputy"), ("biography", "occupation")),
    Page("schedule", "anonymous", _path("stations:schedule", query="site=yuxin-jinxing"), ("address", "change_note")),
    Page("poster", "anonymous", _path("stations:site_poster", "room"), ("address",)),
    Page("voter rights page", "dana", _path("stations:voter_lookup"), ("summary", "visitor_name"),
         post={"phone": VISITOR_PHONE}),
]  # fmt: skip


@pytest.mark.parametrize("page", PAGES, ids=[page.label for page in PAGES])
def test_payloads_are_shown_escaped(page: Page, world: World, client):
    user = world.users[page.role]
    if user is not None:
        client.force_login(user)
    path = page.path(world)
    response = client.post(path, page.post) if page.post else client.get(path)
    assert response.status_code == 200, path
    html = response.text
    for marker in RAW_MARKERS:
        assert marker not in html, f"{page.label}: raw {marker!r} in the page"
    for name in page.escaped:
        assert escape(FIELDS[name]) in html, f"{page.label}: {name} not shown (escaped) on the page"


def test_the_payloads_are_what_an_attacker_would_send():
    # Guard against a payload that escaping would leave unchanged (the test could then not fail).
    for text in FIELDS.values():
        assert escape(text) != text
        assert any(marker in text for marker in RAW_MARKERS)
