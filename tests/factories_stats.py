"""Builders for the statistics tests: shifts with attendance, visits and opinions with timelines.

Times are given as naive local (Asia/Shanghai) datetimes, the way a member of staff would read them.
"""

from __future__ import annotations

import datetime as dt
import itertools
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
    return shift


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
