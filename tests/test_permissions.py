"""The permission matrix (issue 8, STYLE.md): every URL of the portal × every role × the expected status.

Read a row as: URL name, method, path (and posted data), then what each role gets, in this column order:

    anonymous · erin (deputy, read-only) · alice (staff, 余新镇) · bob (head, 余新镇)
    · charlie (staff, 凤桥镇: the outsider) · dana (district administrator, second factor passed)

Objects in URLs belong to 余新镇's 金星 room (tests/factories_matrix.py), so charlie gets 404 on them.
`LOGIN` is a redirect to the sign-in page, `to(name)` a redirect to that page; POSTs carry minimal valid data,
so a role allowed to write is sent on with a redirect. A URL without a row fails
`test_every_url_has_a_row_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import django.test
import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from stations.models import Visit
from tests.factories_matrix import NEXT_YEAR, VISITOR_PHONE, World, build_world

ROLES = ("anonymous", "erin", "alice", "bob", "charlie", "dana")
GET, POST = "GET", "POST"


@dataclass(frozen=True)
class Redirect:
    """A 302 to the named page (`pk` names a world id for its argument)."""

    name: str
    pk: str | None = None
    next_param: bool = False

    def path(self, world: World) -> str:
        return reverse(self.name, args=[world.ids[self.pk]] if self.pk else [])

    def __str__(self) -> str:
        return f"302→{self.name}"


LOGIN = Redirect("login", next_param=True)
ADMIN_LOGIN = Redirect("admin:login", next_param=True)


def to(name: str, pk: str | None = None) -> Redirect:
    return Redirect(f"stations:{name}", pk)


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int | Redirect]
    data: Callable[[World], dict] | None = None
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.name} {self.method}{' ' + self.note if self.note else ''}"


def url(name: str, query: str = "", **kwargs: str) -> Callable[[World], str]:
    """A path builder: `url("stations:visit_detail", pk="visit")` puts the world's visit id in the URL."""

    def build(world: World) -> str:
        path = reverse(name, kwargs={key: world.ids.get(value, value) for key, value in kwargs.items()})
        return f"{path}?{query}" if query else path

    build.__name__ = name
    return build


def row(name, method, path, anonymous, erin, alice, bob, charlie, dana, *, data=None, note="") -> Row:
    return Row(
        name, method, path, dict(zip(ROLES, (anonymous, erin, alice, bob, charlie, dana), strict=True)), data, note
    )


def all_405(name: str, path: Callable[[World], str]) -> Row:
    """A POST-only endpoint refuses GET before anything else, whoever asks."""
    return row(name, GET, path, 405, 405, 405, 405, 405, 405, note="refused")


# --- posted data ------------------------------------------------------------------------------------------


def visit_form(world: World) -> dict:
    return {
        "site": world.room.pk,
        "occurred_at": timezone.localtime(world.visit.occurred_at).strftime("%Y-%m-%d %H:%M"),
        "visitor_name": "王小明",
        "visitor_phone": VISITOR_PHONE,
        "village": "金星村",
        "people": 3,
        "channel": "walk_in",
        "category": "other",
        "summary": "村口路灯不亮。",
        "opinions-TOTAL_FORMS": 0,
        "opinions-INITIAL_FORMS": 0,
        "opinions-MIN_NUM_FORMS": 0,
        "opinions-MAX_NUM_FORMS": 1000,
    }


def online_opinion(world: World) -> dict:
    return {"site": world.room.pk, "category": "transport", "content": "公交站牌被撞倒了。", "website": ""}


