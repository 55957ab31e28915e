"""Local time and durations: the one place that knows the portal's clock is Beijing time (settings.TIME_ZONE).

Reception days, periods of the figures, deadlines and file names all follow local time; use these instead of
`timezone.localtime()`, `timezone.localdate()` or a `ZoneInfo` of one's own.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

# The portal's time zone (settings.TIME_ZONE, Asia/Shanghai). Fixed for the process, like the settings; no view
# activates another one.
LOCAL_TZ = ZoneInfo(settings.TIME_ZONE)


def local_now() -> dt.datetime:
    """Now, in local time."""
    return timezone.localtime(timezone.now(), LOCAL_TZ)


def local_today() -> dt.date:
    """Today's date in local time."""
    return local_now().date()


def local_time(moment: dt.datetime) -> dt.datetime:
    """An aware moment in local time."""
    return timezone.localtime(moment, LOCAL_TZ)


def local_date(moment: dt.datetime) -> dt.date:
    """The local date of an aware moment (a visit at 00:30 Beijing time is on that day, not the day before)."""
    return local_time(moment).date()


def local_moment(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment of a local day and clock time (a reception on the 20th at 9:00)."""
    return dt.datetime.combine(day, time, tzinfo=LOCAL_TZ)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of a local day, as an aware moment."""
    return local_moment(day, dt.time.min)


def is_late(moment: dt.datetime, *, now: dt.datetime | None = None) -> bool:
    """Whether entering something that happened at `moment` now is a late entry (settings.LATE_ENTRY_DAYS)."""
    return moment < (now or timezone.now()) - dt.timedelta(days=settings.LATE_ENTRY_DAYS)


def duration_text(seconds: int) -> str:
    """A limit from the settings as people say it: "12 hours", "30 minutes" (translated)."""
    minutes = seconds // 60
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
