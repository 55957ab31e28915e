"""iCalendar (RFC 5545) feeds of duty shifts, for phones that subscribe to a site's or a deputy's duties.

Each shift is one VEVENT with a UID that never changes (`shift.ical_uid`) and SEQUENCE = `shift.sequence`,
which the services raise on every swap, substitution and move, so subscribed calendars replace the event
instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone

from stations.clock import local_time
from stations.models import Attendance, DutyShift

PRODID = "-//Deputy Liaison Station Portal//Duty rosters//ZH"


def _deputies_line(shift: DutyShift) -> str:
    """Who serves: a substitute in place of the deputy they replaced, nobody marked absent (after the reception
    the event names who actually came)."""
    names = [
        (duty.substitute if duty.attendance == Attendance.SUBSTITUTED and duty.substitute else duty.deputy).name
        for duty in shift.duties.all()
        if duty.attendance != Attendance.ABSENT
    ]
    return _("Deputies on duty: %(names)s") % {"names": "、".join(names)} if names else ""


def build_calendar(
    *,
    name: str,
    shifts: Iterable[DutyShift],
    url_for: Callable[[DutyShift], str],
    alarm_before: dt.timedelta | None = None,
) -> bytes:
    """The feed; `shifts` come from `shifts_with_duties` so the deputies need no further queries. With
    `alarm_before` (a deputy's private feed) each event carries a reminder that long before it starts."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # VTIMEZONE for Asia/Shanghai, from the tz database: RFC 5545 wants one for every TZID the events use.
    calendar.add_component(Timezone.from_tzid(settings.TIME_ZONE))
    stamp = timezone.now()
    for shift in shifts:
        site = shift.roster.site
        event = Event()
        event.add("uid", shift.ical_uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", local_time(shift.start))
        event.add("dtend", local_time(shift.end))
        event.add("sequence", shift.sequence)
        event.add("summary", _("Deputies receive voters: %(site)s") % {"site": site.name})
        event.add("location", "，".join(part for part in (site.name, site.address) if part))
        description = [_deputies_line(shift), shift.move_note, shift.change_note]
        event.add("description", "\n".join(line for line in description if line))
        event.add("url", url_for(shift))
        event.add("status", "CONFIRMED")
        if alarm_before is not None:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", _("Tomorrow: your duty at %(site)s") % {"site": site.name})
            alarm.add("trigger", -alarm_before)
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