def import_file(world: World) -> dict:
    """A one-visit CSV at the 金星 room, checked only (a dry run saves nothing)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = "日期和时间,站点,内容摘要\n2026-03-20 09:30,金星村代表联络室,村口路灯不亮。\n".encode()
    return {"file": SimpleUploadedFile("visits.csv", content, content_type="text/csv"), "dry_run": "on"}


REASON = {"reason": "值班调整"}
MATRIX_PHONE = {"phone": VISITOR_PHONE}

# --- the matrix -------------------------------------------------------------------------------------------
# fmt: off
ROWS: list[Row] = [
    # public pages                                             anon   erin   alice  bob    charlie dana
    row("stations:home", GET, url("stations:home"),                200,   200,   200,   200,   200,   200),
    row("stations:healthz", GET, url("stations:healthz"),          200,   200,   200,   200,   200,   200),
    row("stations:site_list", GET, url("stations:site_list", "q=金星"), 200, 200, 200,  200,   200,   200),
    row("stations:site_detail", GET, url("stations:site_detail", slug="room"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:deputy_list", GET, url("stations:deputy_list"),  200,   200,   200,   200,   200,   200),
    # regions (issue 15): public, by code (or id)
    row("stations:region_detail", GET, url("stations:region_detail", key="city"),
                                                                   200,   200,   200,   200,   200,   200),
    # a town's page: its sites, its station's schedule, its figures
    row("stations:region_detail", GET, url("stations:region_detail", key="town"),
                                                                   200,   200,   200,   200,   200,   200, note="town"),
    row("stations:region_detail", GET, url("stations:region_detail", key="999999999999"),
                                                                   404,   404,   404,   404,   404,   404, note="unknown"),
    row("stations:deputy_detail", GET, url("stations:deputy_detail", slug="deputy"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:schedule", GET, url("stations:schedule", "site=yuxin-jinxing"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:site_calendar", GET, url("stations:site_calendar", slug="room"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:site_poster", GET, url("stations:site_poster", slug="room"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:deputy_calendar", GET, url("stations:deputy_calendar", slug="deputy"),
                                                                   200,   200,   200,   200,   200,   200),
    row("media", GET, url("media", path="photo"),                  200,   200,   200,   200,   200,   200),
    # the online station and tracking
    row("stations:opinion_create", GET, url("stations:opinion_create", "site=yuxin-jinxing"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:opinion_create", POST, url("stations:opinion_create"),
        to("opinion_submitted"), to("opinion_submitted"), to("opinion_submitted"), to("opinion_submitted"),
        to("opinion_submitted"), to("opinion_submitted"), data=online_opinion),
    # Without a submission in this browser's session there is nothing to confirm: back to the form.
    row("stations:opinion_submitted", GET, url("stations:opinion_submitted"),
        to("opinion_create"), to("opinion_create"), to("opinion_create"), to("opinion_create"),
        to("opinion_create"), to("opinion_create")),
    row("stations:track", GET, url("stations:track"),              200,   200,   200,   200,   200,   200),
    row("stations:track", POST, url("stations:track"),             405,   405,   405,   405,   405,   405),
    row("stations:track_detail", GET, url("stations:track_detail", code="code"),
                                                                   200,   200,   200,   200,   200,   200),
    # accounts
    row("login", GET, url("login"),                                200,   200,   200,   200,   200,   200),
    all_405("logout", url("logout")),
    row("logout", POST, url("logout"),
        to("home"), to("home"), to("home"), to("home"), to("home"), to("home")),
    row("password_change", GET, url("password_change"),            LOGIN, 200,   200,   200,   200,   200),
    row("password_change_done", GET, url("password_change_done"),  LOGIN, 200,   200,   200,   200,   200),
    row("set_language", POST, url("set_language"),
        to("home"), to("home"), to("home"), to("home"), to("home"), to("home"),
        data=lambda w: {"language": "en", "next": "/"}),
    # Two-factor: dana has a device and passed it; the others have none and are offered enrolment.
    row("stations:otp_setup", GET, url("stations:otp_setup"),
        LOGIN, 200, 200, 200, 200, to("otp_verify")),
    row("stations:otp_verify", GET, url("stations:otp_verify"),
        LOGIN, to("otp_setup"), to("otp_setup"), to("otp_setup"), to("otp_setup"), to("staff_home")),
    all_405("stations:session_keep_alive", url("stations:session_keep_alive")),
    row("stations:session_keep_alive", POST, url("stations:session_keep_alive"),
        LOGIN, 200, 200, 200, 200, 200),
    # staff: the station's day and the record book                 anon   erin   alice  bob    charlie dana
    row("stations:staff_home", GET, url("stations:staff_home"),    LOGIN, to("deputy_record", "deputy"), 200, 200, 200, 200),
    row("stations:visit_list", GET, url("stations:visit_list"),    LOGIN, 403,   200,   200,   200,   200),
    row("stations:visit_create", GET, url("stations:visit_create"), LOGIN, 403,  200,   200,   200,   200),
    # charlie cannot choose 金星: the form comes back with the error and nothing is saved.
    row("stations:visit_create", POST, url("stations:visit_create"),
        LOGIN, 403, to("visit_list"), to("visit_list"), 200, to("visit_list"), data=visit_form),
    row("stations:visit_export", GET, url("stations:visit_export", fmt="xlsx"),
                                                                   LOGIN, 403,   200,   200,   200,   200),
    row("stations:visit_export", GET, url("stations:visit_export", "unmasked=1", fmt="csv"),
                                                                   LOGIN, 403,   403,   403,   403,   200,
        note="unmasked"),
    row("stations:visit_detail", GET, url("stations:visit_detail", pk="visit"),
                                                                   LOGIN, 403,   200,   200,   404,   200),
    row("stations:visit_update", GET, url("stations:visit_update", pk="visit"),
                                                                   LOGIN, 403,   200,   200,   404,   200),
    row("stations:visit_update", POST, url("stations:visit_update", pk="visit"),
        LOGIN, 403, to("visit_detail", "visit"), to("visit_detail", "visit"), 404, to("visit_detail", "visit"),
        data=visit_form),
    all_405("stations:visit_archive", url("stations:visit_archive", pk="visit")),
    row("stations:visit_archive", POST, url("stations:visit_archive", pk="visit"),
        LOGIN, 403, to("visit_list"), to("visit_list"), 404, to("visit_list"), data=lambda world: REASON),
    all_405("stations:visit_restore", url("stations:visit_restore", pk="archived_visit")),
    # The station head restores too (issue 13); outside the station the visit does not exist (404).
    row("stations:visit_restore", POST, url("stations:visit_restore", pk="archived_visit"),
        LOGIN, 403, 403, to("visit_detail", "archived_visit"), 404, to("visit_detail", "archived_visit")),
    row("stations:visit_receipt", GET, url("stations:visit_receipt", pk="visit"),
        LOGIN, 403, 200, 200, 404, 200),
    # staff: opinions
    row("stations:staff_opinion_list", GET, url("stations:staff_opinion_list"),
                                                                   LOGIN, 403,   200,   200,   200,   200),
    row("stations:staff_opinion_detail", GET, url("stations:staff_opinion_detail", pk="opinion"),
                                                                   LOGIN, 403,   200,   200,   404,   200),
    row("stations:staff_opinion_detail", GET, url("stations:staff_opinion_detail", "contact=show", pk="opinion"),
                                                                   LOGIN, 403,   200,   200,   404,   200,
        note="contact"),
    row("stations:staff_opinion_detail", POST, url("stations:staff_opinion_detail", pk="opinion"),
        LOGIN, 403, to("staff_opinion_detail", "opinion"), to("staff_opinion_detail", "opinion"), 404,
        to("staff_opinion_detail", "opinion"), data=lambda w: {"action": "accept", "accept-version": 0}),
    # staff: rosters (heads and administrators plan; staff mark attendance)
    row("stations:staff_rosters", GET, url("stations:staff_rosters"),
                                                                   LOGIN, 403,   200,   200,   200,   200),
    row("stations:staff_rosters", GET, url("stations:staff_rosters", "station=yuxin"),
                                                                   LOGIN, 403,   200,   200,   404,   200,
        note="yuxin"),
    all_405("stations:staff_roster_generate", url("stations:staff_roster_generate")),
    row("stations:staff_roster_generate", POST, url("stations:staff_roster_generate"),
        LOGIN, 403, 403, to("staff_rosters"), 404, to("staff_rosters"),
        data=lambda w: {"station": "yuxin", "year": NEXT_YEAR + 1}),
    all_405("stations:staff_roster_publish_confirm", url("stations:staff_roster_publish_confirm")),
    # The world's rosters are all published: the head is sent back to the grid ("nothing to publish").
    row("stations:staff_roster_publish_confirm", POST, url("stations:staff_roster_publish_confirm"),
        LOGIN, 403, 403, to("staff_rosters"), 404, to("staff_rosters"),
        data=lambda w: {"station": "yuxin", "year": NEXT_YEAR}),
    all_405("stations:staff_roster_publish", url("stations:staff_roster_publish")),
    row("stations:staff_roster_publish", POST, url("stations:staff_roster_publish"),
        LOGIN, 403, 403, to("staff_rosters"), 404, to("staff_rosters"),
        data=lambda w: {"station": "yuxin", "year": NEXT_YEAR}),
    row("stations:staff_shift", GET, url("stations:staff_shift", pk="shift"),
                                                                   LOGIN, 403,   200,   200,   404,   200),
    row("stations:staff_shift", POST, url("stations:staff_shift", pk="shift"),
                                                                   405,   405,   405,   405,   405,   405),
    all_405("stations:staff_shift_assign", url("stations:staff_shift_assign", pk="shift")),
    row("stations:staff_shift_assign", POST, url("stations:staff_shift_assign", pk="shift"),
        LOGIN, 403, 403, to("staff_shift", "shift"), 404, to("staff_shift", "shift"),
        data=lambda w: {"deputy": w.deputies[2].pk, **REASON}),
    all_405("stations:staff_shift_remove", url("stations:staff_shift_remove", pk="shift")),
    row("stations:staff_shift_remove", POST, url("stations:staff_shift_remove", pk="shift"),
        LOGIN, 403, 403, to("staff_shift", "shift"), 404, to("staff_shift", "shift"),
        data=lambda w: {"duty": w.duty.pk, **REASON}),
    all_405("stations:staff_shift_swap", url("stations:staff_shift_swap", pk="shift")),
    row("stations:staff_shift_swap", POST, url("stations:staff_shift_swap", pk="shift"),
        LOGIN, 403, 403, to("staff_shift", "shift"), 404, to("staff_shift", "shift"),
        data=lambda w: {"duty": w.duty.pk, "other_duty": w.other_duty.pk, **REASON}),
    all_405("stations:staff_shift_substitute", url("stations:staff_shift_substitute", pk="shift")),
    row("stations:staff_shift_substitute", POST, url("stations:staff_shift_substitute", pk="shift"),
        LOGIN, 403, 403, to("staff_shift", "shift"), 404, to("staff_shift", "shift"),
        data=lambda w: {"duty": w.duty.pk, "substitute": w.deputies[2].pk, **REASON}),
    all_405("stations:staff_shift_move", url("stations:staff_shift_move", pk="shift")),
    row("stations:staff_shift_move", POST, url("stations:staff_shift_move", pk="shift"),
        LOGIN, 403, 403, to("staff_shift", "shift"), 404, to("staff_shift", "shift"),
        data=lambda w: {"date": f"{NEXT_YEAR}-03-21", "start_time": "09:00", "end_time": "11:30", **REASON}),
    all_405("stations:staff_duty_attendance", url("stations:staff_duty_attendance", pk="past_duty")),
    row("stations:staff_duty_attendance", POST, url("stations:staff_duty_attendance", pk="past_duty"),
        LOGIN, 403, to("staff_shift", "past_shift"), to("staff_shift", "past_shift"), 404,
        to("staff_shift", "past_shift"), data=lambda w: {f"duty-{w.past_duty.pk}-attendance": "present"}),
    # district administrators only: the audit log and a voter's rights
    row("stations:audit_log", GET, url("stations:audit_log"),      LOGIN, 403,   403,   403,   403,   200),
    row("stations:voter_lookup", GET, url("stations:voter_lookup"), LOGIN, 403,  403,   403,   403,   200),
    row("stations:voter_lookup", POST, url("stations:voter_lookup"), LOGIN, 403, 403,   403,   403,   200,
        data=lambda w: MATRIX_PHONE),
    all_405("stations:voter_export", url("stations:voter_export")),
    row("stations:voter_export", POST, url("stations:voter_export"), LOGIN, 403, 403,   403,   403,   200,
        data=lambda w: MATRIX_PHONE),
    all_405("stations:voter_anonymise", url("stations:voter_anonymise")),
    row("stations:voter_anonymise", POST, url("stations:voter_anonymise"),
        LOGIN, 403, 403, 403, 403, to("voter_lookup"),
        data=lambda w: {**MATRIX_PHONE, "reason": "本人书面申请", "confirm": "on"}),
    # importing spreadsheets: district administrators anything, station heads their station's visits
    row("stations:import_records", GET, url("stations:import_records"), LOGIN, 403, 403, 200,   403,   200),
    row("stations:import_records", POST, url("stations:import_records"), LOGIN, 403, 403, 200,  403,   200,
        data=import_file),
    row("stations:import_template", GET, url("stations:import_template", kind="visits", fmt="xlsx"),
                                                                   LOGIN, 403,   403,   200,   403,   200),
    row("stations:import_template", GET, url("stations:import_template", kind="sites", fmt="csv"),
                                                                   LOGIN, 403,   403,   404,   403,   200,
        note="network"),
    # a deputy's own pages (erin is the deputy gu-haiming); everybody else has no deputy and gets 403
    row("stations:deputy_home", GET, url("stations:deputy_home"),  LOGIN, 200,   403,   403,   403,   403),
    all_405("stations:deputy_activity_add", url("stations:deputy_activity_add")),
    row("stations:deputy_activity_add", POST, url("stations:deputy_activity_add"),
        LOGIN, to("deputy_home"), 403, 403, 403, 403,
        data=lambda w: {"kind": "inspection", "held_on": timezone.localdate().isoformat(), "title": "视察河道整治"}),
    all_405("stations:deputy_unavailable_add", url("stations:deputy_unavailable_add")),
    row("stations:deputy_unavailable_add", POST, url("stations:deputy_unavailable_add"),
        LOGIN, to("deputy_home"), 403, 403, 403, 403, data=lambda w: {"date": f"{NEXT_YEAR}-07-20", "reason": "出差"}),
    all_405("stations:deputy_unavailable_delete", url("stations:deputy_unavailable_delete", pk="unavailable")),
    row("stations:deputy_unavailable_delete", POST, url("stations:deputy_unavailable_delete", pk="unavailable"),
        LOGIN, to("deputy_home"), 403, 403, 403, 403),
    row("stations:deputy_swap_request", GET, url("stations:deputy_swap_request", pk="duty"),
                                                                   LOGIN, 200,   403,   403,   403,   403),
    # Another deputy's duty is not erin's: 404, as for any object outside one's reach.
    row("stations:deputy_swap_request", GET, url("stations:deputy_swap_request", pk="other_duty"),
                                                                   LOGIN, 404,   403,   403,   403,   403,
        note="not hers"),
    row("stations:deputy_swap_request", POST, url("stations:deputy_swap_request", pk="duty"),
        LOGIN, to("deputy_home"), 403, 403, 403, 403,
        data=lambda w: {"other_duty": w.other_duty.pk, "reason": "外出学习"}),
    all_405("stations:deputy_calendar_feed", url("stations:deputy_calendar_feed")),
    row("stations:deputy_calendar_feed", POST, url("stations:deputy_calendar_feed"),
        LOGIN, to("deputy_home"), 403, 403, 403, 403, data=lambda w: {"action": "issue"}),
    # The private feed's address is its key: anybody holding it reads it (a phone's calendar signs in to nothing).
    row("stations:deputy_private_calendar", GET, url("stations:deputy_private_calendar", token="feed"),
                                                                   200,   200,   200,   200,   200,   200),
    row("stations:deputy_private_calendar", GET, url("stations:deputy_private_calendar", token="no-such-token"),
                                                                   404,   404,   404,   404,   404,   404,
        note="unknown"),
    # the station head decides swap requests (charlie is staff elsewhere: no page at all)
    row("stations:swap_requests", GET, url("stations:swap_requests"), LOGIN, 403, 403,   200,   403,   200),
    all_405("stations:swap_request_decide", url("stations:swap_request_decide", pk="swap")),
    row("stations:swap_request_decide", POST, url("stations:swap_request_decide", pk="swap"),
        LOGIN, 403, 403, to("swap_requests"), 403, to("swap_requests"),
        data=lambda w: {"decision": "refuse", "note": "当天人手不足"}),
    # the voter's own answer, and the elder-friendly display switch: public
    all_405("stations:track_answer", url("stations:track_answer", code="resolved_code")),
    row("stations:track_answer", POST, url("stations:track_answer", code="resolved_code"),
        to("track_detail", "resolved_code"), to("track_detail", "resolved_code"), to("track_detail", "resolved_code"),
        to("track_detail", "resolved_code"), to("track_detail", "resolved_code"), to("track_detail", "resolved_code"),
        data=lambda w: {"satisfaction": "satisfied"}),
    all_405("stations:display_switch", url("stations:display_switch")),
    row("stations:display_switch", POST, url("stations:display_switch"),
        to("home"), to("home"), to("home"), to("home"), to("home"), to("home"),
        data=lambda w: {"mode": "elder", "next": "/"}),
    # the Django admin: its own sign-in page for everybody without is_staff. dana, a district administrator,
    # manages every model by her role (stations.backends.DistrictAdminPermissionBackend).
    row("admin:index", GET, url("admin:index"),
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    row("admin:stations_visit_changelist", GET, url("admin:stations_visit_changelist"),
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    # Handling bodies (issue 15): administrators manage them by role, each their districts' (tests/
    # test_handling_bodies.py has a district's administrator); station staff refer to them, never edit them.
    row("admin:stations_handlingbody_changelist", GET, url("admin:stations_handlingbody_changelist"),
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    row("admin:stations_handlingbody_add", GET, url("admin:stations_handlingbody_add"),
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    # Roles (issue 15): each administrator lists and edits the roles within their region (a role out of reach
    # reads as one that does not exist; tests/test_membership_admin.py has every kind of administrator).
    row("admin:stations_membership_changelist", GET, url("admin:stations_membership_changelist"),
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
    row("admin:stations_membership_change", GET, lambda w: reverse(
        "admin:stations_membership_change", args=[w.users["alice"].membership.pk]),
        ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
]

# --- issue 16: annual themes, pairing, deputies' activities -------------------------------------------------
# fmt: off
RECORDS_ROWS: list[Row] = [
    # The year's themes: every staff role reads them; district administrators and station heads add them.
    row("stations:staff_themes", GET, url("stations:staff_themes"), LOGIN, 403,   200,   200,   200,   200),
    row("stations:staff_themes", POST, url("stations:staff_themes"),
        LOGIN, 403, 403, to("staff_themes"), 403, to("staff_themes"),
        data=lambda w: {"year": w.ids["this_year"], "name": "小城镇环境综合整治", "description": ""}),
    # Tagging a reception or an opinion with themes: those who handle them; outside the station, 404.
    all_405("stations:staff_shift_themes", url("stations:staff_shift_themes", pk="shift")),
    row("stations:staff_shift_themes", POST, url("stations:staff_shift_themes", pk="shift"),
        LOGIN, 403, to("staff_shift", "shift"), to("staff_shift", "shift"), 404, to("staff_shift", "shift"),
        data=lambda w: {}),
    all_405("stations:staff_opinion_themes", url("stations:staff_opinion_themes", pk="opinion")),
    row("stations:staff_opinion_themes", POST, url("stations:staff_opinion_themes", pk="opinion"),
        LOGIN, 403, to("staff_opinion_detail", "opinion"), to("staff_opinion_detail", "opinion"), 404,
        to("staff_opinion_detail", "opinion"), data=lambda w: {"themes-themes": [w.extra["theme"].pk]}),
    # Pairing: the station's staff and head, and district administrators; the voter is personal data.
    row("stations:pairing_list", GET, url("stations:pairing_list"), LOGIN, 403,   200,   200,   200,   200),
    row("stations:pairing_create", GET, url("stations:pairing_create"), LOGIN, 403, 200,  200,   200,   200),
    # charlie cannot choose 金星: the form comes back with the error (400) and nothing is saved.
    row("stations:pairing_create", POST, url("stations:pairing_create"),
        LOGIN, 403, to("pairing_detail", "new_pairing"), to("pairing_detail", "new_pairing"), 400,
        to("pairing_detail", "new_pairing"), data=lambda w: pairing_form(w)),
    row("stations:pairing_detail", GET, url("stations:pairing_detail", pk="pairing"),
                                                                   LOGIN, 403,   200,   200,   404,   200),
    row("stations:pairing_detail", GET, url("stations:pairing_detail", "reveal=1", pk="pairing"),
                                                                   LOGIN, 403,   200,   200,   404,   200,
        note="reveal"),
    all_405("stations:pairing_contact_add", url("stations:pairing_contact_add", pk="pairing")),
    row("stations:pairing_contact_add", POST, url("stations:pairing_contact_add", pk="pairing"),
        LOGIN, 403, to("pairing_detail", "pairing"), to("pairing_detail", "pairing"), 404,
        to("pairing_detail", "pairing"),
        data=lambda w: {"contact-happened_on": timezone.localdate().isoformat(), "contact-method": "phone"}),
    all_405("stations:pairing_deed_add", url("stations:pairing_deed_add", pk="pairing")),
    row("stations:pairing_deed_add", POST, url("stations:pairing_deed_add", pk="pairing"),
        LOGIN, 403, to("pairing_detail", "pairing"), to("pairing_detail", "pairing"), 404,
        to("pairing_detail", "pairing"),
        data=lambda w: {"deed-happened_on": timezone.localdate().isoformat(), "deed-what": "帮助申请低保",
                        "deed-outcome": "已办结"}),
    # A deputy's activities: staff of a station the deputy serves and administrators record them (the deputy's
    # own pages come with i16-people); the one-page report reads like the performance record.
    row("stations:deputy_activity_create", GET, url("stations:deputy_activity_create", slug="deputy"),
                                                                   LOGIN, 403,   200,   200,   404,   200),
    row("stations:deputy_activity_create", POST, url("stations:deputy_activity_create", slug="deputy"),
        LOGIN, 403, to("deputy_record", "deputy"), to("deputy_record", "deputy"), 404, to("deputy_record", "deputy"),
        data=lambda w: {"kind": "inspection", "held_on": timezone.localdate().isoformat(), "title": "视察河道整治"}),
    row("stations:deputy_report", GET, url("stations:deputy_report", slug="deputy", year="this_year"),
                                                                   LOGIN, 200,   200,   200,   404,   200),
    row("stations:deputy_report", GET, url("stations:deputy_report", slug="other_deputy", year="this_year"),
                                                                   LOGIN, 404,   200,   200,   404,   200,
        note="another deputy"),
]
# fmt: on


def pairing_form(world: World) -> dict:
    day = timezone.localdate().isoformat()
    return {
        "site": world.room.pk,
        "deputy": world.deputies[1].pk,
        "kind": "voter",
        "voter_name": "李大伯",
        "voter_phone": "13900001111",
        "consent": "on",
        "consent_on": day,
    }


# --- the figures (statistics) ------------------------------------------------------------------------------
# Merged separately: each row is checked only once its URL name resolves in this branch.
STATS_ROWS: list[Row] = [
    row("stations:public_stats", GET, url("stations:public_stats"), 200, 200, 200, 200, 200, 200),
    row(
        "stations:public_stats",
        GET,
        url("stations:public_stats", "region=330400000000"),
        200,
        200,
        200,
        200,
        200,
        200,
        note="city",
    ),
    # Staff figures by region: administrators only (a station's staff has no region to choose).
    row(
        "stations:staff_stats",
        GET,
        url("stations:staff_stats", "region=330400000000"),
        LOGIN,
        403,
        404,
        404,
        404,
        200,
        note="city",
    ),
    row("stations:staff_stats", GET, url("stations:staff_stats"), LOGIN, 403, 200, 200, 200, 200),
    row(
        "stations:staff_stats",
        GET,
        url("stations:staff_stats", "export=xlsx"),
        LOGIN,
        403,
        200,
        200,
        200,
        200,
        note="xlsx",
    ),
    row("stations:deputy_attendance", GET, url("stations:deputy_attendance"), LOGIN, 403, 403, 403, 403, 200),
    # erin is gu-haiming: her own record; huang-meiqin's is not hers to see.
    row("stations:deputy_record", GET, url("stations:deputy_record", slug="deputy"), LOGIN, 200, 200, 200, 404, 200),
    row(
        "stations:deputy_record",
        GET,
        url("stations:deputy_record", slug="other_deputy"),
        LOGIN,
        404,
        200,
        200,
        404,
        200,
        note="another deputy",
    ),
]

# --- the public API (issue 17) --------------------------------------------------------------------------------
# Read-only and public: the same answer for everybody, signed in or not. Filing an opinion needs an API key; a
# session, whoever's, is no key (401), and a key files whoever holds the session (201).


def api_request(world: World) -> dict:
    return {"service_code": "transport", "description": "公交站牌被撞倒了。", "site": world.room.slug}


def api_request_with_key(world: World) -> dict:
    from stations.audit import Actor
    from stations.services.api_keys import api_key_issue

    _key, secret = api_key_issue(name=f"hotline-{world.room.pk}", actor=Actor.system())
    return {**api_request(world), "api_key": secret}


API_ROWS: list[Row] = [
    #                                                              anon   erin   alice  bob    charlie dana
    row("api:index", GET, url("api:index"), 200, 200, 200, 200, 200, 200),
    row("api:api-root", GET, url("api:api-root"), 200, 200, 200, 200, 200, 200),
    row("api:openapi-json", GET, url("api:openapi-json"), 200, 200, 200, 200, 200, 200),
    row("api:openapi-view", GET, url("api:openapi-view"), 200, 200, 200, 200, 200, 200),
    row("api:site_list", GET, url("api:site_list", "q=金星"), 200, 200, 200, 200, 200, 200),
    row("api:site_detail", GET, url("api:site_detail", site_id="room"), 200, 200, 200, 200, 200, 200),
    row("api:shift_list", GET, url("api:shift_list", "site=yuxin-jinxing"), 200, 200, 200, 200, 200, 200),
    row("api:figures", GET, url("api:figures"), 200, 200, 200, 200, 200, 200),
    row("api:person_list", GET, url("api:person_list"), 200, 200, 200, 200, 200, 200),
    row("api:person_detail", GET, url("api:person_detail", person_id="deputy"), 200, 200, 200, 200, 200, 200),
    row("api:organization_list", GET, url("api:organization_list"), 200, 200, 200, 200, 200, 200),
    row("api:membership_list", GET, url("api:membership_list"), 200, 200, 200, 200, 200, 200),
    row("api:post_list", GET, url("api:post_list"), 200, 200, 200, 200, 200, 200),
    row("api:service_list", GET, url("api:service_list"), 200, 200, 200, 200, 200, 200),
    row("api:request_list", GET, url("api:request_list"), 200, 200, 200, 200, 200, 200),
    row("api:request_detail", GET, url("api:request_detail", request_id="code"), 200, 200, 200, 200, 200, 200),
    row(
        "api:request_create",
        POST,
        url("api:request_create"),
        401,
        401,
        401,
        401,
        401,
        401,
        data=api_request,
        note="no key",
    ),
    row(
        "api:request_create",
        POST,
        url("api:request_create"),
        201,
        201,
        201,
        201,
        201,
        201,
        data=api_request_with_key,
        note="key",
    ),
    row("api:request_detail", POST, url("api:request_detail", request_id="code"), 405, 405, 405, 405, 405, 405),
]
# fmt: on


def _resolves(name: str) -> bool:
    try:
        reverse(name, kwargs={"slug": "x"} if name == "stations:deputy_record" else None)
    except NoReverseMatch:
        return False
    return True


MATRIX = ROWS + RECORDS_ROWS + API_ROWS + [r for r in STATS_ROWS if _resolves(r.name)]
CASES = [pytest.param(r, role, id=f"{r.id} · {role}") for r in MATRIX for role in ROLES]


# --- every URL of the portal --------------------------------------------------------------------------------

# Of the admin's hundred-odd URLs (Django's own code), the matrix takes the index and a few pages.
ADMIN_SAMPLE = {
    "admin:index",
    "admin:stations_visit_changelist",
    "admin:stations_handlingbody_changelist",
    "admin:stations_handlingbody_add",
    "admin:stations_membership_changelist",
    "admin:stations_membership_change",
}


def url_routes() -> dict[str, str]:
    """Name → route of every pattern of the root URLconf (an unnamed pattern is named by its route)."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name or route
                found.setdefault(name, route)

    walk(get_resolver().url_patterns, "", None)
    return found


