"""Builders for roster test data: shifts at given times, rosters published or not, many sites at once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from stations.models import Assignment, Deputy, Duty, DutyShift, Roster, Site, SiteKind

TZ = timezone.get_default_timezone()


def running_now() -> tuple[dt.datetime, dt.datetime]:
    """A reception running now that began today: an hour ago, or at local midnight when that was less than an hour
    ago (a reception begun "yesterday" is not today's, and the schedule and feeds list from today on), for two hours
    more."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - dt.timedelta(hours=1), midnight), now + dt.timedelta(hours=2)


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment in Asia/Shanghai."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def make_shift(
    site: Site,
    start: dt.datetime,
    end: dt.datetime | None = None,
    *,
    deputies=(),
    published: bool = False,
    **fields,
) -> DutyShift:
    """A shift written straight to the database (bypassing the services, as an existing roster would be)."""
    roster, _ = Roster.objects.get_or_create(site=site, year=timezone.localtime(start).year)
    if published and not roster.is_published:
        roster.published_at = timezone.now()
        roster.save()
    shift = DutyShift.objects.create(
        roster=roster, start=start, end=end or start + dt.timedelta(hours=2, minutes=30), **fields
    )
    for deputy in deputies:
        Duty.objects.create(shift=shift, deputy=deputy)
    return shift


def many_sites_with_shifts(district, *, day: dt.date, stations: int, rooms_per_station: int, deputies_per_site: int):
    """A whole network in bulk: `stations` stations with rooms, each site with deputies and a published shift on
    `day` with two of them on duty. Built with bulk_create so a large network is quick to make."""
    station_rows = Site.objects.bulk_create(
        Site(district=district, kind=SiteKind.STATION, name=f"站{n}", slug=f"bulk-station-{n}", town=f"镇{n}")
        for n in range(stations)
    )
    room_rows = Site.objects.bulk_create(
        Site(
            district=district,
            kind=SiteKind.ROOM,
            parent=station,
            name=f"室{n}-{r}",
            slug=f"bulk-room-{n}-{r}",
            town=station.town,
            address=f"{station.town}{r}号",
        )
        for n, station in enumerate(station_rows)
        for r in range(rooms_per_station)
    )
    sites = station_rows + room_rows
    deputies = Deputy.objects.bulk_create(
        Deputy(district=district, name=f"代表{i}", slug=f"bulk-deputy-{i}", gender="m")
        for i in range(len(sites) * deputies_per_site)
    )
    Assignment.objects.bulk_create(
        Assignment(deputy=deputies[i * deputies_per_site + k], site=site)
        for i, site in enumerate(sites)
        for k in range(deputies_per_site)
    )
    now = timezone.now()
    rosters = Roster.objects.bulk_create(Roster(site=site, year=day.year, published_at=now) for site in sites)
    start = dt.datetime.combine(day, dt.time(9), tzinfo=TZ)
    shifts = DutyShift.objects.bulk_create(
        DutyShift(roster=roster, start=start, end=start + dt.timedelta(hours=2, minutes=30), original_start=start)
        for roster in rosters
    )
    Duty.objects.bulk_create(
        Duty(shift=shift, deputy=deputies[i * deputies_per_site + k])
        for i, shift in enumerate(shifts)
        for k in range(min(2, deputies_per_site))
    )
    return sites, shifts
