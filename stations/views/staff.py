"""Pages for station staff, station heads and district administrators."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from stations.clock import local_today
from stations.paging import bounded_count
from stations.policy import deputy_of, staff_required, station_of
from stations.selectors.visits import (
    scoped_sites,
    todays_shift_count,
    todays_shifts,
    visits_on,
    visits_today,
    waiting_opinions,
)

WAITING_SHOWN = 10
# A station holds a few shifts and visits a day; an administrator's districts hundreds. The page shows the first
# of each with how many there are (counted to a bound), and links to the lists that page through them all.
SHIFTS_SHOWN = 20
VISITS_SHOWN = 20


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Where everyone lands after signing in. A deputy's read-only account goes to their own performance
    record (their duties, attendance and the opinions raised at their receptions); staff see their day."""
    deputy = deputy_of(request.user)
    if deputy is not None:
        return redirect("stations:deputy_record", slug=deputy.slug)
    return _station_day(request)


@staff_required
def _station_day(request: HttpRequest) -> HttpResponse:
    """The station's day: today's shifts and deputies, the visits logged today, opinions waiting."""
    sites = scoped_sites(request.user)
    today = local_today()
    shifts = todays_shifts(sites=sites, day=today, limit=SHIFTS_SHOWN)
    visits = list(visits_today(sites=sites, day=today)[:VISITS_SHOWN])
    waiting = waiting_opinions(sites=sites)
    # Counted only when the page's rows do not already say how many there are.
    shift_count = (len(shifts), False) if len(shifts) < SHIFTS_SHOWN else todays_shift_count(sites=sites, day=today)
    visit_count = (
        (len(visits), False) if len(visits) < VISITS_SHOWN else bounded_count(visits_on(sites=sites, day=today))
    )
    waiting_rows = list(waiting[:WAITING_SHOWN])
    waiting_count = (len(waiting_rows), False) if len(waiting_rows) < WAITING_SHOWN else bounded_count(waiting)
    return render(
        request,
        "stations/staff/home.html",
        {
            "station": station_of(request.user),
            "today": today,
            "shifts": shifts,
            "shift_count": shift_count[0],
            "shifts_more": shift_count[1],
            "visits": visits,
            "visit_count": visit_count[0],
            "visits_more": visit_count[1],
            "waiting": waiting_rows,
            "waiting_count": waiting_count[0],
            "waiting_more": waiting_count[1],
        },
    )