def portal_url_names() -> set[str]:
    """Every URL of the portal outside the admin's namespace (whose routes all begin with admin/)."""
    return {name for name, route in url_routes().items() if not route.startswith("admin/")} | ADMIN_SAMPLE


def test_every_url_has_a_row_in_the_matrix():
    names = portal_url_names()
    covered = {r.name for r in MATRIX}
    assert not names - covered, f"URLs without a row in the permission matrix: {sorted(names - covered)}"
    assert not covered - names, f"rows for URLs that no longer exist: {sorted(covered - names)}"


def test_the_url_walk_sees_the_whole_portal():
    names = portal_url_names()
    assert {"stations:home", "stations:visit_detail", "stations:voter_anonymise", "login", "media"} <= names
    assert not any(name.startswith("admin:") and name not in ADMIN_SAMPLE for name in names)
    assert not any(name.startswith("admin/") for name in names)  # the admin's unnamed redirects stay out


# --- the matrix itself ------------------------------------------------------------------------------------------


@pytest.fixture
def world(station, room, point, other_station, other_room, deputies, alice, bob, charlie, dana, erin) -> World:
    users = {"anonymous": None, "erin": erin, "alice": alice, "bob": bob, "charlie": charlie, "dana": dana}
    return build_world(station=station, room=room, other_station=other_station, deputies=deputies, users=users)


