"""Schedule pieces other pages include: `{% site_schedule site %}` on a site's page and `{% deputy_duties deputy %}`
on a deputy's page, plus small filters for showing shifts."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from stations.clock import local_date, local_today
from stations.models import Deputy, DutyShift, Site
from stations.models.rosters import DEFAULT_END, DEFAULT_START, month_day
from stations.models.sites import LEVEL_ORDER
from stations.portal import webcal_url
from stations.selectors.rosters import format_span
from stations.selectors.schedule import (
    default_reception_day,
    published_years,
    upcoming_for_deputy,
    upcoming_for_site,
    year_roster,
)

register = template.Library()

# The model's choice label for "district" is shared with the District model ("区"); on a deputy's line the
# level reads "区级", like the others.
LEVEL_LABELS = {
    "province": _("provincial level"),
    "city": _("city level"),
    "district": _("district level"),
    "town": _("town level"),
}


@register.inclusion_tag("stations/rosters/_site_schedule.html")
def site_schedule(site: Site, asked_year: int | None = None) -> dict:
    """The site's next reception with the deputies on duty, and a year's published roster: the one asked for
    (`?year=`) when it is published, else the current one; links to the site's other published years (in
    December next year's roster shows up as soon as it is out)."""
    years, current = published_years(site)
    year = asked_year if asked_year in years else current
    upcoming = upcoming_for_site(site, limit=1)
    return {
        "site": site,
        "next_shift": upcoming[0] if upcoming else None,
        "year": year,
        "other_years": [other for other in years if other != year],
        "year_shifts": year_roster(site, year),
        "now": timezone.now(),
        # Until a roster is published, voters still learn the rule every site keeps: the 20th, 09:00–11:30.
        "default_day": default_reception_day(local_today()),
        "default_start": DEFAULT_START,
        "default_end": DEFAULT_END,
    }


@register.inclusion_tag("stations/rosters/_deputy_duties.html")
def deputy_duties(deputy: Deputy) -> dict:
    """The deputy's coming published duties, moved ones marked as moved."""
    return {"deputy": deputy, "shifts": upcoming_for_deputy(deputy)}


@register.filter
def span(shift: DutyShift) -> str:
    """`2027年12月20日 09:00–11:30`."""
    return format_span(shift.start, shift.end)


@register.filter
def monthday(moment) -> str:
    return month_day(local_date(moment))


@register.filter
def levels(deputy: Deputy) -> str:
    """The deputy's levels, highest first: `市级、区级` (uses prefetched mandates)."""
    mandates = sorted(deputy.mandates.all(), key=lambda mandate: LEVEL_ORDER.get(mandate.level, 9))
    return list_sep().join(dict.fromkeys(str(LEVEL_LABELS.get(m.level, m.get_level_display())) for m in mandates))


@register.simple_tag
def list_sep() -> str:
    """Between translated words in a list: the enumeration comma in Chinese, a comma and a space in English."""
    return pgettext("list separator", ", ")


@register.simple_tag
def webcal(path: str) -> str:
    """`{% webcal feed %}`: the feed's subscription address on the portal's own address (PORTAL_URL)."""
    return webcal_url(path)
