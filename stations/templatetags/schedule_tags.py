"""The schedule slot on site and deputy pages.

For now both tags show the next reception day under the default rule ("每月20日，不见不散": the 20th,
09:00–11:30). The rosters work replaces these two tags and their partials with the published roster;
pages only call `{% site_schedule site %}` and `{% deputy_duties deputy %}`.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from stations.models import Deputy, Site
from stations.models.rosters import DEFAULT_END, DEFAULT_START
from stations.selectors.schedule import default_reception_day

register = template.Library()


def _default_slot() -> dict:
    return {"day": default_reception_day(timezone.localdate()), "start": DEFAULT_START, "end": DEFAULT_END}


@register.inclusion_tag("stations/rosters/_site_schedule.html")
def site_schedule(site: Site) -> dict:
    return {"site": site, **_default_slot()}


@register.inclusion_tag("stations/rosters/_deputy_duties.html")
def deputy_duties(deputy: Deputy) -> dict:
    return {"deputy": deputy, **_default_slot()}