def _describe(response) -> str:
    location = response.headers.get("Location", "")
    return f"{response.status_code}{' → ' + location if location else ''}"


@pytest.mark.parametrize(("entry", "role"), CASES)
def test_permission_matrix(entry: Row, role: str, world: World, client):
    _check(entry, role, entry.expected[role], world, client)


def _check(entry: Row, role: str, expected: int | Redirect, world: World, client) -> None:
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    path = entry.path(world)
    data = entry.data(world) if entry.data else {}
    response = client.post(path, data) if entry.method == POST else client.get(path, data)
    if isinstance(expected, Redirect):
        assert response.status_code == 302, f"{entry.method} {path} as {role}: {_describe(response)}, not {expected}"
        location = urlsplit(response.headers["Location"])
        assert location.path == expected.path(world), f"{path} as {role} redirects to {location.path}"
        if expected.next_param:
            assert parse_qs(location.query).get("next"), (
                f"{path} as {role}: the sign-in page is not told where to return"
            )
    else:
        assert response.status_code == expected, f"{entry.method} {path} as {role}: {_describe(response)}"


# --- regional administrators (issue 15) ---------------------------------------------------------------------------
# fay administers 嘉兴市 and gus 浙江省: the world lies below both, so they get what dana (the district's
# administrator) gets on every URL. hal administers 杭州市 (with 西湖区 and one station of its own): every object of
# the world is outside his reach (404, as for charlie), while the pages every administrator has answer him as
# they answer dana, over his own city. gus's province holds two districts, so his import must say which (400
# without it: the form asks).
REGIONAL = ("fay", "gus", "hal")
REGIONAL_EXCEPTIONS: dict[tuple[str, str, str], int | Redirect] = {
    ("stations:import_records", POST, "gus"): 400,
    # A city administrator's 嘉兴市 is below none of hal's regions.
    ("stations:staff_stats", GET + " city", "hal"): 404,
    ("stations:region_detail", GET, "hal"): 200,
    # hal cannot choose the 金星 room: the form comes back with the error, as it does for charlie.
    ("stations:visit_create", POST, "hal"): 200,
    # ...nor pair a deputy with a voter there (the form's site choice, as for charlie).
    ("stations:pairing_create", POST, "hal"): 400,
    # A swap request of the 金星 room is outside hal's districts.
    ("stations:swap_request_decide", POST, "hal"): 404,
    # gus administers two districts: a theme without stations must say which (the form asks).
    ("stations:staff_themes", POST, "gus"): 400,
    # alice's role is 嘉兴市's: for hal it does not exist (the admin's redirect to its index).
    ("admin:stations_membership_change", GET, "hal"): Redirect("admin:index"),
}


