"""The admin's change lists at a province's size (issue 15).

Django's change list counts every row of the list twice (the filtered count and the "full" count beside the
search), and its date hierarchy reads the first and last date of the list and then every distinct month of a
year: over a province's 2,000,000 visits that was 3.6 s a page (`scripts/profile_pages.py --pages
/admin/stations/visit/ --roles admin-province`). Every admin of the portal counts instead as the staff lists do
(`stations.admin_site.BoundedChangeList`: at most MAX_COUNT rows, then "more than";
templates/admin/pagination.html says so), and the lists of records that grow with the province pick a period from `period_filter` (fixed
choices, no query) instead of a date hierarchy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models import DateTimeField, QuerySet
from django.http import HttpRequest
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from stations.clock import local_moment, local_today

# The periods offered: the months of the last year, then whole years before them.
PERIOD_MONTHS = 12
PERIOD_YEARS = 5


def _period_days(value: str) -> tuple[dt.date, dt.date] | None:
    """`2026` → that year's first day and the next year's; `2026-11` → that month's and the next; else None."""
    try:
        if len(value) == 4:
            year = int(value)
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        year, month = (int(part) for part in value.split("-"))
        following = (year, month + 1) if month < 12 else (year + 1, 1)
        return dt.date(year, month, 1), dt.date(*following, 1)
    except (TypeError, ValueError):
        return None


def period_filter(field: str) -> type[admin.SimpleListFilter]:
    """A list filter by local month (the last twelve) or year (the five before), on the date or moment `field`
    holds: a range on the column, which its index answers, where a date hierarchy scanned the whole list to offer its
    choices."""

    class PeriodFilter(admin.SimpleListFilter):
        title = _("period")
        parameter_name = f"{field}_period"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            today = local_today()
            choices = []
            year, month = today.year, today.month
            for _step in range(PERIOD_MONTHS):
                label = formats.date_format(dt.date(year, month, 1), "YEAR_MONTH_FORMAT")
                choices.append((f"{year}-{month:02d}", label))
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            for earlier in range(today.year, today.year - PERIOD_YEARS, -1):
                choices.append((str(earlier), str(_("the year %(year)s") % {"year": earlier})))
            return choices

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            days = _period_days(self.value() or "")
            if days is None:
                return queryset
            bounds: tuple[dt.date, dt.date] = days
            if isinstance(queryset.model._meta.get_field(field), DateTimeField):
                bounds = (local_moment(days[0], dt.time()), local_moment(days[1], dt.time()))
            return queryset.filter(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[1]})

    PeriodFilter.__name__ = PeriodFilter.__qualname__ = f"PeriodFilter_{field}"
    return PeriodFilter
