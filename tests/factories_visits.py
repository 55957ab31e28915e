"""Test-data builders for the record book."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from stations.models import Duty, DutyShift, Roster, Visit, VisitDeputy


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def make_shift(site, *, start: dt.datetime, end: dt.datetime | None = None, deputies=(), **fields) -> DutyShift:
    roster, _created = Roster.objects.get_or_create(
        site=site, year=timezone.localtime(start).year, defaults={"published_at": timezone.now()}
    )
    shift = DutyShift.objects.create(roster=roster, start=start, end=end or start + dt.timedelta(hours=2), **fields)
    for deputy in deputies:
        Duty.objects.create(shift=shift, deputy=deputy)
    return shift


def shift_now(site, deputies=(), **fields) -> DutyShift:
    """A shift running right now: started up to an hour ago (but today, so it counts as today's), ends in an hour."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - dt.timedelta(hours=1), midnight)
    return make_shift(site, start=start, end=now + dt.timedelta(hours=1), deputies=deputies, **fields)


def make_visit(site, recorded_by, *, deputies=(), **fields) -> Visit:
    fields.setdefault("occurred_at", timezone.now() - dt.timedelta(hours=1))
    fields.setdefault("summary", "村口路灯不亮，希望尽快修好")
    visit = Visit.objects.create(site=site, recorded_by=recorded_by, **fields)
    for deputy in deputies:
        VisitDeputy.objects.create(visit=visit, deputy=deputy)
    return visit


def bulk_visits(site, recorded_by, count: int, *, deputies=(), **fields) -> list[Visit]:
    """Many visits in a handful of queries, one a minute back from an hour ago, each with the deputies."""
    start = timezone.now() - dt.timedelta(hours=1)
    visits = Visit.objects.bulk_create(
        Visit(
            site=site,
            recorded_by=recorded_by,
            occurred_at=start - dt.timedelta(minutes=index),
            summary=f"第{index}号来访：反映道路积水",
            visitor_phone=f"138{index:08d}",
            visitor_name="王五",
            **fields,
        )
        for index in range(count)
    )
    VisitDeputy.objects.bulk_create(VisitDeputy(visit=visit, deputy=deputy) for visit in visits for deputy in deputies)
    return visits
