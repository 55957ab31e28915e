"""Builders for the statistics tests: shifts with attendance, visits and opinions with timelines.

Times are given as naive local (Asia/Shanghai) datetimes, the way a member of staff would read them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from stations.models import (
    Assignment,
    Deputy,
    Duty,
    DutyShift,
    HandlingBody,
    Mandate,
    Opinion,
    OpinionEvent,
    Roster,
    Site,
    SiteKind,
    State,
    Visit,
    VisitDeputy,
)
from stations.services.figures import figures_recompute, month_of
from tests.conftest import make_deputy

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def recorder():
    user, _ = get_user_model().objects.get_or_create(username="recorder")
    return user


def make_shift(site: Site, start: dt.datetime, duties=(), *, minutes: int = 150, cancelled: bool = False) -> DutyShift:
    """`duties`: (deputy, attendance) or (deputy, attendance, reason) or (deputy, "substituted", None, substitute)."""
    roster, _ = Roster.objects.get_or_create(site=site, year=start.year, defaults={"published_at": start})
    shift = DutyShift.objects.create(
        roster=roster, start=start, end=start + dt.timedelta(minutes=minutes), cancelled=cancelled
    )
    for entry in duties:
        deputy, attendance, *rest = entry
        reason = rest[0] if rest and rest[0] else ""
        substitute = rest[1] if len(rest) > 1 else None
        Duty.objects.create(
            shift=shift, deputy=deputy, attendance=attendance, absence_reason=reason, substitute=substitute
        )
    refresh_figures(site, start)
    return shift


def refresh_figures(site: Site, *moments: dt.datetime) -> None:
    """These builders insert rows directly, as a bulk generator does; like one (scripts/gen_province.py), they
    then recompute the summary cells of the district-months they wrote (stations/services/figures.py)."""
    figures_recompute(keys={(site.district_id, month_of(moment)) for moment in moments})


def make_visit(
    site: Site,
    when: dt.datetime,
    *,
    people: int = 1,
    shift: DutyShift | None = None,
    channel: str = "reception_day",
    category: str = "other",
    deputies=(),
    archived: bool = False,
) -> Visit:
    visit = Visit.objects.create(
        site=site,
        occurred_at=when,
        shift=shift,
        people=people,
        channel=channel,
        category=category,
        summary="来访",
        visitor_name="测试",
        recorded_by=recorder(),
        archived_at=when + dt.timedelta(days=1) if archived else None,
    )
    for deputy in deputies:
        VisitDeputy.objects.create(visit=visit, deputy=deputy)
    refresh_figures(site, when, *([shift.start] if shift is not None else []))
    return visit


def body(name: str = "区住建局") -> HandlingBody:
    return HandlingBody.objects.get_or_create(name=name)[0]


def make_opinion(
    site: Site,
    registered: dt.datetime,
    path: list[tuple[str, dt.datetime]] = (),
    *,
    visit: Visit | None = None,
    category: str = "other",
    handling_body: HandlingBody | None = None,
    deadline: dt.date | None = None,
    satisfaction: str = "",
) -> Opinion:
    """An opinion registered at `registered`, then moved along `path` ((state, when), ...).

    The opinion's fields follow its path the way the handling service sets them: replied_at at the last
    reply, closed_at when closed, and a reopening (closed → referred) clears both.
    """
    number = next(_numbers)
    opinion = Opinion.objects.create(
        reference=f"T-{number:05d}",
        tracking_code=f"TRACK-{number:05d}",
        site=site,
        visit=visit,
        category=category,
        content="意见",
        registered_at=registered,
        handling_body=handling_body,
        deadline=deadline,
    )
    events = [OpinionEvent(opinion=opinion, from_state="", to_state=State.REGISTERED, at=registered)]
    state, replied_at, closed_at = State.REGISTERED, None, None
    for to_state, when in path:
        events.append(OpinionEvent(opinion=opinion, from_state=state, to_state=to_state, at=when))
        if to_state == State.REPLIED:
            replied_at = when
        if to_state == State.CLOSED:
            closed_at = when
        if state == State.CLOSED and to_state == State.REFERRED:
            replied_at = closed_at = None
        state = to_state
    OpinionEvent.objects.bulk_create(events)
    opinion.state = state
    opinion.replied_at = replied_at
    opinion.closed_at = closed_at
    opinion.satisfaction = satisfaction if state == State.CLOSED else ""
    opinion.save()
    refresh_figures(site, registered)
    return opinion


def build_network(district, *, stations: int, rooms: int, points: int, deputies_per_site: int = 3):
    """A network of the demo's shape, in bulk: stations, rooms spread over them, points under the first rooms,
    and deputies assigned to every site (each with a district-level mandate)."""
    made_stations = Site.objects.bulk_create(
        Site(district=district, kind=SiteKind.STATION, name=f"第{i}镇代表联络站", slug=f"net-s{i}", town=f"第{i}镇")
        for i in range(stations)
    )
    made_rooms = Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.ROOM,
            parent=made_stations[j % stations],
            name=f"第{j}代表联络室",
            slug=f"net-r{j}",
            town=made_stations[j % stations].town,
        )
        for j in range(rooms)
    )
    made_points = Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.POINT,
            parent=made_rooms[k],
            name=f"第{k}代表联络点",
            slug=f"net-p{k}",
            town=made_rooms[k].town,
        )
        for k in range(points)
    )
    sites = [*made_stations, *made_rooms, *made_points]
    deputies = Deputy.objects.bulk_create(
        Deputy(district=district, name=f"代表{n}", slug=f"net-d{n}", gender="m")
        for n in range(len(sites) * deputies_per_site)
    )
    Mandate.objects.bulk_create(
        Mandate(deputy=deputy, level="district", term_start=dt.date(2022, 1, 1)) for deputy in deputies
    )
    Assignment.objects.bulk_create(
        Assignment(deputy=deputies[n], site=site)
        for s, site in enumerate(sites)
        for n in range(s * deputies_per_site, (s + 1) * deputies_per_site)
    )
    return sites


class _TableParser(HTMLParser):
    """Collects the text of every cell of every <table id=...> in a page, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """{table id: rows of cell texts, the header row first}."""
    parser = _TableParser()
    parser.feed(html)
    return parser.tables


