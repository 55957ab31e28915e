"""Pages for station staff, station heads and district administrators."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from stations.access import staff_required, station_of
from stations.selectors.visits import scoped_sites, todays_shifts, visits_today, waiting_opinions

WAITING_SHOWN = 10


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The station's day: today's shifts and deputies, the visits logged today, opinions waiting."""
    sites = scoped_sites(request.user)
    waiting = waiting_opinions(sites=sites)
    return render(
        request,
        "stations/staff/home.html",
        {
            "station": station_of(request.user),
            "today": timezone.localdate(),
            "shifts": todays_shifts(sites=sites),
            "visits": visits_today(sites=sites),
            "waiting": waiting[:WAITING_SHOWN],
            "waiting_count": waiting.count(),
        },
    )