def regional_expected(entry: Row, role: str) -> int | Redirect:
    key = (entry.name, entry.method + (f" {entry.note}" if entry.note else ""), role)
    if key in REGIONAL_EXCEPTIONS:
        return REGIONAL_EXCEPTIONS[key]
    if role == "hal" and entry.expected["charlie"] == 404:
        return 404
    return entry.expected["dana"]


@pytest.fixture
def regional_world(world: World) -> World:
    from stations.models import District, Region, Site, SiteKind
    from tests.conftest import make_user, totp_device

    province, city = world.extra["province"], world.extra["city"]
    hangzhou = Region.objects.create(name="杭州市", code="330100000000", level="city", parent=province)
    xihu = Region.objects.create(name="西湖区", code="330106000000", level="county", parent=hangzhou)
    district = District.objects.create(name="西湖区", slug="xihu", code="XH", region=xihu)
    Site.objects.create(
        district=district, kind=SiteKind.STATION, name="西溪街道代表联络站", slug="xixi", town="西溪街道"
    )
    for name, role, region in (
        ("fay", "city_admin", city),
        ("gus", "province_admin", province),
        ("hal", "city_admin", hangzhou),
    ):
        user = make_user(name, role=None, is_staff=True)
        from stations.models import Membership

        Membership.objects.create(user=user, role=role, region=region)
        totp_device(user)
        world.users[name] = user
    return world