def build_known_year(district, station, room, point, other_station, deputies) -> dict:
    """2025 at 余新镇 (station, the 金星 room, its point) and 凤桥镇, with every edge case the issue names."""
    gu, huang, li = deputies
    stand_in = make_deputy(district, "沈志强", level="district", sites=[station], slug="shen-zhiqiang")
    fq = make_deputy(district, "钱伟", level="town", sites=[other_station], slug="qian-wei")
    housing, transport = body("区住建局"), body("区交通运输局")
    data = {"deputies": deputies, "stand_in": stand_in, "fq": fq}

    # March at the room: one deputy present, one absent through illness, one replaced by a stand-in.
    march = make_shift(
        room,
        local(2025, 3, 20),
        [(gu, "present"), (huang, "absent", "illness"), (li, "substituted", None, stand_in)],
    )
    group = make_visit(room, local(2025, 3, 20, 9, 30), people=12, shift=march, category="urban", deputies=[gu])
    single = make_visit(room, local(2025, 3, 20, 10, 15), shift=march, category="transport", deputies=[gu])
    # April at the room: nobody marked, nobody came: scheduled, but not held.
    make_shift(room, local(2025, 4, 20), [(gu, "unmarked"), (huang, "unmarked")])
    # May: cancelled: neither scheduled nor held.
    make_shift(room, local(2025, 5, 20), [(gu, "unmarked")], cancelled=True)
    # June: absent on leave, and the only visit was archived (entered by mistake): not held.
    june = make_shift(room, local(2025, 6, 20), [(gu, "absent", "leave")])
    archived = make_visit(room, local(2025, 6, 20, 10), shift=june, people=4, archived=True)
    # February at the station: held by attendance alone.
    make_shift(station, local(2025, 2, 20), [(stand_in, "present")])
    # January at the point: no deputy on the roster, but a visit was recorded, so it took place.
    point_shift = make_shift(point, local(2025, 1, 20))
    make_visit(point, local(2025, 1, 20, 10), people=2, shift=point_shift, category="agriculture")
    # The other station in March.
    fq_shift = make_shift(other_station, local(2025, 3, 20), [(fq, "present")])
    fq_visit = make_visit(other_station, local(2025, 3, 20, 9, 10), people=3, shift=fq_shift, deputies=[fq])

    # Outside any shift: two walk-ins the same local day at the room (one event), the first at 00:30 on
    # 1 March local time, which is still 28 February in UTC; a phone call at the station late on 28 February.
    midnight = make_visit(room, local(2025, 3, 1, 0, 30), channel="walk_in", category="environment")
    make_visit(room, local(2025, 3, 1, 10), people=2, channel="walk_in", category="environment")
    make_visit(station, local(2025, 2, 28, 23, 50), channel="phone", category="social")
    make_visit(room, local(2025, 7, 5), channel="walk_in", archived=True)

    # Opinions.
    make_opinion(  # resolved and closed, satisfied, replied on time
        room,
        local(2025, 3, 20, 9, 40),
        [
            (State.ACCEPTED, local(2025, 3, 21)),
            (State.REFERRED, local(2025, 3, 22)),
            (State.REPLIED, local(2025, 4, 10)),
            (State.RESOLVED, local(2025, 4, 11)),
            (State.CLOSED, local(2025, 4, 15)),
        ],
        visit=group,
        category="urban",
        handling_body=housing,
        deadline=dt.date(2025, 4, 21),
        satisfaction="satisfied",
    )
    make_opinion(  # explained, closed unsatisfied, reopened: back in handling, so not resolved
        room,
        local(2025, 3, 20, 9, 45),
        [
            (State.ACCEPTED, local(2025, 3, 21)),
            (State.REFERRED, local(2025, 3, 22)),
            (State.REPLIED, local(2025, 4, 30)),
            (State.EXPLAINED, local(2025, 5, 1)),
            (State.CLOSED, local(2025, 5, 3)),
            (State.REFERRED, local(2025, 5, 5)),
        ],
        visit=group,
        category="urban",
        handling_body=housing,
        deadline=dt.date(2025, 4, 21),
    )
    make_opinion(  # reopened after an unsatisfied vote, then resolved again: resolved
        room,
        local(2025, 3, 20, 10, 20),
        [
            (State.ACCEPTED, local(2025, 3, 20, 15)),
            (State.REFERRED, local(2025, 3, 21)),
            (State.REPLIED, local(2025, 3, 30)),
            (State.RESOLVED, local(2025, 3, 31)),
            (State.CLOSED, local(2025, 4, 2)),
            (State.REFERRED, local(2025, 4, 3)),
            (State.REPLIED, local(2025, 4, 25, 23, 30)),  # 25 April late evening local: still on time
            (State.RESOLVED, local(2025, 4, 26)),
        ],
        visit=single,
        category="transport",
        handling_body=transport,
        deadline=dt.date(2025, 4, 25),
    )
    make_opinion(room, local(2025, 3, 20, 10, 30), [(State.NOT_ACCEPTED, local(2025, 3, 21))], visit=single)
    make_opinion(room, local(2025, 3, 1, 0, 40), visit=midnight, category="environment")  # registered only
    make_opinion(  # online, at the station, late on 28 February: February
        station,
        local(2025, 2, 28, 23, 30),
        [(State.ACCEPTED, local(2025, 3, 2)), (State.REFERRED, local(2025, 3, 3))],
        category="social",
        handling_body=transport,
        deadline=dt.date(2026, 1, 15),  # not yet due on TODAY
    )
    make_opinion(room, local(2025, 6, 20, 10), visit=archived)  # the archived visit's opinion does not count
    make_opinion(  # 凤桥镇: explained and closed, basically satisfied, replied late
        other_station,
        local(2025, 3, 20, 9, 20),
        [
            (State.ACCEPTED, local(2025, 3, 20, 12)),
            (State.REFERRED, local(2025, 3, 21)),
            (State.REPLIED, local(2025, 5, 1)),
            (State.EXPLAINED, local(2025, 5, 2)),
            (State.CLOSED, local(2025, 5, 6)),
        ],
        visit=fq_visit,
        handling_body=housing,
        deadline=dt.date(2025, 4, 20),
        satisfaction="basically",
    )
    make_opinion(  # 2024: outside the year
        room, local(2024, 12, 31, 23, 59), [(State.ACCEPTED, local(2025, 1, 2))], category="urban"
    )
    return data
