"""Pages for station staff, station heads and district administrators."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from stations.access import membership_of, staff_required, station_of
from stations.models import Role
from stations.selectors.visits import scoped_sites, todays_shifts, visits_today, waiting_opinions

WAITING_SHOWN = 10


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Where everyone lands after signing in. A deputy's read-only account goes to their own performance
    record (their duties, attendance and the opinions raised at their receptions); staff see their day."""
    membership = membership_of(request.user)
    if membership is not None and membership.role == Role.DEPUTY and membership.deputy is not None:
        return redirect("stations:deputy_record", slug=membership.deputy.slug)
    return _station_day(request)


@staff_required
def _station_day(request: HttpRequest) -> HttpResponse:
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