REGIONAL_CASES = [pytest.param(r, role, id=f"{r.id} · {role}") for r in MATRIX for role in REGIONAL]


@pytest.mark.parametrize(("entry", "role"), REGIONAL_CASES)
def test_permission_matrix_for_regional_administrators(entry: Row, role: str, regional_world: World, client):
    _check(entry, role, regional_expected(entry, role), regional_world, client)


# --- the second factor ------------------------------------------------------------------------------------------
# A district administrator who signed in with the password alone reaches no staff or admin page, whatever the
# method: every such row of the matrix sends her to the code page first.
SECOND_FACTOR_CASES = [
    pytest.param(r, id=r.id) for r in MATRIX if url_routes()[r.name].startswith(("staff/", "admin/"))
]


@pytest.mark.parametrize("entry", SECOND_FACTOR_CASES)
def test_an_administrator_without_the_second_factor_reaches_no_staff_page(entry: Row, world: World):
    browser = django.test.Client()  # the plain client: signing in does not pass the second factor here
    browser.force_login(world.users["dana"])
    path = entry.path(world)
    data = entry.data(world) if entry.data else {}
    response = browser.post(path, data) if entry.method == POST else browser.get(path, data)
    assert response.status_code == 302, f"{entry.method} {path}: {_describe(response)}"
    assert urlsplit(response.headers["Location"]).path == reverse("stations:otp_verify")


# --- writes refused leave nothing changed ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["erin", "charlie"])
def test_refused_writes_change_nothing(role, world: World, client):
    client.force_login(world.users[role])
    before = Visit.objects.count()
    client.post(reverse("stations:visit_create"), visit_form(world))
    client.post(reverse("stations:visit_archive", args=[world.visit.pk]), REASON)
    client.post(reverse("stations:staff_shift_remove", args=[world.shift.pk]), {"duty": world.duty.pk, **REASON})
    assert Visit.objects.count() == before
    world.visit.refresh_from_db()
    assert world.visit.archived_at is None
    assert world.shift.duties.filter(pk=world.duty.pk).exists()
