"""The demo deputy's own requests (issue 16), made through the deputies' services as 顾海明 would on /me/: a date
he cannot serve, a pending swap request for the station head to decide, and his private calendar address."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper

from stations.audit import Actor
from stations.clock import local_date, local_today
from stations.models import Attendance, Deputy, Duty
from stations.services import deputies as services

DEMO_DEPUTY = "gu-haiming"


def _coming(now: dt.datetime) -> list[Duty]:
    return list(
        Duty.objects.filter(
            shift__start__gt=now,
            shift__cancelled=False,
            shift__roster__published_at__isnull=False,
            attendance=Attendance.UNMARKED,
        )
        .select_related("shift__roster__site__station", "deputy")
        .order_by("shift__start", "pk")
    )


def build_deputy_requests(*, now: dt.datetime, stdout: TextIO | OutputWrapper) -> None:
    deputy = Deputy.objects.filter(slug=DEMO_DEPUTY).first()
    user = get_user_model().objects.filter(membership__deputy=deputy).first() if deputy else None
    if deputy is None or user is None:
        return
    actor = Actor(user)
    coming = _coming(now)
    own = next((duty for duty in coming if duty.deputy_id == deputy.pk), None)
    if own is not None:
        station = own.shift.roster.site.station_id
        other = next(
            (
                duty
                for duty in coming
                if duty.deputy_id != deputy.pk
                and duty.shift_id != own.shift_id
                and duty.shift.roster.site.station_id == station
            ),
            None,
        )
        if other is not None:
            services.swap_request_create(
                deputy=deputy, duty=own, other_duty=other, reason="参加市人大常委会组织的集中视察", actor=actor
            )
    # A date well after the coming duties: the next roster leaves him off it.
    services.unavailability_declare(
        deputy=deputy, date=max(local_date(now), local_today()) + dt.timedelta(days=60), reason="外出学习", actor=actor
    )
    services.calendar_feed_issue(deputy=deputy, actor=actor)
    stdout.write(f"{deputy.name}: a date he cannot serve, {'a swap request, ' if own else ''}a private calendar.\n")
