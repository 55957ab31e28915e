"""Schedule look-ups shared by the home page, site pages and the public schedule."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from stations.models import DutyShift
from stations.models.rosters import DEFAULT_RECEPTION_DAY


def default_reception_day(today: dt.date) -> dt.date:
    """The next 20th on or after `today` ("每月20日，不见不散")."""
    if today.day <= DEFAULT_RECEPTION_DAY:
        return today.replace(day=DEFAULT_RECEPTION_DAY)
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_of_next.replace(day=DEFAULT_RECEPTION_DAY)


def next_reception_day(today: dt.date | None = None) -> dt.date:
    """The next day on which a published shift starts; the next 20th when nothing is published yet."""
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    first = (
        DutyShift.objects.published()
        .filter(start__gte=dt.datetime.combine(today, dt.time.min, tzinfo=tz))
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )
    if first is None:
        return default_reception_day(today)
    return timezone.localtime(first).date()
